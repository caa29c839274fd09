import CCurl
import Foundation
import Synchronization

/// The event loop: one thread that owns a libcurl multi handle and drives every
/// transfer of one client.
///
/// Other threads talk to it only through ``submit(_:)``, ``cancel(_:)`` and
/// ``shutdown(gracePeriod:)``, which queue work under a mutex and wake the loop with
/// `curl_multi_wakeup` (only when it sleeps, to save a system call per request under
/// load). Everything else, including the table of active transfers, belongs to the
/// loop thread.
final class CurlMultiLoop: @unchecked Sendable {
    struct Limits: Sendable {
        var maxConnectionsPerHost: Int
        var maxTotalConnections: Int
        var maxCachedConnections: Int
        var maxConcurrentStreams: Int
    }

    private struct Inbox {
        var adds: [CurlEasyTransfer] = []
        var cancels: [CurlEasyTransfer] = []
        var sleeping = false
        var acceptingWork = true
        var shutdownDeadline: ContinuousClock.Instant?
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
        var stopped = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    /// Loop thread only.
    private var active: [UnsafeMutableRawPointer: CurlEasyTransfer] = [:]

    init(limits: Limits) {
        CurlGlobal.ensureInitialized()
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed (out of memory)") }
        self.multi = multi
        _ = cc_multi_setopt_long(multi, CURLMOPT_PIPELINING, cc_pipe_multiplex)
        _ = cc_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, limits.maxConnectionsPerHost)
        _ = cc_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, limits.maxTotalConnections)
        _ = cc_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, limits.maxCachedConnections)
        _ = cc_multi_setopt_long(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams)
        let thread = Thread { [self] in self.run() }
        thread.name = "CurlTransport.loop"
        thread.start()
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    /// Queues a configured transfer. Returns `false` once the loop is shutting down.
    func submit(_ transfer: CurlEasyTransfer) -> Bool {
        let wake: Bool? = inbox.withLock { state in
            guard state.acceptingWork else { return nil }
            state.adds.append(transfer)
            defer { state.sleeping = false }
            return state.sleeping
        }
        guard let wake else { return false }
        if wake { curl_multi_wakeup(multi) }
        return true
    }

    /// Asks the loop to abort a transfer; it completes with `.cancelled`.
    func cancel(_ transfer: CurlEasyTransfer) {
        transfer.cancelRequested.store(true, ordering: .releasing)
        let wake = inbox.withLock { state in
            if state.stopped { return false }
            state.cancels.append(transfer)
            defer { state.sleeping = false }
            return state.sleeping
        }
        if wake { curl_multi_wakeup(multi) }
    }

    /// Stops accepting transfers, lets running ones finish for up to `gracePeriod`, then
    /// fails the rest with `.shutdown`, and stops the thread.
    func shutdown(gracePeriod: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped = inbox.withLock { state in
                if state.stopped { return true }
                state.acceptingWork = false
                let deadline = ContinuousClock.now.advanced(by: gracePeriod)
                state.shutdownDeadline = min(state.shutdownDeadline ?? deadline, deadline)
                state.shutdownWaiters.append(continuation)
                state.sleeping = false
                return false
            }
            if alreadyStopped {
                continuation.resume()
            } else {
                curl_multi_wakeup(multi)
            }
        }
    }

    // MARK: The loop thread

    private func run() {
        var running: Int32 = 0
        while true {
            let (adds, cancels, deadline) = inbox.withLock { state in
                let work = (state.adds, state.cancels, state.shutdownDeadline)
                state.adds.removeAll(keepingCapacity: true)
                state.cancels.removeAll(keepingCapacity: true)
                return work
            }
            for transfer in adds {
                if transfer.cancelRequested.load(ordering: .acquiring) {
                    transfer.complete(.cancelled)
                    continue
                }
                let code = curl_multi_add_handle(multi, transfer.handle)
                if code == CURLM_OK {
                    active[transfer.handle] = transfer
                } else {
                    transfer.complete(.finished(CURLE_FAILED_INIT))
                }
            }
            for transfer in cancels {
                if active.removeValue(forKey: transfer.handle) != nil {
                    curl_multi_remove_handle(multi, transfer.handle)
                    transfer.complete(.cancelled)
                }
            }
            if let deadline, active.isEmpty || ContinuousClock.now >= deadline {
                finishShutdown()
                return
            }

            curl_multi_perform(multi, &running)
            collectFinished()

            // Sleep until a socket is ready, curl's own timer fires, or a submitter wakes us.
            var timeout = 1000
            _ = curl_multi_timeout(multi, &timeout)
            if timeout < 0 || timeout > 1000 { timeout = 1000 }
            if let deadline {
                let left = ContinuousClock.now.duration(to: deadline)
                timeout = max(0, min(timeout, left.roundedUpMilliseconds))
            }
            if timeout > 0 {
                let mustPoll = inbox.withLock { state in
                    if !state.adds.isEmpty || !state.cancels.isEmpty { return false }
                    state.sleeping = true
                    return true
                }
                if mustPoll {
                    curl_multi_poll(multi, nil, 0, Int32(timeout), nil)
                    inbox.withLock { $0.sleeping = false }
                }
            }
        }
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let result = cc_msg_result(message)
            curl_multi_remove_handle(multi, handle)
            active.removeValue(forKey: handle)?.complete(.finished(result))
        }
    }

    private func finishShutdown() {
        for (handle, transfer) in active {
            curl_multi_remove_handle(multi, handle)
            transfer.complete(.shutdown)
        }
        active.removeAll()
        let (adds, waiters) = inbox.withLock { state in
            state.stopped = true
            let work = (state.adds, state.shutdownWaiters)
            state.adds.removeAll()
            state.cancels.removeAll()
            state.shutdownWaiters.removeAll()
            return work
        }
        for transfer in adds { transfer.complete(.shutdown) }
        for waiter in waiters { waiter.resume() }
    }
}
