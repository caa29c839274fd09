import JSONCore

/// Attribute values from and to JSON text, through `JSONCore` rather than Foundation's
/// coders (the store decodes a user for every trigger).
extension AttributeValue: JSONBuildable {
    public static var jsonNull: AttributeValue { .null }
    public static func json(_ value: Bool) -> AttributeValue { .bool(value) }
    public static func json(integer: Int) -> AttributeValue { .number(Double(integer)) }
    public static func json(_ value: Double) -> AttributeValue { .number(value) }
    public static func json(_ value: String) -> AttributeValue { .string(value) }
    public static func json(array: [AttributeValue]) -> AttributeValue { .array(array) }
    public static func json(object: [(String, AttributeValue)]) -> AttributeValue {
        .object(Dictionary(object, uniquingKeysWith: { _, last in last }))
    }

    /// Parses JSON text; a repeated key keeps its last value.
    public init(json text: String) throws(JSONError) {
        self = try Self.parse(json: text)
    }

    /// The value as JSON text, object keys sorted (stable output for storage and tests).
    public var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            guard number.isFinite else { return "null" }
            if number == number.rounded(), abs(number) < 1e15 { return String(Int(number)) }
            return "\(number)"
        case .string(let text): return JSONQuoting.quoted(text)
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let fields): return Self.jsonText(fields)
        }
    }

    /// An object of attribute values as JSON text, keys sorted.
    public static func jsonText(_ fields: [String: AttributeValue]) -> String {
        "{" + fields.keys.sorted().map { JSONQuoting.quoted($0) + ":" + (fields[$0] ?? .null).jsonText }.joined(separator: ",") + "}"
    }
}
