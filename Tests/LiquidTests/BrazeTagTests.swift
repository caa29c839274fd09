import Foundation
import Liquid
import Synchronization
import Testing

/// Braze's network and content tags, rendered through caller-supplied closures (issue 11).
@Suite("Braze tags: connected_content, content_blocks and the rest")
struct BrazeTagTests {
    /// Answers connected_content requests from a table and records what it was asked.
    final class Fetcher: Sendable {
        let answers: [String: ConnectedContentResponse]
        let requests = Mutex<[ConnectedContentRequest]>([])
        init(_ answers: [String: ConnectedContentResponse]) { self.answers = answers }

        var closure: @Sendable (ConnectedContentRequest) throws -> ConnectedContentResponse {
            { request in
                self.requests.withLock { $0.append(request) }
                guard let answer = self.answers[request.url] else { throw URLError(.cannotFindHost) }
                return answer
            }
        }
    }

    func render(_ source: String, _ json: String = "{}", fetcher: Fetcher? = nil, blocks: [String: String]? = nil) throws -> String {
        let template = try Template(source, dialect: .braze)
        var options = RenderOptions(now: { Date(timeIntervalSince1970: 1_700_000_000) })
        options.connectedContent = fetcher?.closure
        if let blocks { options.contentBlocks = { blocks[$0] } }
        switch try template.render(try LiquidValue(json: json), options: options) {
        case .output(let text): return text
        case .aborted(let reason): return "ABORTED: \(reason ?? "nil")"
        }
    }

    let user = #"{"user": {"first_name": "Ada", "user_id": "u 1", "email_address": "ada+x@example.com", "language": "fr"}}"#

