import ConnectorCore
import Foundation
import JSONCore
import Testing

@Suite("Attribute values as JSON")
struct AttributeJSONTests {
    @Test("JSON text reads into attribute values: numbers, escapes, surrogate pairs, nesting")
    func reads() throws {
        let value = try AttributeValue(json: #" {"n": -1.5e2, "i": 42, "s": "a\"b\\c\u00e9\ud83d\ude00\n", "l": [true, false, null], "o": {}} "#)
        #expect(value == .object(["n": .number(-150), "i": .number(42), "s": .string("a\"b\\cé😀\n"),
                                  "l": .array([.bool(true), .bool(false), .null]), "o": .object([:])]))
    }

    @Test("what is written reads back the same, keys sorted")
    func roundTrip() throws {
        let value = AttributeValue.object(["b": .array([.number(1), .number(0.5), .string("tab\there")]), "a": .null, "c": .string("\u{1}")])
        #expect(value.jsonText == #"{"a":null,"b":[1,0.5,"tab\there"],"c":"\u0001"}"#)
        #expect(try AttributeValue(json: value.jsonText) == value)
    }

    @Test("malformed JSON is an error with the byte offset", arguments: [
        (#"{"a": }"#, 6), (#"[1, 2"#, 5), (#"{"a": tru}"#, 6), (#""open"#, 5), (#"{} x"#, 3), (#"01x"#, 2),
    ])
    func errors(text: String, offset: Int) {
        #expect(throws: JSONError.self) { try AttributeValue(json: text) }
        do { _ = try AttributeValue(json: text) } catch { #expect(error.offset == offset, "\(error)") }
    }
}
