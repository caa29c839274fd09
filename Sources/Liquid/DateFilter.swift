import Foundation

/// `date`: formats a time with strftime directives. The input is `"now"`/`"today"` (the
/// injected clock), a Unix timestamp, or a date string (ISO 8601, `2024-03-14`,
/// `2024-03-14 09:30:00`, `March 14, 2024`, RFC 2822); anything else passes through.
enum DateFilter {
    static let date: Filter = { value, arguments throws(LiquidError) in
        try arguments.expect(1...1)
        let format = arguments.positional[0].text
        guard !format.isEmpty else { return value }
        guard let (instant, zone) = parse(value, state: arguments.state) else { return value }
        return .string(strftime(format, instant, zone))
    }

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

    private static let patterns: [(String, Bool)] = [
        ("yyyy-MM-dd'T'HH:mm:ssXXXXX", true), ("yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", true),
        ("yyyy-MM-dd HH:mm:ss XXXXX", true), ("yyyy-MM-dd HH:mm:ssXXXXX", true),
        ("EEE, d MMM yyyy HH:mm:ss Z", true),
        ("yyyy-MM-dd'T'HH:mm:ss", false), ("yyyy-MM-dd HH:mm:ss", false), ("yyyy-MM-dd HH:mm", false),
        ("yyyy-MM-dd", false), ("MMMM d, yyyy", false), ("MMM d, yyyy", false), ("d MMMM yyyy", false),
        ("MMMM d, yyyy HH:mm", false), ("yyyy/MM/dd", false), ("MM/dd/yyyy", false),
    ]

    private static func parseString(_ text: String, zone: TimeZone) -> (Date, TimeZone)? {
        for (pattern, hasOffset) in patterns {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = pattern
            guard let date = formatter.date(from: text) else { continue }
            if hasOffset, let offset = offsetSeconds(text) {
                return (date, TimeZone(secondsFromGMT: offset) ?? zone)
            }
            return (date, zone)
        }
        return nil
    }

    /// The UTC offset written at the end of a date string (`Z`, `+02:00`, `-0500`).
    private static func offsetSeconds(_ text: String) -> Int? {
        if text.hasSuffix("Z") { return 0 }
        let tail = text.suffix(6)
        guard let signIndex = tail.lastIndex(where: { $0 == "+" || $0 == "-" }) else { return nil }
        let digits = tail[tail.index(after: signIndex)...].filter(\.isNumber)
        guard digits.count == 4, let hours = Int(digits.prefix(2)), let minutes = Int(digits.suffix(2)) else { return nil }
        return (tail[signIndex] == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    private static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    static func strftime(_ format: String, _ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond], from: date)
        let year = c.year ?? 1970, month = c.month ?? 1, day = c.day ?? 1
        let hour = c.hour ?? 0, minute = c.minute ?? 0, second = c.second ?? 0
        let weekday = (c.weekday ?? 1) - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        let offset = zone.secondsFromGMT(for: date)

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
            case "L": piece = pad((c.nanosecond ?? 0) / 1_000_000, 3, flag)
            case "N": piece = pad(c.nanosecond ?? 0, 9, flag)
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
