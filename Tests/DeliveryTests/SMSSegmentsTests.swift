import Delivery
import Foundation
import Testing

@Suite("SMS segments")
struct SMSSegmentsTests {
    func check(_ body: String, _ encoding: SMSSegments.Encoding, units: Int, segments: Int,
               sourceLocation: SourceLocation = #_sourceLocation) {
        let sms = SMSSegments(body)
        #expect(sms.encoding == encoding, sourceLocation: sourceLocation)
        #expect(sms.units == units, sourceLocation: sourceLocation)
        #expect(sms.segments == segments, sourceLocation: sourceLocation)
    }

    func a(_ count: Int) -> String { String(repeating: "a", count: count) }
    func ł(_ count: Int) -> String { String(repeating: "ł", count: count) }

    @Test("GSM-7: 160 septets in one segment, then 153 per segment")
    func gsm7() {
        check("hello", .gsm7, units: 5, segments: 1)
        check("", .gsm7, units: 0, segments: 1)
        check(a(160), .gsm7, units: 160, segments: 1)
        check(a(161), .gsm7, units: 161, segments: 2)
        check(a(153 * 2), .gsm7, units: 306, segments: 2)
        check(a(153 * 2 + 1), .gsm7, units: 307, segments: 3)
        check("Hi Zoé, ¿qué tal? 50% off @ £5\r\nÄÖÑÜ äöñüà ÅåØøÆæßÉ ÇèùìòΔΦΓΛΩΠΨΣΘΞ ¡¤§¥$_#!",
              .gsm7, units: 76, segments: 1)
        #expect(SMSSegments.Encoding.gsm7.rawValue == "GSM-7" && SMSSegments.Encoding.ucs2.rawValue == "UCS-2")
    }

    @Test("extension-table characters take 2 septets")
    func extensionTable() {
        check("€", .gsm7, units: 2, segments: 1)
        check("{}[]~|^\\\u{0C}€", .gsm7, units: 20, segments: 1)
        check(String(repeating: "€", count: 80), .gsm7, units: 160, segments: 1)
        check(String(repeating: "€", count: 81), .gsm7, units: 162, segments: 2)
        check(a(159) + "€", .gsm7, units: 161, segments: 2)
    }

    @Test("an escape and its character are never split across segments")
    func escapePairMoves() {
        // Segment 1 takes 152 a's; the € can't fit the one septet left, so it opens segment 2.
        check(a(152) + "€" + a(10), .gsm7, units: 164, segments: 2)
        // 306 septets would fill two segments exactly, but the moved € leaves segment 1 a
        // septet short: segment 2 is € + 151 a's (153), and the last a opens segment 3.
        check(a(152) + "€" + a(152), .gsm7, units: 306, segments: 3)
        // The same count with the € not straddling the boundary: two full segments.
        check(a(153) + "€" + a(151), .gsm7, units: 306, segments: 2)
        check(a(151) + "€" + a(153), .gsm7, units: 306, segments: 2)
    }

    @Test("UCS-2: 70 units in one segment, then 67 per segment")
    func ucs2() {
        check(ł(70), .ucs2, units: 70, segments: 1)
        check(ł(71), .ucs2, units: 71, segments: 2)
        check(ł(67 * 2), .ucs2, units: 134, segments: 2)
        check(ł(67 * 2 + 1), .ucs2, units: 135, segments: 3)
        // One character outside GSM-7 makes the whole body UCS-2.
        check(a(69) + "ł", .ucs2, units: 70, segments: 1)
        check(a(70) + "ł", .ucs2, units: 71, segments: 2)
        check("€ł", .ucs2, units: 2, segments: 1)
    }

    @Test("an emoji is a surrogate pair: 2 units, never split")
    func surrogatePairs() {
        check("😀", .ucs2, units: 2, segments: 1)
        check(String(repeating: "😀", count: 35), .ucs2, units: 70, segments: 1)
        check(String(repeating: "😀", count: 36), .ucs2, units: 72, segments: 2)
        // 134 units would fill two segments, but the pair can't take segment 1's last unit.
        check(ł(66) + "😀" + ł(66), .ucs2, units: 134, segments: 3)
        check(ł(67) + "😀" + ł(65), .ucs2, units: 134, segments: 2)
        // A family emoji is several scalars (and pairs), each counted.
        check("👨‍👩‍👧", .ucs2, units: 8, segments: 1)
    }

    @Test("characters outside GSM 03.38 need UCS-2", arguments: [
        "ç",  // the table's 0x09 is the capital Ç
        "e\u{301}",  // a decomposed é: the combining accent is not GSM
        "\u{1B}",  // the escape itself is no character
        "`", "\t", "’", "ł", "中",
    ])
    func outsideGSM(body: String) {
        #expect(SMSSegments(body).encoding == .ucs2)
        #expect(SMSSegments(body).units == body.utf16.count)
    }
}
