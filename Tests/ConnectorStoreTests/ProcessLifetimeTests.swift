import ChildProcess
import Foundation
import Testing

/// Nothing the demo (or a test) starts outlives it: its loopback peer is stopped and
/// waited for when the demo ends, and exits by itself when the demo is killed.
@Suite("Process lifetime")
struct ProcessLifetimeTests {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func demo(in folder: URL, requests: Int) throws -> ChildProcess {
        try ChildProcess(
            executable: CrashSafetyTests.connectorPath,
            arguments: ["demo", "--requests", "\(requests)", "--database", folder.appendingPathComponent("demo.sqlite").path,
                        "--campaigns", repository.appendingPathComponent("Examples/campaigns").path],
            standardError: .standardOutput
        )
    }

    /// The pid the demo prints on its `loopback server:` line.
    func peerPID(in line: String) -> pid_t? {
        guard let range = line.range(of: ", pid ") else { return nil }
        return pid_t(line[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("the demo's loopback peer has exited when the demo ends")
    func demoStopsItsPeer() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrashSafetyTests.connectorPath))
        let folder = try makeTemporaryFolder("lifetime")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (output, termination) = await (try demo(in: folder, requests: 50)).outputAndTermination()
        let text = String(decoding: output, as: UTF8.self)
        #expect(termination == .exited(0), "\(text)")
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("loopback server:") }, "\(text)")
        let pid = try #require(peerPID(in: String(line)), "\(line)")
        #expect(!isRunning(pid), "the peer (pid \(pid)) is still running after the demo ended")
    }

    @Test("the demo's loopback peer exits by itself when the demo is killed (-9)")
    func killedDemoLeavesNoPeer() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrashSafetyTests.connectorPath))
        let folder = try makeTemporaryFolder("lifetime")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Enough requests that it is still sending when it is killed.
        let demo = try demo(in: folder, requests: 10_000_000)
        var line: String?
        repeat { line = await demo.readLine() } while line.map { !$0.hasPrefix("loopback server:") } ?? false
        let pid = try #require(line.flatMap(peerPID), "the demo printed no peer: \(line ?? "<end of output>")")
        #expect(isRunning(pid))
        #expect(demo.terminate(signal: SIGKILL) == .signalled(SIGKILL))
        // The peer writes its standard error into the same pipe as the demo (inherited):
        // the pipe ends only once the peer has exited too.
        let rest = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: demo.readToEnd(timeout: .seconds(60))) }
        }
        #expect(rest != nil, "the peer (pid \(pid)) still holds the pipe a minute after the demo was killed")
        #expect(!isRunning(pid), "the peer (pid \(pid)) outlived the killed demo")
    }
}

/// `ChildProcess` itself, with a program that does nothing about its signal state.
@Suite("Child processes")
struct ChildProcessTests {
    /// The `SigBlk:` or `SigIgn:` mask of a process, as /proc shows it (hexadecimal).
    func mask(_ name: String, of pid: pid_t) throws -> String {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("\(name):") })
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }

    @Test("a child started from a thread that blocks every signal blocks none and ignores no standard one, and SIGTERM ends it")
    func cleanSignalState() async throws {
        let started: Result<ChildProcess, any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var every = sigset_t()
                sigfillset(&every)
                pthread_sigmask(SIG_BLOCK, &every, nil)  // as Swift's concurrency threads do
                signal(SIGPIPE, SIG_IGN)  // as servers do (harmless here: the transport never raises it)
                continuation.resume(returning: Result { try ChildProcess(executable: "/bin/cat") })
            }
        }
        let child = try started.get()
        #expect(try mask("SigBlk", of: child.pid) == "0000000000000000")
        // The standard signals (1-31); the C library keeps its own real-time ones (32, 33).
        let standard: UInt64 = 0x7fff_ffff
        let ignored = try #require(UInt64(try mask("SigIgn", of: child.pid), radix: 16))
        #expect(ignored & standard == 0, "the child ignores signals (mask \(String(ignored, radix: 16)))")
        #expect(child.terminate() == .signalled(SIGTERM))
    }

    @Test("a child inherits no descriptor but its standard streams, even one opened without close-on-exec")
    func noInheritedDescriptors() async throws {
        let descriptor = open("/dev/null", O_RDONLY)  // no O_CLOEXEC: a plain spawn would hand it on
        try #require(descriptor > 2)
        defer { close(descriptor) }
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"])
        let (output, termination) = await child.outputAndTermination()
        let open = String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
        #expect(termination == .exited(0))
        #expect(open.contains(0) && open.contains(1) && open.contains(2), "\(open)")
        #expect(!open.contains(descriptor), "the child holds the parent's descriptor \(descriptor): \(open)")
    }

    @Test("a child sees the end of its standard input when the parent closes it, and its exit status is reported")
    func inputEndAndExitStatus() async throws {
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "cat; echo done; exit 3"])
        child.closeInput()
        let (output, termination) = await child.outputAndTermination()
        #expect(String(decoding: output, as: UTF8.self) == "done\n")
        #expect(termination == .exited(3))
    }
}

/// Whether `pid` is a live process (not gone, not a zombie waiting to be reaped).
func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
    return state != "Z" && state != "X"
}
