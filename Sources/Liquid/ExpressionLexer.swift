/// A token of the expression language inside `{{ }}` and tags.
enum ExpressionToken: Equatable, Sendable {
    case identifier(String)
    case string(String)
    case integer(Int)
    /// An integer literal beyond 64 bits.
    case bigInteger(BigInteger)
    case float(Double)
    case dot, dotDot, leftBracket, rightBracket, leftParen, rightParen
    case pipe, colon, comma, assign
    /// `{{` and `}}` inside a tag (Braze): `{% if {{custom_attribute.${points}}} > 0 %}`.
    case leftBraces, rightBraces
    case comparison(String)
    /// Braze's `${name}` attribute reference (the name may contain spaces).
    case brazeReference(String)
    case end
}

/// Splits tag or output markup into tokens.
struct ExpressionLexer {
    let source: [UInt8]

    init(_ markup: String) { source = Array(markup.utf8) }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || byte == 95 || byte >= 0x80
    }

    static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || (byte >= 48 && byte <= 57) || byte == 45
    }

    func tokens() throws(LiquidError) -> [ExpressionToken] {
        var result: [ExpressionToken] = []
        var i = 0
        let n = source.count
        func text(_ range: Range<Int>) -> String { String(decoding: source[range], as: UTF8.self) }
        while i < n {
            let c = source[i]
            switch c {
            case 32, 9, 10, 13:
                i += 1
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                var j = i + 1
                while j < n && source[j] != c { j += 1 }
                guard j < n else { throw LiquidError(.syntax, "unterminated string literal \(text(i..<n))") }
                result.append(.string(text(i + 1..<j)))
                i = j + 1
            case UInt8(ascii: "."):
                if i + 1 < n && source[i + 1] == UInt8(ascii: ".") {
                    result.append(.dotDot)
                    i += 2
                } else {
                    result.append(.dot)
                    i += 1
                }
            case UInt8(ascii: "["): result.append(.leftBracket); i += 1
            case UInt8(ascii: "]"): result.append(.rightBracket); i += 1
            case UInt8(ascii: "("): result.append(.leftParen); i += 1
            case UInt8(ascii: ")"): result.append(.rightParen); i += 1
            case UInt8(ascii: "{") where i + 1 < n && source[i + 1] == UInt8(ascii: "{"):
                result.append(.leftBraces)
                i += 2
            case UInt8(ascii: "}") where i + 1 < n && source[i + 1] == UInt8(ascii: "}"):
                result.append(.rightBraces)
                i += 2
            case UInt8(ascii: "|"): result.append(.pipe); i += 1
            case UInt8(ascii: ":"): result.append(.colon); i += 1
            case UInt8(ascii: ","): result.append(.comma); i += 1
            case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                if i + 1 < n && source[i + 1] == UInt8(ascii: "=") {
                    result.append(.comparison(text(i..<i + 2)))
                    i += 2
                } else if c == UInt8(ascii: "<") && i + 1 < n && source[i + 1] == UInt8(ascii: ">") {
                    result.append(.comparison("!="))
                    i += 2
                } else if c == UInt8(ascii: "=") {
                    result.append(.assign)
                    i += 1
                } else if c == UInt8(ascii: "!") {
                    throw LiquidError(.syntax, "unexpected '!'")
                } else {
                    result.append(.comparison(text(i..<i + 1)))
                    i += 1
                }
            case UInt8(ascii: "$") where i + 1 < n && source[i + 1] == UInt8(ascii: "{"):
                var j = i + 2
                while j < n && source[j] != UInt8(ascii: "}") { j += 1 }
                guard j < n else { throw LiquidError(.syntax, "unterminated ${...} attribute reference") }
                result.append(.brazeReference(text(i + 2..<j).trimmingSpaces()))
                i = j + 1
            case UInt8(ascii: "-"), 48...57:
                var j = i
                if c == UInt8(ascii: "-") {
                    j += 1
                    guard j < n, source[j] >= 48 && source[j] <= 57 else {
                        throw LiquidError(.syntax, "unexpected '-' in \(text(i..<min(n, i + 12)))")
                    }
                }
                while j < n && source[j] >= 48 && source[j] <= 57 { j += 1 }
                var isFloat = false
                if j + 1 < n && source[j] == UInt8(ascii: ".") && source[j + 1] >= 48 && source[j + 1] <= 57 {
                    isFloat = true
                    j += 1
                    while j < n && source[j] >= 48 && source[j] <= 57 { j += 1 }
                }
                if j < n && Self.isIdentifierStart(source[j]) && c != UInt8(ascii: "-") && !isFloat {
                    // "123abc": an identifier made of digits and letters.
                    while j < n && Self.isIdentifierPart(source[j]) { j += 1 }
                    if j < n && source[j] == UInt8(ascii: "?") { j += 1 }
                    result.append(.identifier(text(i..<j)))
                } else if isFloat {
                    result.append(.float(Double(text(i..<j)) ?? 0))
                } else if let value = Int(text(i..<j)) {
                    result.append(.integer(value))
                } else if let value = BigInteger(text(i..<j)) {
                    result.append(.bigInteger(value))
                } else {
                    result.append(.float(Double(text(i..<j)) ?? 0))
                }
                i = j
            default:
                guard Self.isIdentifierStart(c) else {
                    throw LiquidError(.syntax, "unexpected character '\(text(i..<i + 1))' in '\(String(decoding: source, as: UTF8.self))'")
                }
                var j = i + 1
                while j < n && Self.isIdentifierPart(source[j]) { j += 1 }
                if j < n && source[j] == UInt8(ascii: "?") { j += 1 }
                let word = text(i..<j)
                result.append(word == "contains" ? .comparison("contains") : .identifier(word))
                i = j
            }
        }
        result.append(.end)
        return result
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
