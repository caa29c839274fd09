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
        (#"{"a": }"#, 6), (#"[1, 2"#, 5), (#"{"a": tru}"#, 6), (#""open"#, 5), (#"{} x"#, 3), (#"01x"#, 1),
        // RFC 8259's numbers only: no leading zeros, '+', bare '.', empty exponent, or overflow.
        (#"[007]"#, 2), (#"[+1]"#, 1), (#"[1.]"#, 3), (#"[.5]"#, 1), (#"[1e]"#, 3), (#"[-]"#, 1), (#"[1e999]"#, 1),
        // Strings: only JSON's escapes, surrogates in pairs, no raw control characters.
        (#"["\x"]"#, 2), (#"["\ud800\u0041"]"#, 14), (#"["\ud800"]"#, 8), (#"["\udc00"]"#, 8), ("[\"a\u{1}\"]", 3),
        (#"["\u12g4"]"#, 4), (#"["\u+123"]"#, 4),
    ])
    func errors(text: String, offset: Int) {
        // The reader's error, never a trap (a high surrogate with a non-surrogate after it trapped).
        #expect(throws: JSONError.self) { try AttributeValue(json: text) }
        do { _ = try AttributeValue(json: text) } catch { #expect(error.offset == offset, "\(error)") }
    }
}

@Suite("JSON text that is not UTF-8")
struct JSONUTF8Tests {
    @Test("invalid UTF-8 in a string is an error at its byte, not a silent replacement; a valid pair of surrogates reads as one scalar")
    func invalidUTF8() throws {
        let bytes: [UInt8] = Array(#"{"id":"ab"#.utf8) + [0xFF] + Array(#"c"}"#.utf8)
        let error = bytes.withUnsafeBufferPointer { buffer -> JSONError? in
            do { _ = try AttributeValue.parse(json: buffer); return nil } catch let error as JSONError { return error } catch { return nil }
        }
        #expect(error == JSONError(offset: 9, reason: "invalid UTF-8 in a string"))
        #expect(try AttributeValue(json: #"["\ud83d\ude00", "\/"]"#) == .array([.string("😀"), .string("/")]))
    }
}
