import Foundation
import Synchronization

/// A provider's send rate: `rate` sends per second on average, bursts up to `burst`.
/// ``reserve(at:)`` takes a token now or books the next one and says how long to wait.
public final class TokenBucket: Sendable {
    /// Sends per second, on average.
    public let rate: Double
    /// The most sends let through at once; at least 1.
    public let burst: Double
    private let state: Mutex<(tokens: Double, at: Date?)>

    /// A full bucket.
    ///
    /// - Parameters:
    ///   - rate: sends per second, on average; more than 0.
    ///   - burst: the most sends let through at once; nil uses `rate` (at least 1 either way).
    public init(perSecond rate: Double, burst: Double? = nil) {
        precondition(rate > 0, "a rate limit allows some sends")
        self.rate = rate
        self.burst = max(1, burst ?? rate)
        state = Mutex((max(1, burst ?? rate), nil))
    }

    /// Takes one token at `now`; returns the seconds to wait before sending (0 if one was
    /// there). Tokens go negative for booked sends, so waiting callers keep their order.
    public func reserve(at now: Date) -> TimeInterval {
        state.withLock { value in
            if let last = value.at {
                value.tokens = min(burst, value.tokens + max(0, now.timeIntervalSince(last)) * rate)
            }
            value.at = now
            value.tokens -= 1
            return value.tokens >= 0 ? 0 : -value.tokens / rate
        }
    }
}
