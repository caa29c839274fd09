import Foundation
import Testing

@testable import ConnectorCore

/// The decision trace's timestamps, written by hand for speed: they must read like
/// ISO 8601 (zero-padded, UTC with seconds, or local without).
@Suite("Trace timestamps")
struct TraceTimeTests {
    func date(_ text: String) throws -> Date {
        try SupportedTime.parse(text)
    }

    @Test("UTC with seconds and a Z, every field zero-padded")
    func iso() throws {
        #expect(TraceTime.iso(try date("2026-03-02T09:05:07Z")) == "2026-03-02T09:05:07Z")
        #expect(TraceTime.iso(try date("2026-12-31T23:59:59Z")) == "2026-12-31T23:59:59Z")
        #expect(TraceTime.iso(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(TraceTime.iso(Date(timeIntervalSince1970: 0.999)) == "1970-01-01T00:00:00Z", "seconds are truncated, not rounded")
        #expect(TraceTime.iso(Date(timeIntervalSince1970: 981_173_106)) == "2001-02-03T04:05:06Z")
    }

    @Test("local time without seconds, across a DST change (Europe/Berlin, America/New_York)")
    func local() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(TraceTime.local(try date("2026-03-29T00:59:00Z"), berlin) == "2026-03-29T01:59")
        #expect(TraceTime.local(try date("2026-03-29T01:00:00Z"), berlin) == "2026-03-29T03:00")
        #expect(TraceTime.local(try date("2026-11-01T05:30:00Z"), newYork) == "2026-11-01T01:30")
        #expect(TraceTime.local(try date("2026-11-01T06:30:00Z"), newYork) == "2026-11-01T01:30")
        #expect(TraceTime.local(try date("2026-01-01T04:59:59Z"), newYork) == "2025-12-31T23:59")
    }

    @Test("a date far outside the supported range prints instead of trapping")
    func farDates() {
        #expect(!TraceTime.iso(Date(timeIntervalSince1970: 1e300)).isEmpty)
        #expect(!TraceTime.local(Date(timeIntervalSince1970: -1e300), .gmt).isEmpty)
    }
}

@Suite("Supported times (RFC 3339, 1970 up to 2200)")
struct SupportedTimeTests {
    @Test("RFC 3339 reads as the instant it names", arguments: [
        ("2026-03-02T09:05:00Z", 1_772_442_300.0), ("2026-03-02t09:05:00z", 1_772_442_300.0),
        ("2026-03-02 10:05:00+01:00", 1_772_442_300.0), ("2026-03-02T04:05:00.250-05:00", 1_772_442_300.25), ("2026-03-02T09:05:00.5000000000001Z", 1_772_442_300.5),
        ("1970-01-01T00:00:00Z", 0), ("2024-02-29T12:00:00Z", 1_709_208_000), ("2199-12-31T23:59:59Z", 7_258_118_399),
    ])
    func reads(_ text: String, _ seconds: Double) throws {
        #expect(try SupportedTime.parse(text).timeIntervalSince1970 == seconds)
    }

    @Test("not a real time, not RFC 3339, or outside the range: refused", arguments: [
        "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
        "2026-03-02T24:00:00Z", "2026-03-02T10:60:00Z", "2026-03-02T10:00:60Z", "2026-03-02T10:00:00", "2026-03-02",
        "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "99999-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z",
        "2026-03-02T10:00:00+25:00", "2026-03-02T10:00:00Z ", " 2026-03-02T10:00:00Z", "2026-3-2T10:00:00Z", "soon",
        "2026-03-02T10:00:00.Z",
    ])
    func refused(_ text: String) {
        #expect(throws: SupportedTime.Failure.self) { try SupportedTime.parse(text) }
    }

    @Test("seconds since 1970: within the range, finite")
    func seconds() throws {
        #expect(try SupportedTime.seconds(1_772_442_300).timeIntervalSince1970 == 1_772_442_300)
        for bad in [-1, 7_258_118_400, 1e300, -1e300, 9.4e18, Double.nan, Double.infinity] {
            #expect(throws: SupportedTime.Failure.self, "\(bad)") { try SupportedTime.seconds(bad) }
        }
    }
}
