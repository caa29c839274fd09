import ChildProcess
import Foundation

/// The project's standard-library HTTP peer (`Tests/Peers/http_peer.py`), started on a
/// free loopback port for the demo. It is a ``ChildProcess``: `stop()` waits until it has
/// exited, and it exits by itself when the demo dies.
struct LoopbackPeer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    let process: ChildProcess

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Peers/http_peer.py").path
    }

    /// Starts the peer and waits for its `READY {"port": N}` line.
    static func start() throws -> LoopbackPeer {
        guard FileManager.default.fileExists(atPath: script) else {
            throw Failure(description: "the demo peer \(script) is missing: run the demo from a checkout of the project")
        }
        let process: ChildProcess
        do {
            process = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", "-u", script], standardError: .inherit)
        } catch {
            throw Failure(description: "cannot start python3 for the demo peer (apt-get install -y python3): \(error)")
        }
        let text = process.readLine() ?? ""
        guard text.hasPrefix("READY "),
              let json = try? JSONSerialization.jsonObject(with: Data(text.dropFirst(6).utf8)) as? [String: Any],
              let port = json["port"] as? Int
        else {
            let termination = process.terminate()
            throw Failure(description: "the demo peer did not start (got '\(text)', then \(termination))")
        }
        return LoopbackPeer(port: port, process: process)
    }

    /// Stops the peer and waits until it has exited.
    func stop() {
        process.terminate()
    }
}
