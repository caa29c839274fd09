import Foundation

/// The request/response protocol of `liquid --jsonl`: one JSON request per line in, one
/// JSON response per line out, in order.
///
/// Request: `{"id", "template", "data", "mode": "lenient"|"strict", "dialect":
/// "liquid"|"braze", "templates"?: {name: source}, "content_blocks"?: {name: source},
/// "connected_content"?: {url: {"status", "body"}}}` (Braze's content blocks and
/// `connected_content` answers, by exact URL: fixtures, nothing is fetched). Response: `{"id", "output"}`,
/// `{"id", "error"}` or `{"id", "aborted": true, "reason"}`. A malformed request gets an
/// error response with a null id; the stream goes on.
public struct JSONLRenderer: Sendable {
    /// The clock for `date` with `"now"`.
    public var now: @Sendable () -> Date
    /// Limits for every render.
    public var limits: LiquidLimits

    /// Creates a renderer.
    public init(now: @escaping @Sendable () -> Date = { Date() }, limits: LiquidLimits = LiquidLimits()) {
        self.now = now
        self.limits = limits
    }

    /// Handles one request line and returns the response line (without newline).
    public func respond(to line: String) -> String {
        let request: LiquidObject
        do {
            guard case .object(let object) = try LiquidValue(json: line) else {
                return Self.response(id: .nil, ["error": .string("a request must be a JSON object")])
            }
            request = object
        } catch {
            return Self.response(id: .nil, ["error": .string("invalid request: \(error)")])
        }
        let id = request["id"] ?? .nil
        guard case .string(let source)? = request["template"] else {
            return Self.response(id: id, ["error": .string("the request has no \"template\" string")])
        }
        let strict: Bool
        switch request["mode"] {
        case nil, .string("lenient")?: strict = false
        case .string("strict")?: strict = true
        default: return Self.response(id: id, ["error": .string("\"mode\" must be \"lenient\" or \"strict\"")])
        }
        let dialect: Dialect
        switch request["dialect"] {
        case nil, .string("liquid")?: dialect = .liquid
        case .string("braze")?: dialect = .braze
        default: return Self.response(id: id, ["error": .string("\"dialect\" must be \"liquid\" or \"braze\"")])
        }
        var partials: [String: String] = [:]
        if case .object(let templates)? = request["templates"] {
            for (name, value) in templates.pairs {
                if case .string(let text) = value { partials[name] = text }
            }
        }
        let frozenPartials = partials
        var options = RenderOptions(strictVariables: strict, now: now, limits: limits, partials: { frozenPartials[$0] })
        if case .object(let blocks)? = request["content_blocks"] {
            var sources: [String: String] = [:]
            for (name, value) in blocks.pairs { if case .string(let text) = value { sources[name] = text } }
            let frozen = sources
            options.contentBlocks = { frozen[$0] }
        }
        if case .object(let fixtures)? = request["connected_content"] {
            var answers: [String: ConnectedContentResponse] = [:]
            for (url, value) in fixtures.pairs {
                guard case .object(let answer) = value, case .int(let status)? = answer["status"], case .string(let body)? = answer["body"] else {
                    return Self.response(id: id, ["error": .string("\"connected_content\" maps each URL to {\"status\": number, \"body\": string}")])
                }
                answers[url] = ConnectedContentResponse(status: status, body: body)
            }
            let frozen = answers
            options.connectedContent = { request in
                guard let answer = frozen[request.url] else { throw FixtureMissing(url: request.url) }
                return answer
            }
        }
        do {
            let template = try Template(source, dialect: dialect, limits: limits)
            switch try template.render(request["data"] ?? .object(LiquidObject()), options: options) {
            case .output(let text):
                return Self.response(id: id, ["output": .string(text)])
            case .aborted(let reason):
                return Self.response(id: id, ["aborted": .bool(true), "reason": reason.map { .string($0) } ?? .nil])
            }
        } catch {
            return Self.response(id: id, ["error": .string(error.description)])
        }
    }

    /// A `connected_content` URL with no answer among the request's fixtures.
    struct FixtureMissing: Error, CustomStringConvertible {
        var url: String
        var description: String { "no answer for \(url) in the request's \"connected_content\"" }
    }

    private static func response(id: LiquidValue, _ fields: [(String, LiquidValue)]) -> String {
        LiquidValue.object(LiquidObject([("id", id)] + fields)).jsonText
    }

    private static func response(id: LiquidValue, _ fields: KeyValuePairs<String, LiquidValue>) -> String {
        response(id: id, fields.map { ($0.key, $0.value) })
    }
}
