import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import Hummingbird

extension ConnectorService {
    /// Provider event webhooks at `/v1/webhooks/NAME` (the `webhooks:` entries): verified
    /// with the provider's own signature (401 and nothing recorded when it does not match),
    /// deduplicated by the provider's event id (R25), turned into interactions (delivered,
    /// opened, clicked) and suppressions (bounces, complaints, unsubscribes).
    func addWebhookRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/webhooks/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            guard let endpoint = self.configuration.webhooks[name] else { throw APIError.notFound("no webhook '\(name)'") }
            let body = try await self.bodyData(request)
            let call = WebhookRequest(url: self.tracking.baseURL + request.uri.string,
                                      headers: request.headers.map { ($0.name.rawName, $0.value) }, body: body)
            var subscribeURL: String?
            if let certificates = endpoint.certificates {
                // SNS: the signing certificate is fetched (from an allowed host) before the
                // signature can be checked.
                let message: SNSMessage
                do throws(WebhookVerificationError) { message = try SNSMessage(json: body) } catch { throw APIError(.invalid, error.message) }
                _ = await certificates.certificate(at: message.signingCertURL, client: self.client)
                if message.type == "SubscriptionConfirmation" { subscribeURL = message.subscribeURL }
            }
            let events: [ProviderEvent]
            do throws(WebhookVerificationError) {
                events = try endpoint.verifier.events(from: call, now: self.clock.now())
            } catch {
                self.logger.warning("webhook call refused", metadata: ["webhook": "\(name)", "code": "\(error.code.rawValue)"])
                switch error.code {
                case .malformed: throw APIError(.invalid, error.message)
                case .badSignature, .stale: throw APIError(.unauthorized, "the call is not signed by the provider")
                }
            }
            if let subscribeURL {
                // A verified subscription confirmation: confirm it.
                let response = try? await self.client.execute(CurlTransport.HTTPRequest(url: subscribeURL, maxResponseSize: 64 << 10))
                self.logger.info("SNS subscription confirmed", metadata: ["webhook": "\(name)", "status": "\(response?.status ?? 0)"])
            }
            var interactions: [Event] = [], suppressed = 0, unknown = 0
            for event in events {
                guard let dispatchID = event.dispatchID, let dispatch = try await self.dispatch(dispatchID)?.dispatch else {
                    unknown += 1
                    continue
                }
                if let interaction = event.interaction(for: dispatch, provider: endpoint.provider) { interactions.append(interaction) }
                if event.suppresses, let address = try await self.store.user(dispatch.userID)?.addresses[dispatch.channel] ?? event.recipient {
                    try await self.store.suppress(Suppression(channel: dispatch.channel, address: address, userID: dispatch.userID, at: event.time,
                                                              reason: DecisionReason(.badAddress, "\(endpoint.provider) reported \(event.kind.rawValue)")))
                    suppressed += 1
                }
                self.metrics.captured("provider_\(event.kind.rawValue)")
            }
            let report = try await self.ingest(interactions, source: "webhook")
            return json(tree: .object(["events": .number(Double(events.count)), "accepted": .number(Double(report.accepted)),
                                       "duplicates": .number(Double(report.duplicates.count)), "suppressed": .number(Double(suppressed)),
                                       "unknown_dispatch": .number(Double(unknown))]))
        }
    }
}
