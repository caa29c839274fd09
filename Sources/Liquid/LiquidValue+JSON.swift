import JSONCore

/// Reading template data from JSON, keeping object key order (Liquid loops over objects
/// in insertion order), and writing values back as JSON.
extension LiquidValue {
    /// A JSON syntax error with its byte offset.
    public typealias JSONError = JSONCore.JSONError

    /// Parses JSON text. Integers stay exact integers (``bigInteger(_:)`` beyond 64 bits);
    /// other numbers are doubles.
    public init(json text: String) throws(JSONError) {
        self = try Self.parse(json: text)
    }

    /// The value as JSON text (ranges as arrays; `empty` and `blank` as "").
    public var jsonText: String {
        switch self {
        case .nil: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .bigInteger(let value): return value.description
        case .double(let value): return value.isFinite ? "\(value)" : "null"
        case .string(let value): return Self.jsonQuoted(value)
        case .array, .range: return "[" + asArray.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let object):
            return "{" + object.pairs.map { Self.jsonQuoted($0.0) + ":" + $0.1.jsonText }.joined(separator: ",") + "}"
        case .empty, .blank: return "\"\""
        }
    }

    /// A JSON string literal for `text`.
    static func jsonQuoted(_ text: String) -> String {
        JSONQuoting.quoted(text)
    }
}

extension LiquidValue: JSONBuildable {
    public static var jsonNull: LiquidValue { .nil }
    public static func json(_ value: Bool) -> LiquidValue { .bool(value) }
    public static func json(integer: Int) -> LiquidValue { .int(integer) }
    /// An integer too large for an `Int` stays exact (Ruby's Bignum).
    public static func json(bigInteger digits: String) -> LiquidValue? { BigInteger(digits).map { .bigInteger($0) } }
    public static func json(_ value: Double) -> LiquidValue { .double(value) }
    public static func json(_ value: String) -> LiquidValue { .string(value) }
    public static func json(array: [LiquidValue]) -> LiquidValue { .array(array) }
    public static func json(object: [(String, LiquidValue)]) -> LiquidValue {
        var result = LiquidObject()
        for (key, value) in object { result[key] = value }
        return .object(result)
    }
}
