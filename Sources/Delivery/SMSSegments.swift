import Foundation

/// How an SMS body travels: its encoding and how many segments it takes.
///
/// A body of GSM 03.38 characters (the basic set and the extension table) goes as GSM-7,
/// anything else as UCS-2. One segment holds 160 septets or 70 UCS-2 units; a longer
/// body is split into segments of 153 septets or 67 units (the rest of each holds the
/// concatenation header). A split never falls inside a character: an extension-table
/// character's escape and code (2 septets), or a UTF-16 surrogate pair (an emoji, say),
/// moves whole to the next segment, so a body can take one segment more than
/// `units / 153` (or `/ 67`) rounded up.
///
/// The empty body is 0 units in 1 segment (it is still a message), in GSM-7.
///
/// | body | encoding | units | segments |
/// |---|---|---:|---:|
/// | 160 × "a" | GSM-7 | 160 | 1 |
/// | 161 × "a" | GSM-7 | 161 | 2 |
/// | 80 × "€" | GSM-7 | 160 | 1 |
/// | 70 × "ł" | UCS-2 | 70 | 1 |
/// | 71 × "ł" | UCS-2 | 71 | 2 |
public struct SMSSegments: Codable, Sendable, Equatable {
    /// The character encoding of an SMS.
    public enum Encoding: String, Codable, Sendable {
        /// GSM 03.38's 7-bit default alphabet, with its extension table.
        case gsm7 = "GSM-7"
        /// UTF-16 (UCS-2 on the wire; phones read surrogate pairs).
        case ucs2 = "UCS-2"
    }

    /// The encoding the body needs.
    public var encoding: Encoding
    /// Septets (GSM-7, extension-table characters count 2) or UTF-16 code units (UCS-2).
    public var units: Int
    /// How many SMS the body takes: 1 for a body of up to 160 septets or 70 units.
    public var segments: Int

    /// The encoding and segments of `body`, as it is (no normalisation: a decomposed "é"
    /// is an "e" and a combining accent, which needs UCS-2).
    public init(_ body: String) {
        var septets = 0
        var isGSM = true
        for c in body.unicodeScalars {
            if Self.basic.contains(c) {
                septets += 1
            } else if Self.extended.contains(c) {
                septets += 2
            } else {
                isGSM = false
                break
            }
        }
        if isGSM {
            encoding = .gsm7
            units = septets
            segments = septets <= 160 ? 1 : Self.pack(
                body.unicodeScalars.lazy.map { Self.extended.contains($0) ? 2 : 1 }, size: 153)
        } else {
            encoding = .ucs2
            units = body.utf16.count
            segments = units <= 70 ? 1 : Self.pack(body.unicodeScalars.lazy.map { $0.utf16.count }, size: 67)
        }
    }

    /// How many segments of `size` units the characters of these widths fill, none split.
    private static func pack(_ widths: some Sequence<Int>, size: Int) -> Int {
        var segments = 1
        var used = 0
        for width in widths {
            if used + width > size {
                segments += 1
                used = 0
            }
            used += width
        }
        return segments
    }

    /// GSM 03.38's basic character set (0x1B, the escape to the extension table, aside).
    /// Position 0x09 is the capital "Ç"; "ç" is not in the set.
    private static let basic = Set((
        "@£$¥èéùìòÇ\nØø\rÅå\u{394}_\u{3A6}\u{393}\u{39B}\u{3A9}\u{3A0}\u{3A8}\u{3A3}\u{398}\u{39E}ÆæßÉ"
            + " !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
            + "¿abcdefghijklmnopqrstuvwxyzäöñüà"
    ).unicodeScalars)
    /// GSM 03.38's extension table: each is the escape and a code, 2 septets.
    private static let extended = Set("\u{0C}^{}\\[]~|€".unicodeScalars)
}
