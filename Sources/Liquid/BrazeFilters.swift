/// Braze's additional filters.
enum BrazeFilters {
    static let all: [String: Filter] = [
        /// Percent-encodes for a URL query parameter (spaces as `%20`).
        "url_param_escape": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(StringFilters.formEncode(value.text).replacingOccurrences(of: "+", with: "%20"))
        },
        /// Escapes for the inside of a JSON string literal.
        "json_escape": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(String(LiquidValue.jsonQuoted(value.text).dropFirst().dropLast()))
        },
    ]
}
