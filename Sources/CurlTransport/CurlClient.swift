import CCurl
import Logging
import Synchronization

/// An asynchronous HTTP(S) and SMTP client on libcurl's multi interface.
///
/// A client owns one event-loop thread (or a few, see
/// ``Configuration/eventLoopCount``) that drives all of its transfers, so many
/// requests run at once without blocking Swift's cooperative thread pool. Connections
/// are kept alive and reused, HTTP/2 streams are multiplexed over one connection, and
/// the number of connections per host is capped (transfers beyond the cap wait for a
/// free connection).
///
/// ```swift
/// let client = CurlClient()
/// let response = try await client.execute(HTTPRequest(method: .post, url: url, body: bytes))
/// await client.shutdown()
/// ```
///
/// Cancelling the calling task aborts its transfer. Call ``shutdown(gracePeriod:)``
/// before dropping the client: it finishes or fails every pending request and stops the
/// thread (a client that is never shut down keeps its thread).
public final class CurlClient: Sendable {
    /// Settings that apply to every request of a client.
    public struct Configuration: Sendable {
        /// How many event-loop threads share the transfers (round robin). Each has its
        /// own connections, so the connection limits below apply per loop. One loop
        /// serves tens of thousands of requests per second; a second helps only when a
        /// core is free for it. Default 1.
        public var eventLoopCount: Int
        /// The most connections to one host (HTTP/1.1 needs one per concurrent request;
        /// HTTP/2 multiplexes). Default 32.
        public var maxConnectionsPerHost: Int
        /// The most connections in all, 0 for no limit. Default 0.
        public var maxTotalConnections: Int
        /// How many idle connections are kept for reuse. Default 256.
        public var maxCachedConnections: Int
        /// The most concurrent HTTP/2 streams per connection. Default 100.
        public var maxConcurrentStreams: Int
        /// Time limits for requests that set none.
        public var timeouts: Timeouts
        /// The largest response body accepted, for requests that set none. Default 32 MiB.
        public var maxResponseSize: Int
        /// TLS settings for requests that set none.
        public var tls: TLSConfiguration
        /// The `User-Agent` header, unless a request sets its own.
        public var userAgent: String

        /// Creates a configuration.
        public init(
            eventLoopCount: Int = 1,
            maxConnectionsPerHost: Int = 32,
            maxTotalConnections: Int = 0,
            maxCachedConnections: Int = 256,
            maxConcurrentStreams: Int = 100,
            timeouts: Timeouts = Timeouts(),
            maxResponseSize: Int = 32 << 20,
            tls: TLSConfiguration = .default,
            userAgent: String = "CampaignConnector/0.1 libcurl"
        ) {
            self.eventLoopCount = max(1, eventLoopCount)
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxTotalConnections = maxTotalConnections
            self.maxCachedConnections = maxCachedConnections
            self.maxConcurrentStreams = maxConcurrentStreams
            self.timeouts = timeouts
            self.maxResponseSize = maxResponseSize
            self.tls = tls
            self.userAgent = userAgent
        }
    }

    /// The client's settings.
    public let configuration: Configuration
    private let loops: [CurlMultiLoop]
    private let nextLoop = Atomic<Int>(0)
    private let handles = CurlHandlePool(capacity: 256)
    private let logger: Logger

