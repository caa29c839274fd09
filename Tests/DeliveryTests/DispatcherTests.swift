import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import PeerSupport
import Synchronization
import Testing

/// The dispatcher against a real loopback sink that answers with scripted faults.
@Suite("Dispatcher: retries, failover, breaker, rate limit, dead letters, suppression (R22, R25)")
struct DispatcherTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A bench whose follow-up F sends an SMS to each user (numbers +1555010N).
    func smsBench(users: Int = 1, sameNumber: Bool = false) async throws -> DeliveryBench {
        let people = (0..<users).map { User(id: UserID("u\($0)"), attributes: ["first_name": .string("User \($0)")],
                                            addresses: [.sms: sameNumber ? "+15550100" : "+1555010\($0)"]) }
        return try await DeliveryBench(channel: .sms, content: .sms(SMSContent(body: "Hi {{ ${first_name} }}", trackLinks: false)), users: people)
    }

    func hook(_ sink: Sink, _ path: String, name: String = "hook", deduplicates: Bool = true, timeout: Duration? = nil,
              failover: Bool = false, breaker: CircuitBreaker = CircuitBreaker(), rate: TokenBucket? = nil) throws -> ProviderRoute {
        let provider = try WebhookProvider(name: name, url: sink.url(path), secret: Self.secret, deduplicates: deduplicates,
                                           timeouts: timeout.map { Timeouts(connect: .seconds(5), total: $0) })
        return ProviderRoute(provider, failover: failover, rateLimit: rate, breaker: breaker)
    }

    @Test("R22/R25: a webhook send carries the idempotency key as webhook-id, is signed, recorded, and its receipt triggers follow-ups")
    func sentAndReceipt() async throws {
        let sink = try await Sink.start()
        let user = User(id: "ada", attributes: ["first_name": .string("Ada")], addresses: [.webhook: "crm"])
        let bench = try await DeliveryBench(channel: .webhook, content: .webhook(WebhookContent(url: sink.url("/crm"), body: #"{"hi": "{{ ${first_name} }}"}"#)),
                                            users: [user])
        // G follows F's receipt: proof that the receipt went through the engine.
        var receiptFollowUp = Campaign(id: "G", history: StatusHistory([StatusChange(.active, at: deliveryStart.addingTimeInterval(-86_400))]),
                                       channels: [.webhook], messages: [.webhook: .webhook(WebhookContent(url: sink.url("/g")))])
        receiptFollowUp.trigger = Trigger(kind: .webhookReceived, target: "F")
        receiptFollowUp.delay = .relative(seconds: 600)
        _ = try bench.store.save(receiptFollowUp)
        _ = try bench.store.changeStatus(of: "G", to: .active, at: deliveryStart.addingTimeInterval(-86_400))
        let clock = TestClock(bench.queuedAt)
        let own = try WebhookProvider(name: "hook", secret: Self.secret)  // no URL: each message goes to its own
        let report = try await dispatcher(bench, routes(.webhook, [ProviderRoute(own)]), clock: clock, client: sink.client).drain()
        #expect(report.counts == [.sent: 1])
        let request = try #require(try await sink.requests("/crm").first)
        let item = try bench.item("ada")
        #expect(request.text == #"{"hi": "Ada"}"# && request.header("webhook-id") == item.dispatch.idempotencyKey)
        let stamp = try #require(Int(request.header("webhook-timestamp") ?? ""))
        #expect(try StandardWebhookSignature(secret: Self.secret).verify(header: request.header("webhook-signature") ?? "", id: item.dispatch.idempotencyKey,
                                                                         timestamp: stamp, body: request.body, now: clock.now))
        #expect(item.state == .sent && item.providerMessageID == item.dispatch.idempotencyKey && item.attempts == 1)
        let attempts = try bench.store.attempts(of: item.dispatch.id)
        #expect(attempts.map(\.statusCode) == [200] && attempts.map(\.provider) == ["hook"] && attempts[0].error == nil)
        #expect(try bench.store.waitingEntries(for: "ada").map(\.followUp) == ["G"], "the webhook_received receipt triggered G")
        #expect(try bench.store.trace(for: "ada").contains { $0.action == .delivered && $0.reason.code == .accepted })
    }

    @Test("503 and 429 with Retry-After (seconds, HTTP date) wait as asked; the sink sees the retries that far apart")
    func retryAfter() async throws {
        let sink = try await Sink.start()
        let bench = try await smsBench()
        let clock = TestClock(bench.queuedAt)
        let retryDate = Date(timeIntervalSince1970: (bench.queuedAt.timeIntervalSince1970 + 420).rounded())
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        try await sink.script("/sms", [["status": 503, "headers": [["Retry-After", "120"]]],
                                       ["status": 429, "headers": [["Retry-After", formatter.string(from: retryDate)]]]])
        let worker = dispatcher(bench, routes(.sms, [try hook(sink, "/sms")]), clock: clock, client: sink.client)
        #expect(try await worker.drain().counts == [.retrying: 1])
        let first = try bench.item("u0")
        #expect(first.nextAttemptAt == bench.queuedAt.addingTimeInterval(120) && first.reason?.code == .retrying)
        clock.advance(119)
        #expect(try await worker.drain().total == 0, "not before the time the service asked for")
        clock.advance(1)
        #expect(try await worker.drain().counts == [.retrying: 1])
        #expect(try bench.item("u0").nextAttemptAt == retryDate)
        clock.advance(retryDate.timeIntervalSince(clock.now))
        #expect(try await worker.drain().counts == [.sent: 1])
        let stamps = try await sink.requests("/sms").compactMap { $0.header("webhook-timestamp").flatMap(Int.init) }
        #expect(stamps.count == 3 && stamps[1] - stamps[0] == 120 && Double(stamps[2]) == retryDate.timeIntervalSince1970)
        #expect(try bench.store.attempts(of: first.dispatch.id).map(\.statusCode) == [503, 429, 200])
    }

    @Test("R25: a timeout after the body was sent is 'possibly sent' for a provider that does not deduplicate, a retry for one that does")
    func timeoutAfterBody() async throws {
        let sink = try await Sink.start()
        for deduplicates in [false, true] {
            let bench = try await smsBench()
            try await sink.script("/slow", [["status": 200, "hang_ms": 3000]])
            let route = try hook(sink, "/slow", deduplicates: deduplicates, timeout: .milliseconds(500))
            let report = try await dispatcher(bench, routes(.sms, [route]), clock: TestClock(bench.queuedAt), client: sink.client).drain()
            #expect(report.counts == (deduplicates ? [.retrying: 1] : [.possiblySent: 1]))
            let item = try bench.item("u0")
            if !deduplicates { #expect(item.reason?.code == .possiblySent && item.reason?.text.contains("no answer") == true) }
        }
    }

    @Test("failover: a retryable failure on the primary goes to the next failover provider at once")
    func failover() async throws {
        let sink = try await Sink.start()
        let bench = try await smsBench()
        try await sink.script("/primary", [], fallback: ["status": 503])
        let report = try await dispatcher(bench, routes(.sms, [try hook(sink, "/primary", name: "primary"),
                                                               try hook(sink, "/secondary", name: "secondary", failover: true)]),
                                          clock: TestClock(bench.queuedAt), client: sink.client).drain()
        #expect(report.counts == [.sent: 1])
        let attempts = try bench.store.attempts(of: try bench.item("u0").dispatch.id)
        #expect(attempts.map(\.provider) == ["primary", "secondary"] && attempts.map(\.statusCode) == [503, 200])
        #expect(attempts[0].errorClass == "retryable")
    }

    @Test("circuit breaker: opens after N consecutive failures (no request while open), half-opens after the cool-down")
    func breaker() async throws {
        let sink = try await Sink.start()
        let bench = try await smsBench(users: 3)
        try await sink.script("/flaky", [["status": 500], ["status": 500]])
        let breaker = CircuitBreaker(threshold: 2, coolDown: 30)
        let clock = TestClock(bench.queuedAt)
        let worker = Dispatcher(store: bench.store, routes: routes(.sms, [try hook(sink, "/flaky", breaker: breaker)]), client: sink.client,
                            configuration: Dispatcher.Configuration(worker: "one", batchSize: 1, concurrency: 1,
                                                                    retry: RetryPolicy(base: 600, cap: 600, deadline: 3600)),
                            now: { clock.now }, random: { 1 })
        #expect(try await worker.drain().counts == [.retrying: 3])
        #expect(try await sink.requests("/flaky").count == 2, "the third send found the breaker open and sent nothing")
        #expect(breaker.current == .open(since: bench.queuedAt))
        let third = try bench.store.outbox(OutboxFilter(user: "u2"))[0]
        #expect(third.reason?.text.contains("circuit open") == true)
        clock.advance(30)
        #expect(breaker.allows(at: clock.now) && !breaker.allows(at: clock.now), "one trial when half-open")
        breaker.record(success: true, at: clock.now)
        #expect(breaker.current == .closed)
    }

    @Test("rate limit: sends to a provider wait for their token (10/s, burst 1: one send per 100 ms on the dispatcher's clock)")
    func rateLimit() async throws {
        let sink = try await Sink.start()
        let bench = try await smsBench(users: 6)
        let bucket = TokenBucket(perSecond: 10, burst: 1)
        let waits = Mutex<[TimeInterval]>([])
        let clock = TestClock(bench.queuedAt)
        let worker = Dispatcher(store: bench.store, routes: routes(.sms, [try hook(sink, "/limited", rate: bucket)]), client: sink.client,
                                configuration: Dispatcher.Configuration(worker: "w", concurrency: 6), now: { clock.now },
                                sleep: { seconds in waits.withLock { $0.append(seconds) } })
        #expect(try await worker.drain().counts == [.sent: 6])
        #expect(try await sink.requests("/limited").count == 6)
        // All six reserved at the same instant: the first goes at once, the others 0.1 s apart.
        let asked = waits.withLock { $0 }.sorted().map { ($0 * 1000).rounded() / 1000 }
        #expect(asked == [0.1, 0.2, 0.3, 0.4, 0.5], "\(asked)")
    }

    @Test("dead letters: a permanent refusal is dead at once; retryable failures are dead past the deadline, with the reason")
    func deadLetters() async throws {
        let sink = try await Sink.start()
        let bench = try await smsBench(users: 2)
        try await sink.script("/refuse", [["status": 400, "body": "{\"error\": \"invalid\"}"]], fallback: ["status": 503])
        let clock = TestClock(bench.queuedAt)
        let worker = Dispatcher(store: bench.store, routes: routes(.sms, [try hook(sink, "/refuse")]), client: sink.client,
                                configuration: Dispatcher.Configuration(worker: "w", concurrency: 1, retry: RetryPolicy(base: 40, cap: 40, deadline: 100)),
                                now: { clock.now }, random: { 1 })
        #expect(try await worker.drain().counts == [.dead: 1, .retrying: 1])
        let dead = try #require(try bench.store.outbox(OutboxFilter(states: [.dead])).first)
        #expect(dead.reason?.code == .providerRejected && dead.reason?.text == "hook: HTTP 400")
        clock.advance(40)
        #expect(try await worker.drain().counts == [.retrying: 1])
        clock.advance(40)
        #expect(try await worker.drain().counts == [.dead: 1], "a third try would be past the 100 s deadline")
        #expect(try bench.store.outbox(OutboxFilter(states: [.dead])).last?.reason?.code == .retryDeadline)
    }

    @Test("a bad address is suppressed: visible in the trace, and no later send goes to it")
    func suppression() async throws {
        let sink = try await Sink.start()
        let bench = try await smsBench(users: 2, sameNumber: true)
        try await sink.script("/gone", [["status": 410]])
        let worker = Dispatcher(store: bench.store, routes: routes(.sms, [try hook(sink, "/gone")]), client: sink.client,
                                configuration: Dispatcher.Configuration(worker: "w", concurrency: 1))
        #expect(try await worker.drain().counts == [.badAddress: 1, .aborted: 1])
        #expect(try await sink.requests("/gone").count == 1)
        let suppression = try #require(try bench.store.suppression(of: "+15550100", on: .sms))
        #expect(suppression.reason.code == .badAddress && suppression.userID == "u0")
        #expect(try bench.store.trace(for: "u0").contains { $0.action == .suppressed })
        #expect(try bench.store.outbox(OutboxFilter(user: "u1"))[0].reason?.code == .suppressed)
    }

    @Test("sandbox and feed: messages kept in the store, readable back; in-app messages expire from the feed, cards can be dismissed")
    func sandboxAndFeed() async throws {
        let bench = try await DeliveryBench(channel: .contentCard, content: .contentCard(ContentCardContent(title: "Hi {{ ${first_name} }}", expiresAfter: 3600)),
                                            users: [User(id: "ada", attributes: ["first_name": .string("Ada")])])
        let clock = TestClock(bench.queuedAt)
        let client = CurlClient()
        let report = try await dispatcher(bench, .sandbox, clock: clock, client: client).drain()
        await client.shutdown()
        #expect(report.counts == [.sent: 1])
        let kept = try #require(try bench.store.keptMessages(KeptMessageFilter(user: "ada", liveAt: clock.now)).first)
        #expect(kept.provider == "feed" && kept.expiresAt == bench.queuedAt.addingTimeInterval(3600))
        let card = try deliveryJSONDecoder().decode(ChannelMessage.self, from: kept.json)
        guard case .contentCard(let content) = card else { Issue.record("not a card"); return }
        #expect(content.title == "Hi Ada")
        #expect(try bench.store.keptMessages(KeptMessageFilter(user: "ada", liveAt: clock.now.addingTimeInterval(3600))).isEmpty, "expired")
        #expect(try bench.store.dismiss(dispatch: kept.dispatchID, at: clock.now))
        #expect(try bench.store.keptMessages(KeptMessageFilter(user: "ada", liveAt: clock.now)).isEmpty, "dismissed")
        #expect(try bench.store.waitingEntries(for: "ada").isEmpty)
        #expect(try bench.item("ada").state == .sent)
    }
}


