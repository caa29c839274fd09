import Foundation

/// A test peer: a real server in a child process (Python), started on a free loopback
/// port and stopped when the test is done.
///
/// Peers print `READY {json}` on their first stdout line. Python comes from
/// `CONNECTOR_PEER_PYTHON`, else the virtualenv `scripts/install-peers.sh` makes
/// (`.peers/venv`), else `python3` on the PATH.
final class Peer: @unchecked Sendable {
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    let caPath: String?
    let workdir: URL
    private let process: Process

    private init(process: Process, port: Int, caPath: String?, workdir: URL) {
        self.process = process
        self.port = port
        self.caPath = caPath
        self.workdir = workdir
    }

    deinit { stop() }

    /// The repository root (this file is Tests/CurlTransportTests/Support/Peer.swift).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var python: String {
        if let explicit = ProcessInfo.processInfo.environment["CONNECTOR_PEER_PYTHON"], !explicit.isEmpty {
            return explicit
        }
        let venv = repositoryRoot.appendingPathComponent(".peers/venv/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        return "python3"
    }

    /// Starts `Tests/Peers/<script>` with `arguments`, waits for its READY line.
    static func start(_ script: String, _ arguments: [String] = [], needs modules: String) async throws -> Peer {
        let workdir = FileManager.default.temporaryDirectory
            .appendingPathComponent("connector-peer-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
        let scriptPath = repositoryRoot.appendingPathComponent("Tests/Peers/\(script)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-u", scriptPath] + arguments.map { $0 == "WORKDIR" ? workdir.path : $0 }
        let stdout = Pipe()
        let stderrPath = workdir.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: stderrPath.path, contents: nil)
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()

        // Kill a peer that never becomes ready, so the read below sees end of file.
        let watchdog = Task.detached {
            try? await Task.sleep(for: .seconds(40))
            if process.isRunning { process.terminate() }
        }
        let line = await readLine(stdout.fileHandleForReading.fileDescriptor)
        watchdog.cancel()

        guard let line, line.hasPrefix("READY "),
              let json = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any],
              let port = json["port"] as? Int
        else {
            if process.isRunning { process.terminate() }
            let stderr = (try? String(contentsOf: stderrPath, encoding: .utf8)) ?? ""
            throw StartFailure(description: """
                test peer \(script) did not start (python: \(python)). It needs the Python \
                package(s) \(modules): install them with `bash scripts/install-peers.sh` \
                (or set CONNECTOR_PEER_PYTHON to a Python that has them).
                stdout: \(line ?? "<nothing>")
                stderr: \(stderr.suffix(2000))
                """)
        }
        return Peer(process: process, port: port, caPath: json["ca"] as? String, workdir: workdir)
    }

    /// Stops the peer and removes its work folder.
    func stop() {
        // No waitUntilExit: it spins a run loop on a cooperative thread and can
        // deadlock the test process. Foundation reaps the child by itself.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: workdir)
    }

    /// `http://127.0.0.1:PORT` + path.
    func url(_ path: String, scheme: String = "http", host: String = "127.0.0.1") -> String {
        "\(scheme)://\(host):\(port)\(path)"
    }

    private static func readLine(_ fd: Int32) async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var bytes: [UInt8] = []
                var byte: UInt8 = 0
                var sawNewline = false
                while read(fd, &byte, 1) == 1 {
                    if byte == 10 { sawNewline = true; break }
                    bytes.append(byte)
                }
                continuation.resume(returning: bytes.isEmpty && !sawNewline ? nil : String(decoding: bytes, as: UTF8.self))
            }
        }
    }
}

/// A TCP port on 127.0.0.1 with nothing listening (bound, then released).
func closedLoopbackPort() -> Int {
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
