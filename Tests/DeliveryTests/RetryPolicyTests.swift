import Delivery
import Foundation
import Testing

@Suite("Retry timing: exponential backoff with full jitter, Retry-After, deadline")
struct RetryPolicyTests {
    let policy = RetryPolicy(base: 1, cap: 300, deadline: 3600)
    let created = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("the ceiling doubles per try up to the cap", arguments: [(1, 1.0), (2, 2.0), (5, 16.0), (9, 256.0), (10, 300.0), (200, 300.0)])
    func ceilings(attempt: Int, ceiling: Double) {
        #expect(policy.ceiling(attempt: attempt) == ceiling)
    }

    @Test("full jitter: the wait is the ceiling times the random draw, 0 up to the ceiling")
    func jitter() {
        let now = created.addingTimeInterval(10)
        #expect(policy.nextAttempt(after: 5, at: now, createdAt: created, random: 0) == now)
        #expect(policy.nextAttempt(after: 5, at: now, createdAt: created, random: 0.5) == now.addingTimeInterval(8))
        #expect(policy.nextAttempt(after: 5, at: now, createdAt: created, random: 0.999)?.timeIntervalSince(now) ?? 0 < 16)
        // Without an injected draw, many retries spread over the whole range.
        let waits = (0..<200).compactMap { _ in policy.nextAttempt(after: 9, at: now, createdAt: created)?.timeIntervalSince(now) }
        #expect(waits.count == 200 && waits.allSatisfy { $0 >= 0 && $0 < 256 } && (waits.max() ?? 0) - (waits.min() ?? 0) > 100)
    }

    @Test("Retry-After is waited at least, in seconds or as an HTTP date; nonsense is ignored")
    func retryAfter() {
        let now = created.addingTimeInterval(10)
        #expect(policy.nextAttempt(after: 1, at: now, createdAt: created, retryAfter: "120", random: 0.5) == now.addingTimeInterval(120))
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: Date(timeIntervalSince1970: 1_445_412_400)) == 80)
        #expect(RetryPolicy.retryAfter("Wednesday, 21-Oct-15 07:28:00 GMT", now: Date(timeIntervalSince1970: 1_445_412_400)) == 80)
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: Date(timeIntervalSince1970: 1_500_000_000)) == 0, "a date in the past")
        #expect(RetryPolicy.retryAfter("soon", now: now) == nil)
        #expect(RetryPolicy.retryAfter("99999999999999999999", now: now) == nil)
        #expect(RetryPolicy.retryAfter("-5", now: now) == nil)
        #expect(RetryPolicy.retryAfter("12\u{301}", now: now) == nil)
        #expect(policy.nextAttempt(after: 1, at: now, createdAt: created, retryAfter: "soon", random: 0.5) == now.addingTimeInterval(0.5))
    }

    @Test("past the deadline there is no next try")
    func deadline() {
        let late = created.addingTimeInterval(3500)
        #expect(policy.nextAttempt(after: 1, at: late, createdAt: created, random: 0.5) != nil)
        #expect(policy.nextAttempt(after: 1, at: late, createdAt: created, retryAfter: "200", random: 0) == nil)
        #expect(policy.nextAttempt(after: 10, at: late, createdAt: created, random: 0.9) == nil)
    }
}
