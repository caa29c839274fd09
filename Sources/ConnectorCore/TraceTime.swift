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

    /// `YYYY-MM-DDTHH:MM[:SS]`, written digit by digit into the string's own buffer: the
    /// trace formats two or three times per decision, and interpolating each part
    /// allocated a string per part.
    private static func format(_ date: Date, offset: Int, seconds: Bool) -> String {
        // Times outside what the connector accepts (SupportedTime) can still reach here
        // through the library's API: clamped, they print as a far year instead of trapping.
        let clamped = min(max((date.timeIntervalSince1970 + Double(offset)).rounded(.down), -1e15), 1e15)
        var time = time_t(Int(clamped))
        var parts = tm()
        gmtime_r(&time, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else {
            return "\(year)-\(parts.tm_mon + 1)-\(parts.tm_mday)T\(parts.tm_hour):\(parts.tm_min)" + (seconds ? ":\(parts.tm_sec)" : "")
        }
        return String(unsafeUninitializedCapacity: 19) { buffer in
            var index = 0
            func put(_ value: Int, digits: Int) {
                var divisor = 1
                for _ in 1..<digits { divisor *= 10 }
                while divisor > 0 {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value / divisor % 10)
                    index += 1
                    divisor /= 10
                }
            }
            func put(_ character: Unicode.Scalar) {
                buffer[index] = UInt8(ascii: character)
                index += 1
            }
            put(year, digits: 4)
            put("-")
            put(Int(parts.tm_mon) + 1, digits: 2)
            put("-")
            put(Int(parts.tm_mday), digits: 2)
            put("T")
            put(Int(parts.tm_hour), digits: 2)
            put(":")
            put(Int(parts.tm_min), digits: 2)
            if seconds {
                put(":")
                put(Int(parts.tm_sec), digits: 2)
            }
            return index
        }
    }
}
