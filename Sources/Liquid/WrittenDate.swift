/// The date forms people write, read by hand (DateFormatter cost about a millisecond a
/// call here, so a loop of `date` over text could take minutes; found by fuzzing):
/// `March 14, 2024`, `Mar 14, 2024 09:30`, `14 March 2024`, RFC 2822's
/// `Thu, 14 Mar 2024 09:30:00 +0100`, `2024/03/14` and `03/14/2024`, each with an optional
/// `HH:mm[:ss]` and an optional offset (`+0100`, `+01:00`, `GMT`, `UT`, `UTC`, `Z`).
/// ISO 8601 is ``DateFilter/parseISO(_:zone:)``'s.
enum WrittenDate {
    private enum Token: Equatable {
        case number(Int, digits: Int)
        case word(String)
        case mark(UInt8)
    }

    private static let months = DateFilter.monthNames.map { $0.lowercased() }
    private static let days = DateFilter.dayNames.map { $0.lowercased() }

    /// The parts of a date and time, or nil when the text is none of the forms.
    struct Parts: Equatable {
        var year: Int, month: Int, day: Int, hour = 0, minute = 0, second = 0
        /// Seconds east of UTC when the text gives an offset.
        var offset: Int?
    }

    static func parse(_ text: String) -> Parts? {
        guard text.utf8.count <= 64, let tokens = tokens(text) else { return nil }
        var rest = tokens
        var parts = Parts(year: 0, month: 0, day: 0)
        // A time: number ':' number [':' number].
        if let colon = rest.firstIndex(of: .mark(UInt8(ascii: ":"))), colon > 0, colon + 1 < rest.count,
           case .number(let hour, _) = rest[colon - 1], case .number(let minute, let minuteDigits) = rest[colon + 1], minuteDigits == 2 {
            var end = colon + 2
            var second = 0
            if end + 1 < rest.count, rest[end] == .mark(UInt8(ascii: ":")), case .number(let s, let digits) = rest[end + 1], digits == 2 {
                second = s
                end += 2
            }
            guard hour < 24, minute < 60, second <= 60 else { return nil }
            (parts.hour, parts.minute, parts.second) = (hour, minute, second)
            // An offset right after the time: +hhmm, +hh:mm, or a zone name.
            if end < rest.count, rest[end] == .mark(UInt8(ascii: "+")) || rest[end] == .mark(UInt8(ascii: "-")) {
                let sign = rest[end] == .mark(UInt8(ascii: "-")) ? -1 : 1
                if end + 1 < rest.count, case .number(let hhmm, 4) = rest[end + 1] {
                    parts.offset = sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60)
                    end += 2
                } else if end + 3 < rest.count, case .number(let hh, 2) = rest[end + 1], rest[end + 2] == .mark(UInt8(ascii: ":")),
                          case .number(let mm, 2) = rest[end + 3] {
                    parts.offset = sign * (hh * 3600 + mm * 60)
                    end += 4
                } else {
                    return nil
                }
                guard let offset = parts.offset, abs(offset) <= 18 * 3600 else { return nil }
            } else if end < rest.count, case .word(let name) = rest[end], ["gmt", "ut", "utc", "z"].contains(name) {
                parts.offset = 0
                end += 1
            }
            rest.removeSubrange(colon - 1..<end)
        }
        // An optional weekday, with or without a comma after it.
        if let first = rest.first, case .word(let name) = first, days.contains(where: { $0 == name || $0.prefix(3) == name }) {
            rest.removeFirst()
            if rest.first == .mark(UInt8(ascii: ",")) { rest.removeFirst() }
        }
        let monthIndex = rest.firstIndex { token in
            if case .word(let name) = token { return month(name) != nil }
            return false
        }
        if let monthIndex, case .word(let name) = rest[monthIndex], let month = month(name) {
            // `March 14, 2024`, `14 March 2024`, `14 Mar 2024`: a day and a four-digit year.
            rest.remove(at: monthIndex)
            let numbers = rest.compactMap { token -> (Int, Int)? in
                if case .number(let value, let digits) = token { return (value, digits) }
                return nil
            }
            guard rest.allSatisfy({ token in
                if case .number = token { return true }
                return token == .mark(UInt8(ascii: ","))
            }), numbers.count == 2 else { return nil }
            guard let year = numbers.first(where: { $0.1 == 4 }), let day = numbers.first(where: { $0.1 <= 2 }) else { return nil }
            (parts.year, parts.month, parts.day) = (year.0, month, day.0)
        } else {
            // `2024/03/14` or `03/14/2024`.
            guard rest.count == 5, rest[1] == .mark(UInt8(ascii: "/")), rest[3] == .mark(UInt8(ascii: "/")),
                  case .number(let a, let aDigits) = rest[0], case .number(let b, let bDigits) = rest[2],
                  case .number(let c, let cDigits) = rest[4], bDigits <= 2 else { return nil }
            if aDigits == 4, cDigits <= 2 {
                (parts.year, parts.month, parts.day) = (a, b, c)
            } else if cDigits == 4, aDigits <= 2 {
                (parts.year, parts.month, parts.day) = (c, a, b)
            } else {
                return nil
            }
        }
        guard (1...9999).contains(parts.year), (1...12).contains(parts.month),
              (1...CivilDate.daysInMonth(year: parts.year, month: parts.month)).contains(parts.day) else { return nil }
        return parts
    }

    private static func month(_ name: String) -> Int? {
        if let full = months.firstIndex(of: name) { return full + 1 }
        if name.count == 3 || name == "sept", let short = months.firstIndex(where: { $0.hasPrefix(name) }) { return short + 1 }
        return nil
    }

    /// Numbers, lower-cased words and marks; nil for anything else (the forms are ASCII).
    private static func tokens(_ text: String) -> [Token]? {
        var tokens: [Token] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case 32, 9:
                i += 1
            case 48...57:
                var j = i, value = 0
                while j < bytes.count, bytes[j] >= 48, bytes[j] <= 57, j - i < 9 {
                    value = value * 10 + Int(bytes[j] - 48)
                    j += 1
                }
                guard j == bytes.count || !(bytes[j] >= 48 && bytes[j] <= 57) else { return nil }
                tokens.append(.number(value, digits: j - i))
                i = j
            case 65...90, 97...122:
                var j = i
                while j < bytes.count, (bytes[j] >= 65 && bytes[j] <= 90) || (bytes[j] >= 97 && bytes[j] <= 122) { j += 1 }
                guard j - i <= 9 else { return nil }
                tokens.append(.word(String(decoding: bytes[i..<j], as: UTF8.self).lowercased()))
                i = j
            case UInt8(ascii: ","), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                tokens.append(.mark(byte))
                i += 1
            default:
                return nil
            }
        }
        return tokens
    }
}
