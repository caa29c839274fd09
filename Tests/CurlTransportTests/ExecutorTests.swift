import PeerSupport
import CurlTransport
import Foundation
import Testing

@Suite("The event loop as a task executor")
struct ExecutorTests {
    @Test("tasks that prefer the client's executor run on its loop thread and their requests complete")
    func runsOnLoopThread() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let client = CurlClient()
        let (threadNames, statuses) = await withTaskExecutorPreference(client.executor) {
            await withTaskGroup(of: (String, Int).self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let status = (try? await client.execute(HTTPRequest(url: peer.url("/echo?i=\(i)"))))?.status ?? -1
                        return (currentThreadName(), status)
                    }
                }
                var names: Set<String> = [], statuses: [Int] = []
                for await (name, status) in group {
                    names.insert(name)
                    statuses.append(status)
                }
                return (names, statuses)
            }
        }
        #expect(statuses.count == 20 && statuses.allSatisfy { $0 == 200 })
        #expect(threadNames == ["curl-event-loop"], "ran on \(threadNames)")
        await client.shutdown()

        // After shutdown, work that prefers the executor still runs (elsewhere), and
        // requests fail cleanly instead of hanging.
        let late = await withTaskExecutorPreference(client.executor) {
            await expectTransportError { _ = try await client.execute(HTTPRequest(url: peer.url("/echo"))) }
        }
        #expect(late?.reason == .clientShutdown)
    }
}

/// The name of the thread running the caller (a synchronous helper, as async code may not
/// ask for `Thread.current`).
private func currentThreadName() -> String {
    let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
    return name.trimmingCharacters(in: .whitespacesAndNewlines)
}
