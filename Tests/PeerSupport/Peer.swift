import ChildProcess
import Foundation

/// A test peer: a real server in a child process (Python), started on a free loopback
/// port and stopped when the test is done.
///
/// Peers print `READY {json}` on their first stdout line. Python comes from
/// `CONNECTOR_PEER_PYTHON`, else the virtualenv `scripts/install-peers.sh` makes
/// (`.peers/venv`), else `python3` on the PATH. A peer is a ``ChildProcess``: it exits
/// when stopped, when this object goes away, and when the test process dies.
public final class Peer: Sendable {
    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let port: Int
    public let caPath: String?
    public let workdir: URL
    public let process: ChildProcess

    private init(process: ChildProcess, port: Int, caPath: String?, workdir: URL) {
        self.process = process
        self.port = port
        self.caPath = caPath
        self.workdir = workdir
    }

    deinit { stop() }

    /// The repository root (this file is Tests/PeerSupport/Peer.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var python: String {
        if let explicit = ProcessInfo.processInfo.environment["CONNECTOR_PEER_PYTHON"], !explicit.isEmpty {
            return explicit
        }
        let venv = repositoryRoot.appendingPathComponent(".peers/venv/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        return "python3"
    }

    /// Starts `Tests/Peers/<script>` with `arguments`, waits for its READY line.
    public static func start(_ script: String, _ arguments: [String] = [], needs modules: String) async throws -> Peer {
        let workdir = FileManager.default.temporaryDirectory
            .appendingPathComponent("connector-peer-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
        let scriptPath = repositoryRoot.appendingPathComponent("Tests/Peers/\(script)").path
        let stderrPath = workdir.appendingPathComponent("stderr.log")
        let process = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: [python, "-u", scriptPath] + arguments.map { $0 == "WORKDIR" ? workdir.path : $0 },
            standardError: .file(stderrPath.path)
        )
        // Kill a peer that never becomes ready, so the read below sees end of file.
        let watchdog = Task.detached {
            do { try await Task.sleep(for: .seconds(40)) } catch { return }  // cancelled: it became ready
            process.send(signal: SIGKILL)
        }
        let line = await process.readLine()
        watchdog.cancel()

        guard let line, line.hasPrefix("READY "),
              let json = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any],
              let port = json["port"] as? Int
        else {
            let termination = process.terminate(signal: SIGKILL)
            let stderr = (try? String(contentsOf: stderrPath, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: workdir)
            throw StartFailure(description: """
                test peer \(script) did not start (python: \(python); \(termination)). It needs the Python \
                package(s) \(modules): install them with `bash scripts/install-peers.sh` \
                (or set CONNECTOR_PEER_PYTHON to a Python that has them).
                stdout: \(line ?? "<nothing>")
                stderr: \(stderr.suffix(2000))
                """)
        }
        return Peer(process: process, port: port, caPath: json["ca"] as? String, workdir: workdir)
    }

    /// Stops the peer, waits until it has exited, and removes its work folder.
    public func stop() {
        process.terminate(signal: SIGKILL)
        try? FileManager.default.removeItem(at: workdir)
    }

    /// `http://127.0.0.1:PORT` + path.
    public func url(_ path: String, scheme: String = "http", host: String = "127.0.0.1") -> String {
        "\(scheme)://\(host):\(port)\(path)"
    }
}

/// A TCP port on 127.0.0.1 with nothing listening (bound, then released).
public func closedLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