    @Test("a JSON answer is saved (in :save or connected) with its status; the URL is rendered with the user's values")
    func savesJSON() throws {
        let fetcher = Fetcher([
            "https://weather.example/api?email=ada%2Bx%40example.com&user=u 1": .init(status: 200, body: #"{"title": "New York", "consolidated_weather": [{"weather_state_name": "Clear"}]}"#),
        ])
        let template = """
            {% connected_content https://weather.example/api?email={{${email_address} | url_param_escape}}&user={{${user_id}}} :save localweather %}\
            {{localweather.title}}: {{localweather.consolidated_weather[0].weather_state_name}} ({{localweather.__http_status_code__}})
            """
        #expect(try render(template, user, fetcher: fetcher) == "New York: Clear (200)")
        let request = try #require(fetcher.requests.withLock { $0.first })
        #expect(request.method == "GET")
        #expect(request.retry == false)
        #expect(try render("{% connected_content https://weather.example/api?email={{${email_address} | url_param_escape}}&user={{${user_id}}} %}{{connected.title}}", user, fetcher: fetcher) == "New York")
    }

    @Test("POST with a templated body, headers, content type, credentials, retry and cache options reaches the fetcher")
    func postOptions() throws {
        let fetcher = Fetcher(["https://api.example/v1/offers": .init(status: 201, body: #"{"code": "SAVE10"}"#)])
        let template = """
            {% connected_content
                 https://api.example/v1/offers
                 :method post
                 :headers {"X-Campaign": "{{campaign.${name}}}", "Accept-Language": "{{${language}}}"}
                 :body user={{${user_id} | url_param_escape}}&channel=email
                 :content_type application/json
                 :basic_auth offers_api
                 :retry
                 :cache_max_age 900
                 :save offer
            %}Use {{offer.code}}
            """
        let data = #"{"user": {"user_id": "u1", "language": "fr"}, "campaign": {"name": "Spring"}}"#
        #expect(try render(template, data, fetcher: fetcher) == "Use SAVE10")
        let request = try #require(fetcher.requests.withLock { $0.first })
        #expect(request == ConnectedContentRequest(
            url: "https://api.example/v1/offers", method: "POST",
            headers: [.init(name: "X-Campaign", value: "Spring"), .init(name: "Accept-Language", value: "fr")],
            body: "user=u1&channel=email", contentType: "application/json", basicAuthCredential: "offers_api",
            retry: true, cacheMaxAge: 900))
    }

    @Test("a text answer prints in place; :rerender renders its Liquid; a 404 prints nothing")
    func textAnswers() throws {
        let fetcher = Fetcher([
            "https://t.example/a": .init(status: 200, body: "Bonjour {{${first_name}}}"),
            "https://t.example/missing": .init(status: 404, body: "<html>not found</html>"),
        ])
        #expect(try render("[{% connected_content https://t.example/a %}]", user, fetcher: fetcher) == "[Bonjour {{${first_name}}}]")
        #expect(try render("[{% connected_content https://t.example/a :rerender %}]", user, fetcher: fetcher) == "[Bonjour Ada]")
        #expect(try render("[{% connected_content https://t.example/missing %}]", user, fetcher: fetcher) == "[]")
    }

    @Test("a 5xx with :retry aborts the message; a failing fetcher is an 'unavailable' error without the query")
    func failures() throws {
        let fetcher = Fetcher(["https://t.example/down": .init(status: 503, body: "busy")])
        #expect(try render("{% connected_content https://t.example/down :retry %}x", user, fetcher: fetcher) == "ABORTED: connected_content https://t.example/down answered 503")
        // The query carries a value from the user's data, which the error must not repeat.
        let error = liquidError {
            _ = try render("{% connected_content https://nowhere.example/p?token={{custom_attribute.${token}}} %}",
                           #"{"user": {"custom_attributes": {"token": "s3cret"}}}"#, fetcher: fetcher)
        }
        #expect(error?.kind == .unavailable)
        #expect(error?.description.contains("s3cret") == false)
        #expect(error?.message.contains("https://nowhere.example/p") == true)
        let noFetcher = liquidError { _ = try render("{% connected_content https://t.example/a %}", user) }
        #expect(noFetcher?.kind == .unavailable)
        #expect(noFetcher?.message.contains("RenderOptions.connectedContent") == true)
    }

    // Found by fuzzing: an answer that calls itself again with :rerender recursed until the stack overflowed.
    @Test("a :rerender answer that calls connected_content again is bounded; so is a tag hidden in quotes in a URL")
    func rerenderBounded() throws {
        let template = "{% connected_content https://t.example/self :rerender %}"
        let fetcher = Fetcher(["https://t.example/self": .init(status: 200, body: template)])
        #expect(liquidError { _ = try render(template, fetcher: fetcher) }?.kind == .limitExceeded)
        var nested = "x"
        for _ in 0..<200 { nested = "{% connected_content https://a.example/'\(nested)' %}" }
        // (Quotes of one kind do not nest, so this is refused as a syntax error: what matters is an error, not a crash.)
        #expect(liquidError { _ = try Template(nested, dialect: .braze) } != nil)
    }

    @Test("an aborted call by status, as Braze's docs write it")
    func statusCheck() throws {
        let fetcher = Fetcher(["https://example.com/api/endpoint": .init(status: 200, body: "[1, 2]")])
        let template = """
            {% connected_content https://example.com/api/endpoint :save result %}\
            {% if result.__http_status_code__ != 200 %}{% abort_message('Connected Content returned a non-200 status code') %}{% endif %}ok
            """
        // a JSON array is not an object: printed, not saved, so the status check aborts
        #expect(try render(template, fetcher: fetcher) == "ABORTED: Connected Content returned a non-200 status code")
    }

    @Test("bad connected_content markup is found when the template is parsed", arguments: [
        ("{% connected_content %}", "needs a URL"),
        ("{% connected_content https://x.example :methd post %}", "no option ':methd'"),
        ("{% connected_content https://x.example :method put %}", "get or post"),
        ("{% connected_content https://x.example :save %}", "needs a value"),
        ("{% connected_content https://x.example :retry 3 %}", "takes no value"),
        ("{% connected_content https://x.example :cache_max_age soon %}", "number of seconds"),
        ("{% connected_content https://x.example :headers X-Key: 1 %}", "JSON object"),
        ("{% connected_content https://x.example/{{ user. }} %}", "expected a property name"),
    ])
    func parseErrors(template: String, phrase: String) {
        let error = liquidError { _ = try Template(template, dialect: .braze) }
        #expect(error != nil)
        #expect(error?.description.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test("content blocks render in place, share variables, nest, and are found by name")
    func contentBlocks() throws {
        let blocks = [
            "Header": "Hi {{${first_name}}}!{% assign promo = 'SPRING' %}",
            "Footer": "-- {{content_blocks.${Signature}}}",
            "Signature": "The team",
            "BlockedEmailList": "spam@example.com,ada+x@example.com",
            "Loop": "{{content_blocks.${Loop}}}",
        ]
        #expect(try render("{{content_blocks.${Header}}} Use {{promo}}. {{content_blocks.${Footer}}}", user, blocks: blocks)
                == "Hi Ada! Use SPRING. -- The team")
        let blocked = """
            {% assign blocked_emails = {{content_blocks.${BlockedEmailList}}} | split: ',' %}\
            {% for email in blocked_emails %}{% if {{${email_address}}} == email %}{% abort_message("Email is blocked") %}{% endif %}{% endfor %}Your message here!
            """
        #expect(try render(blocked, user, blocks: blocks) == "ABORTED: Email is blocked")
        #expect(liquidError { _ = try render("{{content_blocks.${Nope}}}", user, blocks: blocks) }?.kind == .templateNotFound)
        #expect(liquidError { _ = try render("{{content_blocks.${Header}}}", user) }?.kind == .unavailable)
        #expect(liquidError { _ = try render("{{content_blocks.${Loop}}}", user, blocks: blocks) }?.kind == .limitExceeded)
    }

    @Test("catalog and promotion tags are refused when parsed, saying why; message_extras is checked and prints nothing")
    func otherTags() throws {
        let catalog = liquidError { _ = try Template("{% catalog_items Games 1234 %}", dialect: .braze) }
        #expect(catalog?.kind == .unknownTag)
        #expect(catalog?.message.contains("catalogs") == true)
        #expect(liquidError { _ = try Template("{% promotion('vip-deal') %}", dialect: .braze) }?.message.contains("promotion code") == true)
        #expect(try render("a{% message_extras :key test :value 123 %}b") == "ab")
        #expect(liquidError { _ = try Template("{% message_extras :value 1 :key k %}", dialect: .braze) }?.kind == .syntax)
        // In the plain liquid dialect these are unknown tags.
        #expect(liquidError { _ = try Template("{% connected_content https://x.example %}") }?.kind == .unknownTag)
    }
}
