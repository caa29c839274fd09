import PeerSupport
import ChildProcess
import Foundation
import Testing

@Suite("Test peers do not outlive their tests")
struct PeerLifetimeTests {
    @Test("a stopped peer has exited, and its child process was started with no signal blocked")
    func stoppedPeerIsGone() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let pid = peer.process.pid
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
        // Python itself blocks nothing in its main thread; a mask handed down from a Swift
        // thread would show here.
        #expect(blocked.map { $0.hasSuffix("0000000000000000") } == true, "\(blocked ?? "no SigBlk line")")
        peer.stop()
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)"), "pid \(pid) is still there after stop()")
    }

    @Test("a peer exits by itself when its parent closes (or loses) its standard input")
    func peerExitsWithParent() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        peer.process.closeInput()  // what the kernel does when the test process dies
        // Its output ends when it exits (bounded, so that a peer that stays fails the test
        // instead of hanging it); no signal was sent: the exit comes from end of file.
        let rest = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: peer.process.readToEnd(timeout: .seconds(60))) }
        }
        try #require(rest != nil, "the peer still runs a minute after its standard input ended")
        #expect(await peer.process.wait() == .exited(0))
    }
}
