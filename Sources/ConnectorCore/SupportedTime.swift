import Foundation
import Liquid

/// The times the connector accepts in events, campaign files and on the command line:
/// RFC 3339 text (`2026-03-02T09:05:00Z`, `2026-03-02T10:05:00.250+01:00`) or seconds
/// since 1970, from 1970-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z.
///
/// Anything else is an error at the door: a real calendar date (no `2026-02-30`), hours
/// 00-23, minutes and seconds 00-59, a zone (`Z` or `±HH:MM`). Nothing derived from an
/// accepted time (delays, the dedupe window, the trace) can then leave the range that
/// dates and integers represent.
public enum SupportedTime {
    /// The earliest time accepted: 1970-01-01T00:00:00Z.
    public static let earliest = Date(timeIntervalSince1970: 0)
    /// The first time not accepted: 2200-01-01T00:00:00Z.
    public static let end = Date(timeIntervalSince1970: 7_258_118_400)

    /// Why a time was refused, for a person.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Reads RFC 3339 text, within the supported range.
    public static func parse(_ text: String) throws(Failure) -> Date {
        guard let date = rfc3339(Array(text.utf8)) else {
            throw Failure(description: "'\(text.prefix(64))' is not an RFC 3339 time such as 2026-03-02T09:05:00Z (a real date, hours 00-23, a zone Z or +01:00)")
        }
        return try check(date, as: "'\(text.prefix(64))'")
    }

    /// Seconds since 1970, within the supported range.
    public static func seconds(_ value: Double) throws(Failure) -> Date {
        guard value.isFinite else { throw Failure(description: "\(value) is not a time") }
        return try check(Date(timeIntervalSince1970: value), as: "\(value) seconds since 1970")
    }

    /// The date, if it is within the supported range.
    public static func check(_ date: Date, as shown: String) throws(Failure) -> Date {
        guard date >= earliest, date < end else {
            throw Failure(description: "\(shown) is outside the supported times, 1970-01-01T00:00:00Z up to 2200-01-01T00:00:00Z")
        }
        return date
    }

    /// `YYYY-MM-DD(T|t| )HH:MM:SS(.fraction)?(Z|z|±HH:MM)`; nil for anything else.
    static func rfc3339(_ bytes: [UInt8]) -> Date? {
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + digits] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2)
        else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if index - start < 9 { fraction += Double(bytes[index] - 48) * scale }  // nanoseconds; the rest is noise
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if expect("Zz") {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = number(2), expect(":"), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
