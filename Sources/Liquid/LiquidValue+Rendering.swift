/// How values print in output.
extension LiquidValue {
    /// The text `{{ value }}` writes: nil is empty, arrays join their items, floats
    /// print as Ruby prints them (`1.0`, `0.1`, `1.0e+20`).
    public var renderedString: String {
        switch self {
        case .nil, .empty, .blank: return ""
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .bigInteger(let value): return value.description
        case .double(let value): return Self.format(value)
        case .string(let value): return value
        case .array(let items):
            var text = ""
            for item in items { text += item.renderedString }
            return text
        case .object(let object):
            return "{" + object.pairs.map { "\"\($0.0)\"=>\($0.1.inspected)" }.joined(separator: ", ") + "}"
        case .range(let low, let high): return "\(low)..\(high)"
        }
    }

    /// Ruby's `inspect`, used inside printed hashes.
    var inspected: String {
        switch self {
        case .string(let value): return "\"\(value)\""
        case .nil: return "nil"
        case .array(let items): return "[" + items.map(\.inspected).joined(separator: ", ") + "]"
        default: return renderedString
        }
    }

    /// A Double as Ruby's `Float#to_s` writes it.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == value.rounded(), abs(value) < 1e16 {
            let integral = Int(value)
            return integral == 0 && value.sign == .minus ? "-0.0" : "\(integral).0"
        }
        var text = "\(value)"
        if let e = text.firstIndex(of: "e") {
            var mantissa = String(text[..<e])
            var exponent = String(text[text.index(after: e)...])
            if !mantissa.contains(".") { mantissa += ".0" }
            if !exponent.hasPrefix("-") && !exponent.hasPrefix("+") { exponent = "+" + exponent }
            let sign = exponent.prefix(1)
            var digits = exponent.dropFirst()
            if digits.count < 2 { digits = "0" + digits }
            text = mantissa + "e" + sign + digits
        }
        return text
    }
}
