import Foundation

/// `date`: formats a time with strftime directives. The input is `"now"`/`"today"` (the
/// injected clock), a Unix timestamp, or a date string (ISO 8601, `2024-03-14`,
/// `2024-03-14 09:30:00`, `March 14, 2024`, RFC 2822); anything else passes through.
enum DateFilter {
    static let date: Filter = { value, arguments throws(LiquidError) in
        try arguments.expect(1...1)
        let format = arguments.positional[0].text
        guard !format.isEmpty else { return value }
        guard let (instant, zone) = parse(value, state: arguments.state),
              abs(instant.timeIntervalSince1970) <= latestSeconds else { return value }
        return .string(strftime(format, instant, zone))
    }

    /// The end of year 9999 (and, negated, as far before 1970): times further out pass
    /// through unformatted, as text `date` cannot read does.
    static let latestSeconds: Double = 253_402_300_799

    static func parse(_ value: LiquidValue, state: RenderState) -> (Date, TimeZone)? {
        let zone = state.options.timeZone
        switch value {
        case .int(let seconds): return (Date(timeIntervalSince1970: TimeInterval(seconds)), zone)
        case .double(let seconds): return (Date(timeIntervalSince1970: seconds), zone)
        case .string(let raw):
            let text = raw.trimmingSpaces()
            if text == "now" || text == "today" { return (state.options.now(), zone) }
            if !text.hasPrefix("-"), let seconds = Int(text) { return (Date(timeIntervalSince1970: TimeInterval(seconds)), zone) }
            return parseString(text, zone: zone)
        default:
            return nil
        }
    }

    private static func parseString(_ text: String, zone: TimeZone) -> (Date, TimeZone)? {
        if let fast = parseISO(text, zone: zone) { return fast }
        guard let parts = WrittenDate.parse(text) else { return nil }
        return instant(year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute,
                       second: parts.second, fraction: 0, offset: parts.offset, zone: zone)
    }

