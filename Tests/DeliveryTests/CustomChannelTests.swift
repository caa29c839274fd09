import ConnectorCore
import ConnectorTesting
import CurlTransport
import Delivery
import Foundation
import Testing

/// A channel added by a package: its adapter, a provider kind for it, and the checks that
/// refuse a campaign nothing can send.
@Suite("A package's own channel")
struct CustomChannelTests {
    static let pager = Channel("pager")

    /// Renders `text` into the message's one field; the recipient is the user's pager address.
    struct PagerAdapter: ChannelAdapter {
        let channel = CustomChannelTests.pager
        func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
            guard case .custom(let custom) = content else { throw .failed(field: "", message: "not pager content") }
            let text = try scope.required(custom["text"], field: "text")
            return .custom(CustomMessage(channel: channel, recipient: scope.input.address, fields: ["text": text]))
        }
        func check(_ content: ChannelContent) throws(RenderError) {
            guard case .custom(let custom) = content else { throw .failed(field: "", message: "not pager content") }
            if let other = custom.fields.first(where: { $0.path != "text" }) { throw .failed(field: other.path, message: "a page has only text") }
        }
    }

    static func campaign(_ channel: String) throws -> Campaign {
        try CampaignFileReader.campaign(from: "id: page\nchannels: [\(channel)]\nmessages:\n  \(channel):\n    text: 'Hi {{ ${first_name} }}'\n",
                                        file: "page.yaml")
    }

    static func configuration(_ text: String) throws -> DeliveryConfiguration {
        var kinds = ProviderKinds()
        kinds.register("pager-gateway", channels: [pager]) { _, _, name in SandboxProvider(name: name) }
        return try DeliveryConfiguration.parse(text, file: "providers.yaml", environment: [:], providerKinds: kinds)
    }

    @Test("a campaign on a channel without an adapter, or without a provider, is refused with its field path; with both it passes")
    func problems() throws {
        var adapters = AdapterRegistry()
        let configured = try Self.configuration("providers:\n  pager:\n    - { kind: pager-gateway }\n")
        let misspelt = try Self.campaign("emial")
        let unknown = configured.problems(sending: misspelt, adapters: adapters, file: "emial.yaml")
        #expect(unknown.count == 1 && unknown.first?.path == "channels[0]", "\(unknown)")
        #expect(unknown.first?.message.contains("no adapter renders 'emial'") == true, "\(unknown)")

        let page = try Self.campaign("pager")
        #expect(configured.problems(sending: page, adapters: adapters, file: "page.yaml").first?.message.contains("no adapter renders 'pager'") == true)
        adapters.register(PagerAdapter())
        #expect(configured.problems(sending: page, adapters: adapters, file: "page.yaml").isEmpty)
        // The adapter's own check runs when the campaign is read, with the field's path.
        let extra = try CampaignFileReader.campaign(from: "id: x\nchannels: [pager]\nmessages:\n  pager:\n    text: hi\n    colour: red\n", file: "x.yaml")
        let refused = configured.problems(sending: extra, adapters: adapters, file: "x.yaml")
        #expect(refused.map(\.description) == ["x.yaml: messages.pager.colour: a page has only text"], "\(refused)")
        #expect(adapters.channels.contains(Self.pager) && adapters.channels.contains(.email))

        let noProvider = DeliveryConfiguration().problems(sending: page, adapters: adapters, file: "page.yaml")
        #expect(noProvider.first?.message == "no provider is configured for pager: add one under providers.pager", "\(noProvider)")
        // Built-in channels go to the sandbox unless configured.
        let sms = try CampaignFileReader.campaign(from: "id: s\nchannels: [sms]\nmessages:\n  sms:\n    body: Hi\n", file: "s.yaml")
        #expect(DeliveryConfiguration().problems(sending: sms, adapters: adapters, file: "s.yaml").isEmpty)
        // A channel configured under providers that no adapter renders (providers.emial) is found too.
        let typo = try Self.configuration("providers:\n  emial:\n    - { kind: sandbox }\n")
        #expect(typo.unrenderedChannels(adapters: adapters) == [Channel("emial")])
        #expect(configured.unrenderedChannels(adapters: adapters).isEmpty)
    }

    @Test("a provider kind carries only the channels it registered; a malformed channel name under providers is refused")
    func providerChannels() throws {
        #expect(throws: ConfigurationError.self) { try Self.configuration("providers:\n  sms:\n    - { kind: pager-gateway }\n") }
        do {
            _ = try Self.configuration("providers:\n  Pager:\n    - { kind: pager-gateway }\n")
            Issue.record("a malformed channel loaded")
        } catch {
            #expect("\(error)".contains("'Pager' is not a channel name"), "\(error)")
        }
    }

    @Test("a custom message renders through its adapter, keeps its fields as JSON, and reaches its recipient")
    func message() throws {
        let message = ChannelMessage.custom(CustomMessage(channel: Self.pager, recipient: "pager-7", fields: ["text": "Hi"]))
        #expect(message.channel == Self.pager && message.recipient == "pager-7")
        let json = try JSONEncoder().encode(message)
        #expect(String(decoding: json, as: UTF8.self).contains("\"pager\""))
        #expect(try JSONDecoder().decode(ChannelMessage.self, from: json) == message)
    }

    /// The pager gateway: a JSON POST per message; 429 answers carry Retry-After.
    struct PagerGateway: HTTPProvider {
        let name = "pager-gateway"
        let baseURL: String
        var deduplicates: Bool { false }
        func request(for message: OutgoingMessage) throws(ProviderRequestError) -> HTTPRequest {
            guard case .custom(let page) = message.message else { throw ProviderRequestError("the pager gateway carries pages only") }
            let body = (try? JSONSerialization.data(withJSONObject: ["to": page.recipient, "text": page.fields["text"] ?? ""], options: [.sortedKeys])) ?? Data()
            return HTTPRequest(method: .post, url: baseURL + "/pages", headers: ["Content-Type": "application/json"], body: Array(body), httpVersion: .http1_1)
        }
        func classify(_ response: HTTPResponse, for message: OutgoingMessage) -> ProviderOutcome {
            standardOutcome(of: response, messageID: nil, now: message.sentAt)
        }
    }

    @Test("R21: a follow-up on a package's channel renders through its adapter and reaches a real HTTP server; a 429 retries after Retry-After")
    func endToEnd() async throws {
        let content = ChannelContent.custom(CustomContent(channel: Self.pager, fields: [.init(path: "text", template: "Hi {{ ${first_name} }}")]))
        let users = [User(id: "ada", attributes: ["first_name": .string("Ada")], addresses: [Self.pager: "pager-7"]),
                     User(id: "bob", attributes: ["first_name": .string("Bob")], addresses: [Self.pager: "pager-9"])]
        let bench = try await DeliveryBench(channel: Self.pager, content: content, users: users)
        let clock = TestClock(bench.queuedAt)
        let client = CurlClient()
        defer { Task { await client.shutdown() } }
        var adapters = AdapterRegistry()
        adapters.register(PagerAdapter())
        try await LoopbackServer.with { server in
            server.script(LoopbackServer.Answer(status: 202), LoopbackServer.Answer(status: 429, headers: ["Retry-After": "120"]))
            let dispatcher = Dispatcher(store: bench.store, routes: routes(Self.pager, [ProviderRoute(PagerGateway(baseURL: server.baseURL))]),
                                        adapters: adapters, client: client,
                                        configuration: Dispatcher.Configuration(worker: "dispatcher", lease: 60, batchSize: 64, concurrency: 1,
                                                                                retry: RetryPolicy(base: 10, cap: 600, deadline: 3600)),
                                        now: { clock.now }, random: { 1 }, sleep: { _ in })
            let report = try await dispatcher.drain()
            #expect(report.total == 2)
            let bodies = server.requests.map { $0.json ?? [:] }
            #expect(server.requests.allSatisfy { $0.method == "POST" && $0.path == "/pages" })
            #expect(Set(bodies.compactMap { $0["text"] as? String }) == ["Hi Ada", "Hi Bob"], "\(bodies)")
            let states = report.delivered.map { ($0.dispatch.userID.rawValue, $0.outcome) }
            #expect(states.filter { if case .sent = $0.1 { return true } else { return false } }.count == 1)
            let retried = try #require(states.first { if case .retry = $0.1 { return true } else { return false } })
            #expect(retried.1.retryAt == clock.now.addingTimeInterval(120).timeIntervalSince1970, "\(retried)")
        }
    }

    @Test("R16: a dispatch on a channel whose adapter is not registered is dead with no_provider, not sent")
    func withoutAdapter() async throws {
        let content = ChannelContent.custom(CustomContent(channel: Self.pager, fields: [.init(path: "text", template: "Hi")]))
        let bench = try await DeliveryBench(channel: Self.pager, content: content, users: [User(id: "ada", addresses: [Self.pager: "p"])])
        let clock = TestClock(bench.queuedAt)
        let client = CurlClient()
        defer { Task { await client.shutdown() } }
        try await LoopbackServer.with { server in
            let report = try await dispatcher(bench, routes(Self.pager, [ProviderRoute(PagerGateway(baseURL: server.baseURL))]),
                                              clock: clock, client: client).drain()
            #expect(report.delivered.first?.outcome.reason?.code == .noProvider, "\(report)")
            #expect(server.requests.isEmpty)
        }
    }

    @Test("the loopback server records method, path, headers and body, answers as scripted, and closes its port when stopped")
    func loopbackServer() async throws {
        let client = CurlClient()
        defer { Task { await client.shutdown() } }
        let server = try await LoopbackServer.start(answering: .json(#"{"ok":true}"#))
        server.script(LoopbackServer.Answer(status: 503, headers: ["Retry-After": "7"], body: "busy"))
        let request = HTTPRequest(method: .post, url: server.baseURL + "/a?b=1", headers: ["X-Test": "yes"], body: Array("hello".utf8), httpVersion: .http1_1)
        let first = try await client.execute(request)
        #expect(first.status == 503 && first.headers.first(name: "Retry-After") == "7" && first.bodyText == "busy")
        let second = try await client.execute(request)
        #expect(second.status == 200 && second.bodyText == #"{"ok":true}"#)
        #expect(server.requests.count == 2 && server.requests[0].path == "/a?b=1" && server.requests[0].header("x-test") == "yes"
                && server.requests[0].bodyText == "hello")
        let url = server.baseURL
        await server.stop()
        await #expect(throws: (any Error).self) { try await client.execute(HTTPRequest(url: url + "/", httpVersion: .http1_1)) }
    }
}
