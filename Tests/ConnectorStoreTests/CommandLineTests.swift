import Foundation
import Testing

/// The `connector` subcommands a campaigns-as-code pipeline and an operator use.
@Suite("connector check-campaigns and trace")
struct CommandLineTests {
    /// Runs the built `connector` with `arguments`; returns (exit status, standard output).
    func connector(_ arguments: [String]) async throws -> (Int32, String) {
        let path = CrashSafetyTests.connectorPath
        try #require(FileManager.default.isExecutableFile(atPath: path), "build the connector executable first (swift build): \(path)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // Not waitUntilExit: it can hang inside Swift concurrency on Linux.
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return (process.terminationStatus, text)
    }

    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the example campaigns check clean (exit 0)")
    func examplesAreClean() async throws {
        let (status, output) = try await connector(["check-campaigns", repository.appendingPathComponent("Examples/campaigns").path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("4 campaigns read: 0 error(s), 0 warning(s)"))
    }

    @Test("a misspelt field and a loop: the error and the warning are printed, and the exit status is 1")
    func errorsFailTheCheck() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "id: a\ntrigger: { kind: push_opened, campaign: b }\nexeptions: []\n".write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "id: b\ntrigger: { kind: push_opened, campaign: c }\n".write(to: folder.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        try "id: c\ntrigger: { kind: push_opened, campaign: b }\n".write(to: folder.appendingPathComponent("c.yml"), atomically: true, encoding: .utf8)
        let (status, output) = try await connector(["check-campaigns", folder.path])
        #expect(status == 1)
        #expect(output.contains("error: a.yaml: exeptions: unknown field 'exeptions'; did you mean 'exceptions'?"), "\(output)")
        #expect(output.contains("b -> c -> b"), "\(output)")
    }

    @Test("trace shows a user's decisions from the demo's database")
    func traceFromDatabase() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("demo.sqlite").path
        let (demoStatus, demoOutput) = try await connector(["demo", "--requests", "1", "--database", database,
                                                            "--campaigns", repository.appendingPathComponent("Examples/campaigns").path])
        try #require(demoStatus == 0, "\(demoOutput)")
        let (status, output) = try await connector(["trace", "--database", database, "bob"])
        #expect(status == 0)
        #expect(output.contains("fifteen-off  scheduled"), "\(output)")
        #expect(output.contains("cancelled: exception purchase at 2026-03-02T09:20:00Z"), "\(output)")
        let (_, nobody) = try await connector(["trace", "--database", database, "nobody"])
        #expect(nobody.contains("no decisions recorded for user nobody"))
    }
}
