import Foundation

/// The request/response protocol of `liquid --jsonl`: one JSON request per line in, one
/// JSON response per line out, in order.
///
/// Request: `{"id", "template", "data", "mode": "lenient"|"strict", "dialect":
/// "liquid"|"braze", "templates"?: {name: source}}`. Response: `{"id", "output"}`,
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
        let options = RenderOptions(strictVariables: strict, now: now, limits: limits, partials: { frozenPartials[$0] })
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

    private static func response(id: LiquidValue, _ fields: [(String, LiquidValue)]) -> String {
        LiquidValue.object(LiquidObject([("id", id)] + fields)).jsonText
    }

    private static func response(id: LiquidValue, _ fields: KeyValuePairs<String, LiquidValue>) -> String {
        response(id: id, fields.map { ($0.key, $0.value) })
    }
}
