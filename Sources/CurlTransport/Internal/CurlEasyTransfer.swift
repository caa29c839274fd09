import CCurl
import Synchronization

/// One libcurl easy handle and everything it points at while a transfer runs.
///
/// The caller configures it, the event loop thread drives it while it is added to the
/// multi handle, and afterwards the caller reads the outcome. The phases never overlap,
/// which is what makes `@unchecked Sendable` sound here.
final class CurlEasyTransfer: @unchecked Sendable {
    /// How a transfer ended, as the loop thread reports it.
    enum Completion: Sendable {
        case finished(CURLcode)
        case cancelled
        case shutdown
    }

    let handle: UnsafeMutableRawPointer
    /// Set by a task cancellation handler; checked by the loop before it adds the handle.
    let cancelRequested = Atomic<Bool>(false)

    private var slists: [UnsafeMutablePointer<curl_slist>] = []
    private var ownedBody: UnsafeMutableRawBufferPointer?
    private var uploadOffset = 0

    /// The response body so far.
    var body: [UInt8] = []
    /// The raw header lines of the latest header block (a 100 or a redirect starts a new
    /// one), kept as bytes: the loop thread only copies them, the caller parses them.
    var rawHeaders: [UInt8] = []
    /// Server reply lines (SMTP), captured through the debug callback.
    var serverReplies: [String] = []
    /// The largest body accepted.
    var maxBodySize = Int.max
    /// Set when the body went over ``maxBodySize``.
    var bodyTooLarge = false
    /// The number of request body bytes (for timeouts: were they all sent?).
    var requestBodySize = 0

    private var continuation: CheckedContinuation<Completion, Never>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    private let pool: CurlHandlePool

