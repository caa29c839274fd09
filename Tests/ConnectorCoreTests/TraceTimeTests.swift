import Foundation
import Testing

@testable import ConnectorCore

/// The decision trace's timestamps, written by hand for speed: they must read like
/// ISO 8601 (zero-padded, UTC with seconds, or local without).
@Suite("Trace timestamps")
struct TraceTimeTests {
    func date(_ text: String) throws -> Date {
        try #require(TraceTime.parse(text))
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
}