    /// Creates a client and starts its event-loop thread.
    public init(configuration: Configuration = Configuration(), logger: Logger? = nil) {
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "CurlTransport", factory: { _ in SwiftLogNoOpLogHandler() })
        let limits = CurlMultiLoop.Limits(
            maxConnectionsPerHost: configuration.maxConnectionsPerHost,
            maxTotalConnections: configuration.maxTotalConnections,
            maxCachedConnections: configuration.maxCachedConnections,
            maxConcurrentStreams: configuration.maxConcurrentStreams
        )
        self.loops = (0..<max(1, configuration.eventLoopCount)).map { _ in CurlMultiLoop(limits: limits) }
    }

    /// The client's first event loop as a task executor.
    ///
    /// Code that runs under `withTaskExecutorPreference(client.executor) { ... }` (and its
    /// child tasks) runs on the loop thread, between libcurl calls: a request and the
    /// resumption of the task that made it then need no thread hop, which cuts latency
    /// for request-at-a-time work. Keep such code short and non-blocking: it shares the
    /// thread with every transfer of the loop.
    public var executor: any TaskExecutor { loops[0] }

    /// Sends an HTTP request and returns the complete response.
    ///
    /// Any status is a response (a 500 is not an error); failures to get a response at
    /// all throw ``CurlTransportError``.
    public func execute(_ request: HTTPRequest, logger: Logger? = nil) async throws(CurlTransportError) -> HTTPResponse {
        let logger = logger ?? self.logger
        let transfer = try CurlEasyTransfer(pool: handles)
        try configureHTTP(transfer, for: request)
        let completion = await run(transfer)
        do {
            try Self.check(completion, transfer, url: request.url, requestSize: transfer.requestBodySize)
        } catch {
            logger.debug("http request failed", metadata: [
                "http.method": "\(request.method)", "http.url": "\(CurlTransportError.redact(request.url))", "error": "\(error)",
            ])
            throw error
        }
        let response = HTTPResponse(
            status: transfer.info(CURLINFO_RESPONSE_CODE),
            headers: transfer.headerFields,
            body: transfer.body,
            version: HTTPVersion(curlValue: transfer.info(CURLINFO_HTTP_VERSION)),
            timing: transfer.timing,
            newConnections: transfer.info(CURLINFO_NUM_CONNECTS)
        )
        logger.trace("http request finished", metadata: [
            "http.method": "\(request.method)", "http.url": "\(CurlTransportError.redact(request.url))",
            "http.status": "\(response.status)", "http.version": "\(response.version)",
        ])
        return response
    }

    /// Hands one RFC 5322 message to an SMTP server and returns its final reply.
    ///
    /// A refused recipient or message throws ``CurlTransportError`` with reason
    /// ``CurlTransportError/Reason/smtpRejected`` and the reply code: 4xx is retryable,
    /// 5xx is not. Refused credentials throw ``CurlTransportError/Reason/authenticationFailed``.
    public func send(_ mail: SMTPRequest, logger: Logger? = nil) async throws(CurlTransportError) -> SMTPResponse {
        let logger = logger ?? self.logger
        let transfer = try CurlEasyTransfer(pool: handles)
        let url = mail.server.curlURL
        try configureSMTP(transfer, for: mail)
        let completion = await run(transfer)
        do {
            try Self.check(completion, transfer, url: url, requestSize: transfer.requestBodySize)
        } catch {
            logger.debug("smtp send failed", metadata: ["smtp.server": "\(url)", "error": "\(error)"])
            throw error
        }
        let (code, text) = Self.lastReply(transfer)
        logger.trace("smtp send finished", metadata: ["smtp.server": "\(url)", "smtp.reply": "\(code)"])
        return SMTPResponse(replyCode: code, replyText: text, timing: transfer.timing)
    }

    /// Stops accepting requests, waits up to `gracePeriod` for running ones, fails the
    /// rest with ``CurlTransportError/Reason/clientShutdown`` and stops the thread.
    /// Calling it again returns at once.
    public func shutdown(gracePeriod: Duration = .zero) async {
        await withTaskGroup(of: Void.self) { group in
            for loop in loops {
                group.addTask { await loop.shutdown(gracePeriod: gracePeriod) }
            }
        }
    }

    // MARK: Running a transfer

    private func run(_ transfer: CurlEasyTransfer) async -> CurlEasyTransfer.Completion {
        let loop = loops.count == 1 ? loops[0] : loops[nextLoop.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
        transfer.installSocketCallbacks(context: loop.callbackContext)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.install(continuation)
                if !loop.submit(transfer) {
                    transfer.complete(.shutdown)
                }
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}
