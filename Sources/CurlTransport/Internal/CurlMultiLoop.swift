import CCurl
import Foundation
import Synchronization

/// The event loop: one thread that owns a libcurl multi handle and drives every
/// transfer of one client.
///
/// It uses libcurl's socket interface (`curl_multi_socket_action`) on an epoll set:
/// libcurl tells the loop which sockets to watch and when its next timer is due, and
/// the loop hands libcurl only the sockets that are ready. Work per wake-up therefore
/// grows with the number of ready transfers, not with the number in flight (with
/// `curl_multi_perform`, every call visits every transfer).
///
/// Other threads talk to the loop only through ``submit(_:)``, ``cancel(_:)`` and
/// ``shutdown(gracePeriod:)``, which queue work under a mutex and signal an eventfd in
/// the epoll set, only when the loop sleeps (one system call saved per request under
/// load). Everything else belongs to the loop thread.
final class CurlMultiLoop: TaskExecutor, @unchecked Sendable {
    struct Limits: Sendable {
        var maxConnectionsPerHost: Int
        var maxTotalConnections: Int
        var maxCachedConnections: Int
        var maxConcurrentStreams: Int
    }

    private struct Inbox {
        var adds: [CurlEasyTransfer] = []
        var cancels: [CurlEasyTransfer] = []
        var jobs: [UnownedJob] = []
        var sleeping = false
        var acceptingWork = true
        var shutdownDeadline: ContinuousClock.Instant?
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
        var stopped = false
    }

    private let multi: UnsafeMutableRawPointer
    private let epoll: Int32
    private let wakeup: Int32
    private let inbox = Mutex(Inbox())
    // Loop thread only:
    private var active: [UnsafeMutableRawPointer: CurlEasyTransfer] = [:]
    private var timerDeadline: ContinuousClock.Instant?
    /// Per file descriptor: the epoll mask registered (-1: none), the mask libcurl
    /// wants (0: none), and whether the socket is a connection this loop saw libcurl open
    /// (and will see it close). See ``watch(_:what:)``.
    private var registeredMask: [Int32] = []
    private var wantedMask: [Int32] = []
    private var tracked: [Bool] = []

