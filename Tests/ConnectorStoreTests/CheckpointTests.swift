import ConnectorCore
import Foundation
import Testing

@testable import ConnectorStore

@Suite("WAL checkpoints")
struct CheckpointTests {
    func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test("commits past the threshold reach the database file, and the WAL stays bounded")
    func checkpointsCopyTheWAL() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("c.sqlite").path
        // Threshold 64 pages: the writer checkpoints after the commits that pass it, and
        // the WAL file is cut back to 256 pages.
        let store = try SQLiteStore(path: path, checkpointPages: 64)
        var followUp = active("F")  // receipts of follow-ups are indexed by user (R7)
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        let engine = ConnectorEngine(campaigns: [active("T"), followUp], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        for campaign in [active("T"), followUp] { try store.install(campaign) }
        let before = fileSize(path)
        for batch in 0..<48 {
            let events = (0..<150).map { index in
                interact(.pushReceived, "F", user: UserID("user-\(batch)-\(index)"), at: scenarioStart.addingTimeInterval(Double(batch * 150 + index)))
            }
            #expect(try store.ingest(events, engine: engine, now: scenarioStart).accepted == 150)
        }
        let walPages = fileSize(path + "-wal") / 4120
        #expect(walPages <= 256, "the WAL stayed at most four times the threshold (\(walPages) pages)")
        #expect(fileSize(path) > before + 25 * 4096, "pages were copied into the database file (\(before) -> \(fileSize(path)) bytes)")
        // And what was copied is what was written.
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.receipts(for: "user-23-149", since: scenarioStart).count == 1)
    }
}