@Suite("Dispatcher: the long-lived worker and what attempt records keep")
struct DispatcherLifecycleTests {
    @Test("run() delivers until stop(), finishing the send in flight and leaving no claim behind")
    func runAndStop() async throws {
        let sink = try await Sink.start()
        let bench = try await DeliveryBench(channel: .sms, content: .sms(SMSContent(body: "Hi", trackLinks: false)),
                                            users: [User(id: "ada", addresses: [.sms: "+15550100"])])
        try await sink.script("/sms", [["status": 200, "hold": "go"]])
        let provider = try WebhookProvider(name: "hook", url: sink.url("/sms"))
        let worker = Dispatcher(store: bench.store, routes: routes(.sms, [ProviderRoute(provider)]), client: sink.client,
                                configuration: Dispatcher.Configuration(worker: "long-lived", pollInterval: .milliseconds(20)))
        let running = Task { try await worker.run() }
        try await sink.arrived("/sms")
        worker.stop()
        try await sink.release("go")
        try await running.value
        let item = try bench.item("ada")
        #expect(item.state == .sent && item.claimedBy == nil, "the send in flight was finished before run() returned")
    }

    @Test("attempt records and outcomes never carry a provider's URL or token")
    func noSecretsInRecords() async throws {
        let bench = try await DeliveryBench(channel: .sms, content: .sms(SMSContent(body: "Hi", trackLinks: false)),
                                            users: [User(id: "ada", addresses: [.sms: "+15550100"])])
        let token = "T000/B000/very-secret-token"
        let provider = try WebhookProvider(name: "hook", url: "http://127.0.0.1:\(closedLoopbackPort())/services/\(token)",
                                           secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let client = CurlClient()
        let report = try await dispatcher(bench, routes(.sms, [ProviderRoute(provider)]), clock: TestClock(bench.queuedAt), client: client).drain()
        await client.shutdown()
        #expect(report.counts == [.retrying: 1])
        let item = try bench.item("ada")
        let texts = try bench.store.attempts(of: item.dispatch.id).compactMap(\.error) + [item.reason?.text ?? ""]
        #expect(texts.first?.contains("connectionRefused") == true, "\(texts)")
        for text in texts { #expect(!text.contains("very-secret-token") && !text.contains("whsec_"), "\(text)") }
    }
}