    init(limits: Limits) {
        CurlGlobal.ensureInitialized()
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed (out of memory)") }
        self.multi = multi
        epoll = cc_epoll_create()
        wakeup = cc_eventfd()
        precondition(epoll >= 0 && wakeup >= 0, "epoll/eventfd unavailable: errno \(errno)")
        _ = cc_epoll_watch(epoll, wakeup, 1)

        _ = cc_multi_setopt_long(multi, CURLMOPT_PIPELINING, cc_pipe_multiplex)
        _ = cc_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, limits.maxConnectionsPerHost)
        _ = cc_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, limits.maxTotalConnections)
        _ = cc_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, limits.maxCachedConnections)
        _ = cc_multi_setopt_long(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams)
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = cc_multi_setopt_socket_callback(multi, curlSocketCallback)
        _ = cc_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, context)
        _ = cc_multi_setopt_timer_callback(multi, curlTimerCallback)
        _ = cc_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, context)

        let thread = Thread { [self] in self.run() }
        thread.start()
    }

    deinit {
        curl_multi_cleanup(multi)
        close(epoll)
        close(wakeup)
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
        if wake { cc_eventfd_signal(wakeup) }
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
        if wake { cc_eventfd_signal(wakeup) }
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
                cc_eventfd_signal(wakeup)
            }
        }
    }

    // MARK: Task executor

    /// Runs a job of a task that prefers this loop (`withTaskExecutorPreference`) on the
    /// loop thread, between libcurl calls. A request made from such a task and the
    /// continuation that resumes it then never leave the loop thread.
    /// After shutdown the loop thread is gone; jobs then run on Dispatch's global queue.
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let wake: Bool? = inbox.withLock { state in
            if state.stopped { return nil }
            state.jobs.append(unowned)
            defer { state.sleeping = false }
            return state.sleeping
        }
        switch wake {
        case .none: runElsewhere([unowned])
        case .some(true): cc_eventfd_signal(wakeup)
        case .some(false): break
        }
    }

    private func runElsewhere(_ jobs: [UnownedJob]) {
        let executor = asUnownedTaskExecutor()
        for job in jobs {
            DispatchQueue.global().async { job.runSynchronously(on: executor) }
        }
    }

    // MARK: Callbacks from libcurl (loop thread)

    /// libcurl's socket callback: watch `socket` for `what` (in, out, both, remove).
    ///
    /// epoll_ctl is costly, and libcurl removes a connection's socket after every
    /// transfer and adds it again for the next one. So a removed connection socket stays
    /// registered for reading (an idle keep-alive connection is quiet), and a later
    /// request for the same mask costs no system call. An event on a socket libcurl does
    /// not want drops the registration then. This is done only for sockets opened and
    /// closed through the open/close-socket callbacks, so a closed descriptor (which the
    /// kernel drops from the epoll set itself) is always forgotten before its number is
    /// reused; other descriptors (the resolver's) are unregistered at once.
    fileprivate func watch(_ socket: Int32, what: Int32) {
        let fd = Int(socket)
        ensureCapacity(fd)
        if what == CURL_POLL_REMOVE {
            wantedMask[fd] = 0
            if !tracked[fd] || registeredMask[fd] & CURL_POLL_OUT != 0 {  // OUT would fire forever
                _ = cc_epoll_unwatch(epoll, socket)
                registeredMask[fd] = -1
            }
            return
        }
        wantedMask[fd] = what
        if registeredMask[fd] != what {
            _ = cc_epoll_watch(epoll, socket, what)
            registeredMask[fd] = what
        }
    }

    private func ensureCapacity(_ fd: Int) {
        guard fd >= registeredMask.count else { return }
        let newCount = max(fd + 1, registeredMask.count * 2, 64)
        registeredMask.append(contentsOf: repeatElement(-1, count: newCount - registeredMask.count))
        wantedMask.append(contentsOf: repeatElement(0, count: newCount - wantedMask.count))
        tracked.append(contentsOf: repeatElement(false, count: newCount - tracked.count))
    }

    /// libcurl opened a connection socket (through the open-socket callback).
    fileprivate func socketOpened(_ socket: Int32) {
        guard socket >= 0 else { return }
        ensureCapacity(Int(socket))
        tracked[Int(socket)] = true
        registeredMask[Int(socket)] = -1
        wantedMask[Int(socket)] = 0
    }

    /// libcurl closed a connection socket (through the close-socket callback).
    fileprivate func socketClosed(_ socket: Int32) {
        let fd = Int(socket)
        guard fd >= 0, fd < registeredMask.count else { return }
        registeredMask[fd] = -1
        wantedMask[fd] = 0
        tracked[fd] = false
    }

    /// An event arrived for `socket`: whether libcurl wants it (else it is unregistered).
    private func isWanted(_ socket: Int32) -> Bool {
        let fd = Int(socket)
        if fd < wantedMask.count && wantedMask[fd] != 0 { return true }
        _ = cc_epoll_unwatch(epoll, socket)
        if fd < registeredMask.count { registeredMask[fd] = -1 }
        return false
    }

    /// The context pointer for per-handle callbacks that reach the loop.
    var callbackContext: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    fileprivate func setTimer(milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : ContinuousClock.now.advanced(by: .milliseconds(milliseconds))
    }

    // MARK: The loop thread

    /// The loop thread's name, as `top -H`, perf and debuggers show it (15 bytes at most).
    static let threadName = "curl-event-loop"

    private func run() {
        cc_set_thread_name(Self.threadName)
        var running: Int32 = 0
        var readyFDs = [Int32](repeating: 0, count: 256)
        var readyFlags = [Int32](repeating: 0, count: 256)
        while true {
            let (jobs, adds, cancels, deadline) = inbox.withLock { state in
                let work = (state.jobs, state.adds, state.cancels, state.shutdownDeadline)
                state.jobs.removeAll(keepingCapacity: true)
                state.adds.removeAll(keepingCapacity: true)
                state.cancels.removeAll(keepingCapacity: true)
                return work
            }
            for job in jobs {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
            for transfer in adds {
                if transfer.cancelRequested.load(ordering: .acquiring) {
                    transfer.complete(.cancelled)
                    continue
                }
                // Adding sets a 0 ms timer through the timer callback: the transfer starts below.
                if curl_multi_add_handle(multi, transfer.handle) == CURLM_OK {
                    active[transfer.handle] = transfer
                } else {
                    transfer.complete(.finished(CURLE_FAILED_INIT))
                }
            }
            for transfer in cancels where active.removeValue(forKey: transfer.handle) != nil {
                curl_multi_remove_handle(multi, transfer.handle)
                transfer.complete(.cancelled)
            }
            if let deadline, active.isEmpty || ContinuousClock.now >= deadline {
                finishShutdown()
                return
            }
            fireTimerIfDue(&running)
            collectFinished()

            // Sleep until a socket is ready, libcurl's timer is due, or a submitter wakes us.
            var timeout = 1000
            let now = ContinuousClock.now
            if let timerDeadline { timeout = min(timeout, max(0, now.duration(to: timerDeadline).roundedUpMilliseconds)) }
            if let deadline { timeout = min(timeout, max(0, now.duration(to: deadline).roundedUpMilliseconds)) }
            let mayBlock = timeout > 0 && inbox.withLock { state in
                if !state.adds.isEmpty || !state.cancels.isEmpty || !state.jobs.isEmpty { return false }
                state.sleeping = true
                return true
            }
            let count = cc_epoll_wait(epoll, &readyFDs, &readyFlags, Int32(readyFDs.count), mayBlock ? Int32(timeout) : 0)
            if mayBlock { inbox.withLock { $0.sleeping = false } }
            if count > 0 {
                for index in 0..<Int(count) {
                    let fd = readyFDs[index]
                    if fd == wakeup {
                        cc_eventfd_drain(wakeup)
                    } else if isWanted(fd) {
                        curl_multi_socket_action(multi, fd, readyFlags[index], &running)
                    }
                }
            }
            fireTimerIfDue(&running)
            collectFinished()
        }
    }

    private func fireTimerIfDue(_ running: inout Int32) {
        guard let deadline = timerDeadline, ContinuousClock.now >= deadline else { return }
        timerDeadline = nil
        curl_multi_socket_action(multi, cc_socket_timeout, 0, &running)
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
        let (adds, waiters, jobs) = inbox.withLock { state in
            state.stopped = true
            let work = (state.adds, state.shutdownWaiters, state.jobs)
            state.jobs.removeAll()
            state.adds.removeAll()
            state.cancels.removeAll()
            state.shutdownWaiters.removeAll()
            return work
        }
        for transfer in adds { transfer.complete(.shutdown) }
        for waiter in waiters { waiter.resume() }
        runElsewhere(jobs)
    }
}

// MARK: C callbacks (non-capturing; the loop arrives through the user pointer)

private let curlSocketCallback: cc_socket_callback = { _, socket, what, user, _ in
    guard let user else { return 0 }
    Unmanaged<CurlMultiLoop>.fromOpaque(user).takeUnretainedValue().watch(socket, what: what)
    return 0
}

/// Installed on every easy handle: lets the loop know the sockets libcurl opens.
let curlOpenSocketCallback: cc_opensocket_callback = { user, _, address in
    guard let address else { return -1 }
    let socket = cc_open_socket(address)
    if let user {
        Unmanaged<CurlMultiLoop>.fromOpaque(user).takeUnretainedValue().socketOpened(socket)
    }
    return socket
}

/// Installed on every easy handle: lets the loop forget a socket libcurl closes.
let curlCloseSocketCallback: cc_closesocket_callback = { user, socket in
    if let user {
        Unmanaged<CurlMultiLoop>.fromOpaque(user).takeUnretainedValue().socketClosed(socket)
    }
    return close(socket)
}

private let curlTimerCallback: cc_timer_callback = { _, milliseconds, user in
    guard let user else { return 0 }
    Unmanaged<CurlMultiLoop>.fromOpaque(user).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}