    /// `yyyy-MM-dd`, optionally `[T ]HH:mm[:ss[.fff]]` and `Z`/`±hh:mm`/`±hhmm`, parsed by
    /// hand: the common case.
    static func parseISO(_ text: String, zone: TimeZone) -> (Date, TimeZone)? {
        let b = Array(text.utf8)
        func number(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for i in at..<at + count {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard b.count >= 10, let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2),
              b[7] == UInt8(ascii: "-"), let day = number(8, 2), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0, fraction = 0.0
        var i = 10
        if i < b.count && (b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ")) {
            guard let h = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let m = number(i + 4, 2) else { return nil }
            hour = h
            minute = m
            i += 6
            if i < b.count && b[i] == UInt8(ascii: ":") {
                guard let s = number(i + 1, 2) else { return nil }
                second = s
                i += 3
                if i < b.count && b[i] == UInt8(ascii: ".") {
                    var j = i + 1, scale = 0.1
                    while j < b.count && b[j] >= 48 && b[j] <= 57 { fraction += Double(b[j] - 48) * scale; scale /= 10; j += 1 }
                    i = j
                }
            }
        }
        var offset: Int?
        if i < b.count && b[i] == UInt8(ascii: " ") { i += 1 }
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") && i + 1 == b.count {
                offset = 0
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                guard let hours = number(i + 1, 2) else { return nil }
                var minutesAt = i + 3
                if minutesAt < b.count && b[minutesAt] == UInt8(ascii: ":") { minutesAt += 1 }
                guard let minutes = number(minutesAt, 2), minutesAt + 2 == b.count else { return nil }
                offset = sign * (hours * 3600 + minutes * 60)
            } else {
                return nil
            }
        }
        return instant(year: year, month: month, day: day, hour: hour, minute: minute, second: second, fraction: fraction,
                       offset: offset, zone: zone)
    }

    /// The instant of a local date and time: at `offset` seconds east of UTC when given
    /// (then in that offset's zone), else in `zone`.
    // swiftlint:disable:next function_parameter_count
    private static func instant(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, fraction: Double,
                                offset: Int?, zone: TimeZone) -> (Date, TimeZone) {
        let days = CivilDate.days(year: year, month: month, day: day)
        let local = Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
        if let offset {
            return (Date(timeIntervalSince1970: local - Double(offset)), TimeZone(secondsFromGMT: offset) ?? zone)
        }
        // A local time in `zone`: correct by the zone's offset at about that instant.
        let guess = Date(timeIntervalSince1970: local)
        let zoneOffset = zone.secondsFromGMT(for: guess.addingTimeInterval(-Double(zone.secondsFromGMT(for: guess))))
        return (Date(timeIntervalSince1970: local - Double(zoneOffset)), zone)
    }

    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    static func strftime(_ format: String, _ date: Date, _ zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let interval = date.timeIntervalSince1970 + Double(offset)
        let whole = Int(interval.rounded(.down))
        let nanosecond = Int(((interval - Double(whole)) * 1e9).rounded())
        let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let secondsOfDay = whole - days * 86_400
        let (year, month, day) = CivilDate.civil(days: days)
        let hour = secondsOfDay / 3600, minute = secondsOfDay % 3600 / 60, second = secondsOfDay % 60
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
        let dayOfYear = days - CivilDate.days(year: year, month: 1, day: 1) + 1

        var out = ""
        var characters = Array(format)
        var i = 0
        func pad(_ value: Int, _ width: Int, _ flag: Character?, _ fill: Character = "0") -> String {
            let text = String(value)
            if flag == "-" { return text }
            let padChar: Character = flag == "_" ? " " : (flag == "0" ? "0" : fill)
            return String(repeating: String(padChar), count: max(0, width - text.count)) + text
        }
        while i < characters.count {
            let character = characters[i]
            guard character == "%", i + 1 < characters.count else {
                out.append(character)
                i += 1
                continue
            }
            i += 1
            var flag: Character?
            if "-_0^#".contains(characters[i]), i + 1 < characters.count {
                flag = characters[i]
                i += 1
            }
            let directive = characters[i]
            i += 1
            var piece: String
            switch directive {
            case "Y": piece = String(year)
            case "C": piece = pad(year / 100, 2, flag)
            case "y": piece = pad(year % 100, 2, flag)
            case "m": piece = pad(month, 2, flag)
            case "B": piece = monthNames[month - 1]
            case "b", "h": piece = String(monthNames[month - 1].prefix(3))
            case "d": piece = pad(day, 2, flag)
            case "e": piece = pad(day, 2, flag ?? "_", " ")
            case "j": piece = pad(dayOfYear, 3, flag)
            case "H": piece = pad(hour, 2, flag)
            case "k": piece = pad(hour, 2, flag ?? "_", " ")
            case "I": piece = pad(hour % 12 == 0 ? 12 : hour % 12, 2, flag)
            case "l": piece = pad(hour % 12 == 0 ? 12 : hour % 12, 2, flag ?? "_", " ")
            case "M": piece = pad(minute, 2, flag)
            case "S": piece = pad(second, 2, flag)
            case "L": piece = pad(nanosecond / 1_000_000, 3, flag)
            case "N": piece = pad(nanosecond, 9, flag)
            case "p": piece = hour < 12 ? "AM" : "PM"
            case "P": piece = hour < 12 ? "am" : "pm"
            case "A": piece = dayNames[weekday]
            case "a": piece = String(dayNames[weekday].prefix(3))
            case "u": piece = String(weekday == 0 ? 7 : weekday)
            case "w": piece = String(weekday)
            case "s": piece = String(Int(date.timeIntervalSince1970))
            case "z":
                let sign = offset < 0 ? "-" : "+"
                piece = sign + pad(abs(offset) / 3600, 2, nil) + pad(abs(offset) % 3600 / 60, 2, nil)
            case "Z": piece = zone.abbreviation(for: date) ?? "UTC"
            case "D", "x": piece = strftime("%m/%d/%y", date, zone)
            case "F": piece = strftime("%Y-%m-%d", date, zone)
            case "T", "X": piece = strftime("%H:%M:%S", date, zone)
            case "R": piece = strftime("%H:%M", date, zone)
            case "r": piece = strftime("%I:%M:%S %p", date, zone)
            case "c": piece = strftime("%a %b %e %H:%M:%S %Y", date, zone)
            case "n": piece = "\n"
            case "t": piece = "\t"
            case "%": piece = "%"
            default: piece = "%" + (flag.map(String.init) ?? "") + String(directive)
            }
            if flag == "^" { piece = piece.uppercased() }
            out += piece
        }
        characters.removeAll()
        return out
    }
}

/// Days since 1970-01-01 to and from a proleptic Gregorian date (H. Hinnant's algorithms).
package enum CivilDate {
    package static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// 28 to 31.
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
