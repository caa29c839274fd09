import Foundation

/// Cheap timestamp text for the decision trace (formatters are costly to create).
enum TraceTime {
    /// `2026-03-02T10:00:00Z`.
    static func iso(_ date: Date) -> String {
        format(date, offset: 0, seconds: true) + "Z"
    }

    /// `2026-03-02T11:00` in `zone`.
    static func local(_ date: Date, _ zone: TimeZone) -> String {
        format(date, offset: zone.secondsFromGMT(for: date), seconds: false)
    }

    /// Reads ISO 8601 (`2026-03-02T09:05:00Z`, with fractional seconds or an offset).
    static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    private static func format(_ date: Date, offset: Int, seconds: Bool) -> String {
        var time = time_t(Int((date.timeIntervalSince1970 + Double(offset)).rounded(.down)))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var text = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min))"
        if seconds { text += ":\(two(parts.tm_sec))" }
        return text
    }
}
