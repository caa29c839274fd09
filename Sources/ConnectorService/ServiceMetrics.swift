import ConnectorCore
import ConnectorStore
import Delivery
import Foundation
import Metrics

/// The service's metrics through swift-metrics (the `connector serve` command backs them
/// with Prometheus for `GET /metrics`). Labels are stable codes, never ids or addresses.
struct ServiceMetrics: Sendable {
    /// Events in, by result: accepted, duplicate, failed, rejected (malformed).
    func ingested(_ report: IngestReport, rejected: Int = 0, source: String) {
        Counter(label: "connector_events_ingested_total", dimensions: [("result", "accepted"), ("source", source)]).increment(by: report.accepted)
        Counter(label: "connector_events_ingested_total", dimensions: [("result", "duplicate"), ("source", source)]).increment(by: report.duplicates.count)
        Counter(label: "connector_events_ingested_total", dimensions: [("result", "failed"), ("source", source)]).increment(by: report.failures.count)
        if rejected > 0 {
            Counter(label: "connector_events_ingested_total", dimensions: [("result", "rejected"), ("source", source)]).increment(by: rejected)
        }
        var byKind: [String: Int] = [:]
        for decision in report.decisions { byKind[decision.metricKind, default: 0] += 1 }
        for (kind, count) in byKind { Counter(label: "connector_decisions_total", dimensions: [("kind", kind)]).increment(by: count) }
    }

    /// Due entries settled by the scheduler, by outcome.
    func settled(_ settlements: [Settlement]) {
        var byResult: [String: Int] = [:]
        for settlement in settlements { byResult[settlement.metricResult, default: 0] += 1 }
        for (result, count) in byResult { Counter(label: "connector_due_entries_settled_total", dimensions: [("result", result)]).increment(by: count) }
    }

    /// Dispatches that reached a new state, by channel and state, how long each waited in
    /// the outbox (queue lag), and each try's time at its provider (send latency).
    func delivered(_ report: Dispatcher.Report, now: Date) {
        for item in report.delivered {
            for attempt in item.attempts {
                Metrics.Timer(label: "connector_send_latency_seconds",
                              dimensions: [("provider", attempt.provider), ("class", attempt.errorClass ?? "ok")])
                    .recordNanoseconds(Int64(max(0, attempt.latency) * 1e9))
            }
            Counter(label: "connector_dispatch_outcomes_total",
                    dimensions: [("channel", item.dispatch.channel.rawValue), ("state", item.outcome.state.rawValue)]).increment()
            if item.outcome.state == .sent {
                let created = item.dispatch.createdAt
                Metrics.Timer(label: "connector_dispatch_lag_seconds", dimensions: [("channel", item.dispatch.channel.rawValue)])
                    .recordNanoseconds(Int64(max(0, now.timeIntervalSince(created)) * 1e9))
            }
        }
    }

    /// A tracked interaction (open, click, SDK report, provider event), by kind.
    func captured(_ kind: String) {
        Counter(label: "connector_interactions_captured_total", dimensions: [("kind", kind)]).increment()
    }

    /// How many users wait for each follow-up (0 for those nobody waits for), read at
    /// each scrape of `/metrics`.
    func waiting(_ counts: [CampaignID: Int], followUps: [CampaignID]) {
        for id in Set(followUps).union(counts.keys) {
            Gauge(label: "connector_waiting_entries", dimensions: [("follow_up", id.rawValue)]).record(counts[id] ?? 0)
        }
    }

    /// An HTTP request refused, by code.
    func refused(_ error: APIError) {
        Counter(label: "connector_requests_refused_total", dimensions: [("code", error.code.rawValue)]).increment()
    }
}

extension Decision {
    /// The decision's kind as a metric label.
    var metricKind: String {
        switch self {
        case .schedule: "schedule"
        case .cancel: "cancel"
        case .skip: "skip"
        }
    }
}

extension Settlement {
    var metricResult: String {
        switch result {
        case .settled(.send): "send"
        case .settled(.control): "control"
        case .settled(.hold): "hold"
        case .settled(.skip): "skip"
        case .notHeld: "not_held"
        }
    }
}