    init(pool: CurlHandlePool) throws(CurlTransportError) {
        guard let handle = pool.acquire() else {
            throw CurlTransportError(reason: .unknown, detail: "curl_easy_init failed (out of memory?)")
        }
        self.handle = handle
        self.pool = pool
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = cc_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    /// libcurl's detailed message for the last failure, if it wrote one.
    var errorMessage: String? {
        let text = String(cString: errorBuffer)
        return text.isEmpty ? nil : text
    }

    deinit {
        pool.release(handle)
        for list in slists { curl_slist_free_all(list) }
        ownedBody?.deallocate()
        errorBuffer.deallocate()
    }

    // MARK: Options

    func set(_ option: CURLoption, _ value: Int) {
        _ = cc_easy_setopt_long(handle, option, value)
    }

    func set(_ option: CURLoption, _ value: String) {
        // libcurl copies string options.
        _ = cc_easy_setopt_string(handle, option, value)
    }

    func setOffset(_ option: CURLoption, _ value: Int) {
        _ = cc_easy_setopt_off_t(handle, option, curl_off_t(value))
    }

    /// Sets a list option; the list lives as long as the transfer.
    func set(_ option: CURLoption, list items: [String]) {
        var list: UnsafeMutablePointer<curl_slist>?
        for item in items {
            guard let appended = curl_slist_append(list, item) else { continue }
            list = appended
        }
        guard let list else { return }
        slists.append(list)
        _ = cc_easy_setopt_slist(handle, option, list)
    }

    /// Copies `bytes` into memory the transfer owns and sends them as the request body.
    func setRequestBody(_ bytes: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { buffer.baseAddress?.copyMemory(from: base, byteCount: source.count) }
        }
        ownedBody = buffer
        requestBodySize = bytes.count
        setOffset(CURLOPT_POSTFIELDSIZE_LARGE, bytes.count)
        _ = cc_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, buffer.baseAddress)
    }

    /// Copies `bytes` and uploads them through the read callback (SMTP `DATA`).
    func setUploadBody(_ bytes: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { buffer.baseAddress?.copyMemory(from: base, byteCount: source.count) }
        }
        ownedBody = buffer
        requestBodySize = bytes.count
        uploadOffset = 0
        set(CURLOPT_UPLOAD, 1)
        setOffset(CURLOPT_INFILESIZE_LARGE, bytes.count)
        _ = cc_easy_setopt_data_callback(handle, CURLOPT_READFUNCTION, curlReadCallback)
        _ = cc_easy_setopt_pointer(handle, CURLOPT_READDATA, unmanagedSelf)
    }

    /// Installs the body and header callbacks, pointing at this object.
    func installResponseCallbacks() {
        _ = cc_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = cc_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanagedSelf)
        _ = cc_easy_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = cc_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, unmanagedSelf)
    }

    /// Tells the event loop when libcurl opens or closes one of this transfer's sockets.
    func installSocketCallbacks(context: UnsafeMutableRawPointer) {
        _ = cc_easy_setopt_opensocket_callback(handle, curlOpenSocketCallback)
        _ = cc_easy_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, context)
        _ = cc_easy_setopt_closesocket_callback(handle, curlCloseSocketCallback)
        _ = cc_easy_setopt_pointer(handle, CURLOPT_CLOSESOCKETDATA, context)
    }

    /// Captures the server's protocol replies (used for SMTP reply texts).
    func installReplyCapture() {
        set(CURLOPT_VERBOSE, 1)
        _ = cc_easy_setopt_debug_callback(handle, curlDebugCallback)
        _ = cc_easy_setopt_pointer(handle, CURLOPT_DEBUGDATA, unmanagedSelf)
    }

    private var unmanagedSelf: UnsafeMutableRawPointer {
        // The transfer outlives the handle's use: the caller keeps it until completion.
        Unmanaged.passUnretained(self).toOpaque()
    }

    // MARK: Info

    func info(_ key: CURLINFO) -> Int {
        var value = 0
        _ = cc_easy_getinfo_long(handle, key, &value)
        return value
    }

    func infoOffset(_ key: CURLINFO) -> Int {
        var value: curl_off_t = 0
        _ = cc_easy_getinfo_off_t(handle, key, &value)
        return Int(value)
    }

    func infoMicroseconds(_ key: CURLINFO) -> Duration {
        .microseconds(infoOffset(key))
    }

    var timing: TransferTiming {
        TransferTiming(
            nameLookup: infoMicroseconds(CURLINFO_NAMELOOKUP_TIME_T),
            connect: infoMicroseconds(CURLINFO_CONNECT_TIME_T),
            tlsHandshake: infoMicroseconds(CURLINFO_APPCONNECT_TIME_T),
            firstByte: infoMicroseconds(CURLINFO_STARTTRANSFER_TIME_T),
            total: infoMicroseconds(CURLINFO_TOTAL_TIME_T)
        )
    }

    // MARK: Completion (loop thread)

    func install(_ continuation: CheckedContinuation<Completion, Never>) {
        self.continuation = continuation
    }

    /// Resumes the waiting task. Called exactly once, by the loop thread (or by the
    /// submitter when the loop refused the transfer).
    func complete(_ completion: Completion) {
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume(returning: completion)
    }

    // MARK: Callback bodies

    fileprivate func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if body.count + bytes.count > maxBodySize {
            bodyTooLarge = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    fileprivate func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        // A status line starts a new block ("HTTP/1.1 200 OK", "HTTP/2 200").
        if bytes.count >= 5, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"),
           bytes[2] == UInt8(ascii: "T"), bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/") {
            rawHeaders.removeAll(keepingCapacity: true)
            return
        }
        rawHeaders.append(contentsOf: bytes)
    }

    /// The header fields of the final response, parsed from ``rawHeaders``.
    var headerFields: HTTPHeaders {
        var headers = HTTPHeaders()
        rawHeaders.withUnsafeBufferPointer { buffer in
            var lineStart = 0
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count && buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                var end = lineEnd
                if end > lineStart && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                if let colon = buffer[lineStart..<end].firstIndex(of: UInt8(ascii: ":")) {
                    var valueStart = colon + 1, valueEnd = end
                    while valueStart < valueEnd && (buffer[valueStart] == 32 || buffer[valueStart] == 9) { valueStart += 1 }
                    while valueEnd > valueStart && (buffer[valueEnd - 1] == 32 || buffer[valueEnd - 1] == 9) { valueEnd -= 1 }
                    headers.add(
                        name: String(decoding: UnsafeBufferPointer(rebasing: buffer[lineStart..<colon]), as: UTF8.self),
                        value: String(decoding: UnsafeBufferPointer(rebasing: buffer[valueStart..<valueEnd]), as: UTF8.self)
                    )
                }
                lineStart = lineEnd + 1
            }
        }
        return headers
    }

    fileprivate func readUpload(into destination: UnsafeMutableRawBufferPointer) -> Int {
        guard let ownedBody else { return 0 }
        let remaining = requestBodySize - uploadOffset
        let count = min(remaining, destination.count)
        guard count > 0, let target = destination.baseAddress, let source = ownedBody.baseAddress else { return 0 }
        target.copyMemory(from: source + uploadOffset, byteCount: count)
        uploadOffset += count
        return count
    }

    fileprivate func receiveServerReply(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }) where !line.isEmpty {
            serverReplies.append(String(line))
        }
        if serverReplies.count > 64 { serverReplies.removeFirst(serverReplies.count - 64) }
    }
}

// MARK: C callbacks (non-capturing; the transfer arrives through the user pointer)

private let curlWriteCallback: cc_data_callback = { pointer, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<CurlEasyTransfer>.fromOpaque(user).takeUnretainedValue()
    let total = size * count
    let bytes = UnsafeRawBufferPointer(start: pointer, count: total)
    return transfer.receive(bytes) ? total : 0
}

private let curlHeaderCallback: cc_data_callback = { pointer, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<CurlEasyTransfer>.fromOpaque(user).takeUnretainedValue()
    let total = size * count
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: pointer, count: total))
    return total
}

private let curlReadCallback: cc_data_callback = { pointer, size, count, user in
    guard let user, let pointer else { return 0 }
    let transfer = Unmanaged<CurlEasyTransfer>.fromOpaque(user).takeUnretainedValue()
    return transfer.readUpload(into: UnsafeMutableRawBufferPointer(start: pointer, count: size * count))
}

private let curlDebugCallback: cc_debug_callback = { _, type, pointer, size, user in
    // Only what the server said; never what we sent (that includes AUTH).
    guard type == CURLINFO_HEADER_IN, let user else { return 0 }
    let transfer = Unmanaged<CurlEasyTransfer>.fromOpaque(user).takeUnretainedValue()
    transfer.receiveServerReply(UnsafeRawBufferPointer(start: pointer, count: size))
    return 0
}
