/// Time limits for one transfer.
public struct Timeouts: Sendable, Equatable {
    /// The longest time to establish the connection (TCP and TLS).
    public var connect: Duration
    /// The longest time for the whole transfer, or `nil` for no limit.
    public var total: Duration?

    /// Creates time limits. The defaults suit provider APIs: 10 s to connect, 30 s in all.
    public init(connect: Duration = .seconds(10), total: Duration? = .seconds(30)) {
        self.connect = connect
        self.total = total
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded up, at least 1.
    var roundedUpMilliseconds: Int {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, millis))
    }
}
