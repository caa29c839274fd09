import CChildProcess
import Foundation
import Synchronization

/// A child process started with a clean signal state, whose life is tied to its parent's.
///
/// Foundation's `Process` hands the child the signal mask of the thread that starts it.
/// Swift's concurrency threads block most signals, so a child started from a task could
/// never receive `SIGTERM`. `ChildProcess` starts the program with `posix_spawn`, an
/// empty signal mask and every signal's default action, and connects its standard input
/// to a pipe that only this process holds: when the parent exits (or is killed), the
/// child reads end of file on standard input, which the project's peers take as the
/// signal to exit.
///
/// ```swift
/// let peer = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", "-u", "peer.py"])
/// let ready = peer.readLine()          // "READY {...}"
/// peer.terminate()                     // SIGTERM, then waits for the exit
/// ```
///
/// Every method that waits blocks the calling thread; the `async` variants wait on a
/// thread of their own, so that the cooperative pool stays free.
public final class ChildProcess: @unchecked Sendable {
    /// Where the child's standard error goes.
    public enum ErrorOutput: Sendable {
        /// Discarded (`/dev/null`).
        case discard
        /// This process's standard error.
        case inherit
        /// Into the same pipe as standard output.
        case standardOutput
        /// Appended to the file at this path (created if missing).
        case file(String)
    }

    /// How a child ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signalled(let signal): "signal \(signal)"
            }
        }
    }

    /// The child could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        /// The program that was to run.
        public let executable: String
        /// `errno` of the failed call.
        public let code: Int32
        public var description: String {
            "cannot start \(executable): \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    /// The child's process id.
    public let pid: pid_t


    private let state: Mutex<State>
    private struct State {
        var inputFD: Int32
        var outputFD: Int32
        var termination: Termination?
    }

    /// Starts `executable` (a path; `/usr/bin/env` finds a program on the `PATH`) with
    /// `arguments`, its standard output on a pipe this object reads.
    ///
    /// - Parameter environment: the child's environment, `name=value`; `nil` inherits this
    ///   process's.
    public init(executable: String, arguments: [String] = [], environment: [String]? = nil,
                standardError: ErrorOutput = .discard) throws {
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1]
        guard cchildprocess_pipe_cloexec(&input) == 0 else { throw SpawnError(executable: executable, code: errno) }
        guard cchildprocess_pipe_cloexec(&output) == 0 else {
            let code = errno
            close(input[0]); close(input[1])
            throw SpawnError(executable: executable, code: code)
        }
        defer { close(input[0]); close(output[1]) }  // the child's ends, once it has them

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        switch standardError {
        case .discard:
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        case .inherit:
            break
        case .standardOutput:
            posix_spawn_file_actions_adddup2(&actions, output[1], 2)
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 2, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        // Last, so the streams above are in place: the child gets its standard streams
        // only, not the sockets and files this process has open (a test's client
        // connection, a listening socket), whoever opened them.
        cchildprocess_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), everySignal = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&everySignal)
        // Neither can be caught, so neither needs a default; some C libraries fail the
        // spawn when asked to reset them.
        sigdelset(&everySignal, SIGKILL)
        sigdelset(&everySignal, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result: Int32
        if let environment {
            let envp = environment.map { strdup($0) } + [nil]
            defer { envp.forEach { free($0) } }
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        } else {
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard result == 0 else {
            close(input[1]); close(output[0])
            throw SpawnError(executable: executable, code: result)
        }
        self.pid = pid
        state = Mutex(State(inputFD: input[1], outputFD: output[0], termination: nil))
    }

    deinit {
        terminate(signal: SIGKILL)
        state.withLock { state in
            if state.outputFD >= 0 { close(state.outputFD) }
        }
    }

    /// Reads one line of the child's standard output (without its newline); `nil` at end
    /// of file before any byte of a line.
    public func readLine() -> String? {
        let fd = state.withLock { $0.outputFD }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count == 1 {
                if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(byte)
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
            }
        }
    }

    /// ``readLine()`` on a thread of its own.
    public func readLine() async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.readLine() as String?) }
        }
    }

    /// Reads the child's standard output to its end (the child exited or closed it).
    public func readToEnd() -> [UInt8] {
        readToEnd(until: nil) ?? []
    }

    /// Reads the child's standard output to its end, for at most `timeout`; `nil` when the
    /// time ran out first. The end comes when every process holding the pipe (the child
    /// and whatever it passed it on to) has closed it or exited.
    public func readToEnd(timeout: Duration) -> [UInt8]? {
        readToEnd(until: ContinuousClock.now.advanced(by: timeout))
    }

    private func readToEnd(until deadline: ContinuousClock.Instant?) -> [UInt8]? {
        let fd = state.withLock { $0.outputFD }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let deadline {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero else { return nil }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
                guard poll(&poller, 1, milliseconds) > 0 else { continue }  // time left, or EINTR: look again
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                result.append(contentsOf: buffer[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return result
            }
        }
    }

    /// Closes the child's standard input: the project's peers exit when they see its end.
    public func closeInput() {
        state.withLock { state in
            if state.inputFD >= 0 { close(state.inputFD); state.inputFD = -1 }
        }
    }

    /// Sends `signal` to the child, if it has not been waited for yet.
    public func send(signal: Int32) {
        state.withLock { state in
            if state.termination == nil { kill(pid, signal) }
        }
    }

    /// Waits for the child to end and returns how it ended (at once when it is known).
    @discardableResult
    public func wait() -> Termination {
        if let known = state.withLock({ $0.termination }) { return known }
        // Wait for the exit without reaping, so that the pid cannot be reused while
        // `send(signal:)` may still use it; reap under the lock.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        return state.withLock { state in
            if let known = state.termination { return known }  // another thread reaped it
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
            let termination: Termination = (status & 0x7f) == 0
                ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
            state.termination = termination
            if state.inputFD >= 0 { close(state.inputFD); state.inputFD = -1 }
            return termination
        }
    }

    /// ``wait()`` on a thread of its own.
    public func wait() async -> Termination {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.wait()) }
        }
    }

    /// Closes standard input (a program that reads it sees its end), then reads standard
    /// output to its end and waits for the exit, on a thread of its own.
    public func outputAndTermination() async -> ([UInt8], Termination) {
        closeInput()
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: (self.readToEnd(), self.wait())) }
        }
    }

    /// Ends the child (`SIGTERM` by default) and waits until it has exited, so that
    /// nothing it started from this object outlives the call.
    @discardableResult
    public func terminate(signal: Int32 = SIGTERM) -> Termination {
        send(signal: signal)
        closeInput()
        return wait()
    }
}
