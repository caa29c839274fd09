/// Bytes that must be UTF-8 (JSON strings, lines of a JSON Lines file): the text, or the
/// offset of the first byte where they stop being UTF-8, never a silent replacement.
public enum UTF8Text {
    /// Where bytes stop being UTF-8: the 0-based offset of the first bad sequence.
    public struct Invalid: Error, Sendable, Equatable {
        public let offset: Int
    }

    /// The bytes as a String, or where they stop being UTF-8.
    public static func decode<Bytes: Collection>(_ bytes: Bytes) throws(Invalid) -> String where Bytes.Element == UInt8 {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while case .scalarValue(let scalar) = decoder.decode(&iterator) { offset += UTF8.width(scalar) }
        throw Invalid(offset: offset)
    }
}
