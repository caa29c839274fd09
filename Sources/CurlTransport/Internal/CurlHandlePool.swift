import CCurl
import Synchronization

/// Idle libcurl easy handles for reuse.
///
/// `curl_easy_init` allocates and zeroes a large structure and `curl_easy_cleanup` frees
/// it again; a reset handle is much cheaper to set up. Connections are not kept here:
/// they live in the multi handle's connection cache whatever the easy handle.
final class CurlHandlePool: Sendable {
    private struct Handles: @unchecked Sendable {
        var idle: [UnsafeMutableRawPointer] = []
    }

    private let handles = Mutex(Handles())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    deinit {
        handles.withLock { state in
            for handle in state.idle { curl_easy_cleanup(handle) }
            state.idle.removeAll()
        }
    }

    /// A handle with default options: a reused one, or a new one.
    func acquire() -> UnsafeMutableRawPointer? {
        if let handle = handles.withLock({ $0.idle.popLast() }) { return handle }
        CurlGlobal.ensureInitialized()
        return curl_easy_init()
    }

    /// Resets a handle that no transfer uses any more and keeps it, or frees it when full.
    func release(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        let kept = handles.withLock { state in
            guard state.idle.count < capacity else { return false }
            state.idle.append(handle)
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }
}
