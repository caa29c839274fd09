/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    /// The status code, for example `202`.
    public var status: Int
    /// The header fields of the final response, in order, repeated names preserved.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]
    /// The HTTP version the response arrived with.
    public var version: HTTPVersion
    /// How long each phase of the transfer took.
    public var timing: TransferTiming
    /// How many new connections the transfer opened (0 when it reused one).
    public var newConnections: Int

    /// Creates a response (the client makes these; tests and adapters may too).
    public init(
        status: Int,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        version: HTTPVersion = .http1_1,
        timing: TransferTiming = TransferTiming(),
        newConnections: Int = 0
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.version = version
        self.timing = timing
        self.newConnections = newConnections
    }

    /// The body decoded as UTF-8 (invalid sequences repaired).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// Durations of the phases of one transfer, each measured from its start.
public struct TransferTiming: Sendable, Equatable {
    /// Until the host name was resolved.
    public var nameLookup: Duration
    /// Until the TCP connection was established (zero when a connection was reused).
    public var connect: Duration
    /// Until the TLS handshake finished (zero without TLS or on reuse).
    public var tlsHandshake: Duration
    /// Until the first response byte arrived ("time to first byte").
    public var firstByte: Duration
    /// The whole transfer.
    public var total: Duration

    /// Creates a timing record.
    public init(
        nameLookup: Duration = .zero,
        connect: Duration = .zero,
        tlsHandshake: Duration = .zero,
        firstByte: Duration = .zero,
        total: Duration = .zero
    ) {
        self.nameLookup = nameLookup
        self.connect = connect
        self.tlsHandshake = tlsHandshake
        self.firstByte = firstByte
        self.total = total
    }
}
