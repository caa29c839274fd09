/// A JSON syntax error with its byte offset.
public struct JSONError: Error, CustomStringConvertible, Sendable, Equatable {
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A value type JSON text can be read into: each module keeps its own value type
/// (Liquid's ordered `LiquidValue`, the engine's `AttributeValue`) and shares one reader.
public protocol JSONBuildable {
    static var jsonNull: Self { get }
    static func json(_ value: Bool) -> Self
    /// A number written without fraction or exponent that fits in an `Int`.
    static func json(integer: Int) -> Self
    /// An integer written without fraction or exponent that does not fit in an `Int`
    /// (decimal digits, maybe a leading `-`); nil to read it as a Double.
    static func json(bigInteger digits: String) -> Self?
    static func json(_ value: Double) -> Self
    static func json(_ value: String) -> Self
    static func json(array: [Self]) -> Self
    /// Members in the order of the text (a repeated key appears twice).
    static func json(object: [(String, Self)]) -> Self
}

extension JSONBuildable {
    /// By default a large integer is read as a Double.
    public static func json(bigInteger digits: String) -> Self? { nil }

    /// Parses a whole JSON text (surrounding white space allowed).
    @inlinable
    public static func parse(json bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> Self {
        var reader = JSONReader(bytes: bytes)
        reader.skipSpace()
        let value: Self = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == bytes.count else { throw JSONError(offset: reader.index, reason: "unexpected trailing characters") }
        return value
    }

    /// Parses a whole JSON text.
    @inlinable
    public static func parse(json text: String) throws(JSONError) -> Self {
        var text = text
        let result = text.withUTF8 { bytes in Result { () throws(JSONError) -> Self in try parse(json: bytes) } }
        return try result.get()
    }
}

/// A recursive-descent JSON reader over UTF-8 bytes (RFC 8259; nesting limited to 512).
@usableFromInline
struct JSONReader {
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline var index = 0

    @inlinable
    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    @inlinable
    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    @inlinable
    func fail(_ reason: String) -> JSONError { JSONError(offset: index, reason: reason) }

    @inlinable
    mutating func value<Value: JSONBuildable>(depth: Int) throws(JSONError) -> Value {
        guard depth < 512 else { throw fail("nested too deeply") }
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(String, Value)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .json(object: members) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key string") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end in object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .json(object: members) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [Value] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .json(array: items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end in array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .json(array: items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .json(try string())
        case UInt8(ascii: "t"): return try keyword("true", .json(true))
        case UInt8(ascii: "f"): return try keyword("false", .json(false))
        case UInt8(ascii: "n"): return try keyword("null", .jsonNull)
        default: return try number()
        }
    }

    @inlinable
    mutating func keyword<Value>(_ word: StaticString, _ value: Value) throws(JSONError) -> Value {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unknown literal") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw fail("unknown literal") }
        index += count
        return value
    }

    /// A number as RFC 8259 writes it: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`,
    /// no leading `+` or zeros; one that overflows a Double is an error.
    @inlinable
    mutating func number<Value: JSONBuildable>() throws(JSONError) -> Value {
        let start = index
        func digits() -> Int {
            let first = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            return index - first
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else {
            index = start
            throw fail(bytes[index] == UInt8(ascii: "-") ? "a '-' must be followed by a digit" : "unexpected character")
        }
        if bytes[index] == 48 {
            index += 1
            if index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { throw fail("a number must not have leading zeros") }
        } else {
            _ = digits()
        }
        var isFloat = false
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isFloat = true
            index += 1
            guard digits() > 0 else { throw fail("a '.' must be followed by digits") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isFloat = true
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("an exponent must have digits") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if !isFloat, let integer = Int(text) { return .json(integer: integer) }
        guard let double = Double(text), double.isFinite else {
            index = start
            throw fail("the number \(text.prefix(40)) is too large")
        }
        if !isFloat, let big = Value.json(bigInteger: text) { return big }
        return .json(double)
    }

    /// A string: valid UTF-8, no unescaped control characters, only JSON's escapes, and
    /// `\u` escapes that name Unicode scalars (a high surrogate must be followed by a low one).
    @inlinable
    mutating func string() throws(JSONError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            index += 1
            return try validUTF8(UnsafeBufferPointer(rebasing: bytes[start..<index - 1]), at: start)
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 { throw fail("a control character (\(byte)) must be escaped in a string") }
            index += 1
            if byte == UInt8(ascii: "\"") {
                return try out.withUnsafeBufferPointer { buffer throws(JSONError) in try validUTF8(buffer, at: start) }
            }
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("a high surrogate \\u escape must be followed by a low one")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("a high surrogate \\u escape must be followed by a low one") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("a lone low surrogate \\u escape") }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: throw JSONError(offset: index - 2, reason: "unknown escape '\\\(Character(Unicode.Scalar(escape)))'")
            }
        }
        throw fail("unterminated string")
    }

    /// The bytes as a String, or an error naming the offset where they stop being UTF-8.
    @inlinable
    func validUTF8(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONError) -> String {
        do {
            return try UTF8Text.decode(buffer)
        } catch {
            throw JSONError(offset: start + error.offset, reason: "invalid UTF-8 in a string")
        }
    }

    @inlinable
    mutating func hex4() throws(JSONError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("invalid \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case 48...57: digit = byte - 48
            case 65...70: digit = byte - 55
            case 97...102: digit = byte - 87
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }
}
