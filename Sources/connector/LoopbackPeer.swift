import Foundation

/// The project's standard-library HTTP peer (`Tests/Peers/http_peer.py`), started on a
/// free loopback port for the demo.
struct LoopbackPeer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    private let process: Process

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Peers/http_peer.py").path
    }

    /// Starts the peer and waits for its `READY {"port": N}` line.
    static func start() throws -> LoopbackPeer {
        guard FileManager.default.fileExists(atPath: script) else {
            throw Failure(description: "the demo peer \(script) is missing: run the demo from a checkout of the project")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start python3 for the demo peer (apt-get install -y python3): \(error)")
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        let fd = output.fileHandleForReading.fileDescriptor
        while read(fd, &byte, 1) == 1, byte != 10 { line.append(byte) }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("READY "),
              let json = try? JSONSerialization.jsonObject(with: Data(text.dropFirst(6).utf8)) as? [String: Any],
              let port = json["port"] as? Int
        else {
            kill(process.processIdentifier, SIGTERM)
            throw Failure(description: "the demo peer did not start (got '\(text)')")
        }
        return LoopbackPeer(port: port, process: process)
    }

    /// Stops the peer.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }
}
