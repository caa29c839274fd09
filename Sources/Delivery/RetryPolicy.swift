import Foundation

/// When to try a retryable send again: exponential backoff with full jitter, honouring a
/// provider's `Retry-After`, up to a deadline after the dispatch was created.
///
/// Try `n` (the first retry is 1) waits a random time in `0 ..< min(cap, base * 2^(n-1))`
/// ("full jitter": retries of many dispatches spread out instead of arriving together).
/// A `Retry-After` answer (seconds, or an HTTP date) is waited at least. Past the deadline
/// there is no next try: the dispatch is dead.
///
/// | try | base 1 s, cap 300 s: waits up to |
/// |---:|---:|
/// | 1 | 1 s |
/// | 2 | 2 s |
/// | 5 | 16 s |
/// | 9 | 256 s |
/// | 10 and later | 300 s |
public struct RetryPolicy: Sendable, Equatable {
    /// The longest backoff wait before the first retry, in seconds (1 by default); it doubles
    /// with each try.
    public var base: TimeInterval
    /// The longest backoff wait, in seconds (300 by default); a longer `Retry-After` still counts.
    public var cap: TimeInterval
    /// How long after its creation a dispatch may still be tried.
    public var deadline: TimeInterval

    /// A policy; by default the first retry waits up to 1 s, no backoff exceeds 5 minutes, and
    /// tries stop 24 hours after the dispatch was created.
    ///
    /// - Parameters:
    ///   - base: the longest backoff wait before the first retry, in seconds.
    ///   - cap: the longest backoff wait, in seconds.
    ///   - deadline: how long after its creation a dispatch may still be tried, in seconds.
    public init(base: TimeInterval = 1, cap: TimeInterval = 300, deadline: TimeInterval = 24 * 3600) {
        self.base = base
        self.cap = cap
        self.deadline = deadline
    }

    /// The upper bound of the wait before try `attempt` (1 is the first retry).
    public func ceiling(attempt: Int) -> TimeInterval {
        let exponent = min(max(attempt - 1, 0), 62)
        return min(cap, base * pow(2, Double(exponent)))
    }

    /// When to try again after try `attempt` failed at `now`, or nil when that would be
    /// past the deadline (the dispatch is dead).
    ///
    /// - Parameters:
    ///   - attempt: the number of the try that failed (1 for the first).
    ///   - now: when it failed.
    ///   - createdAt: when the dispatch was queued (the deadline counts from here).
    ///   - retryAfter: the provider's `Retry-After` header, if it sent one.
    ///   - random: a number in `0..<1` (injected, so tests pick the jitter).
    public func nextAttempt(after attempt: Int, at now: Date, createdAt: Date, retryAfter: String? = nil,
                            random: Double = Double.random(in: 0..<1)) -> Date? {
        nextAttempt(after: attempt, at: now, createdAt: createdAt, waitingAtLeast: retryAfter.flatMap { Self.retryAfter($0, now: now) },
                    random: random)
    }

    /// When to try again, waiting at least `minimum` seconds (a `Retry-After` already
    /// read), or nil past the deadline.
    public func nextAttempt(after attempt: Int, at now: Date, createdAt: Date, waitingAtLeast minimum: TimeInterval?,
                            random: Double) -> Date? {
        var wait = ceiling(attempt: attempt) * min(max(random, 0), 1)
        if let minimum { wait = max(wait, minimum) }
        let next = now.addingTimeInterval(wait)
        return next.timeIntervalSince(createdAt) <= deadline ? next : nil
    }

    /// A `Retry-After` value as seconds from `now`: delay-seconds or an HTTP date
    /// (RFC 9110: IMF-fixdate, and the obsolete RFC 850 and asctime forms); nil if it is
    /// neither. A date in the past is 0.
    public static func retryAfter(_ value: String, now: Date) -> TimeInterval? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            return text.count > 9 ? nil : TimeInterval(text)  // more than 30 years: not a delay
        }
        // Foundation's DateFormatter is given ASCII only (it has trapped on some other text).
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
