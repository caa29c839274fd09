import ConnectorCore
import ConnectorStore
import Foundation
import Hummingbird

/// A campaign as the API lists it.
struct CampaignSummary: Encodable {
    var id: String
    var name: String
    var version: Int
    var status: String
    var channels: [String]
    var trigger: TriggerSummary?

    struct TriggerSummary: Encodable {
        var kind: String
        var campaign: String
        var detail: String?
    }

    init(_ campaign: Campaign) {
        id = campaign.id.rawValue
        name = campaign.name
        version = campaign.version
        status = campaign.history.current.rawValue
        channels = campaign.channels.map(\.rawValue)
        trigger = campaign.trigger.map { TriggerSummary(kind: $0.kind.rawValue, campaign: $0.target.rawValue, detail: $0.detail) }
    }
}

/// A publish-time issue as the API shows it.
struct IssueSummary: Encodable {
    var severity: String
    var campaign: String
    var field: String
    var message: String
    var related: [String]

    init(_ issue: CampaignIssue) {
        severity = issue.severity.rawValue
        campaign = issue.campaign.rawValue
        field = issue.field
        message = issue.message
        related = issue.related.map(\.rawValue)
    }
}

extension ConnectorService {
    func addCampaignRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/campaigns") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            return try json(["campaigns": try await self.store.campaigns().sorted { $0.id.rawValue < $1.id.rawValue }.map(CampaignSummary.init)])
        }
        router.get("/v1/campaigns/:id") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            let campaign = try await self.campaign(try context.parameters.require("id"))
            struct Detail: Encodable {
                var campaign: CampaignSummary
                var versions: [Int]
            }
            let versions = try await self.store.campaignVersions(of: campaign.id).map(\.version)
            return try json(Detail(campaign: CampaignSummary(campaign), versions: versions))
        }
        // Create or update from a campaign file's text (YAML or JSON, as in Examples/campaigns):
        // a changed definition becomes the next version; the status stays (publish, stop,
        // resume and archive have their own endpoints). Errors name the field.
        router.put("/v1/campaigns/:id") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .admin)
            let id = try context.parameters.require("id")
            let campaign: Campaign
            do {
                campaign = try CampaignFileReader.campaign(from: try await self.bodyText(request), file: "body")
            } catch let error as CampaignDefinitionError {
                throw APIError(.invalid, error.message, field: error.path.isEmpty ? nil : error.path)
            }
            guard campaign.id.rawValue == id else {
                throw APIError(.invalid, "the body's id '\(campaign.id.rawValue)' is not the path's '\(id)'", field: "id")
            }
            if let problem = self.configuration.delivery.problems(sending: campaign, adapters: self.adapters, file: "body").first {
                throw APIError(.invalid, problem.message, field: problem.path)
            }
            let saved = try await self.store.save(campaign)
            return try json(["campaign": CampaignSummary(saved)])
        }
        router.post("/v1/campaigns/:id/:action") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .admin)
            let id = try context.parameters.require("id"), action = try context.parameters.require("action")
            let status: CampaignStatus
            switch action {
            case "publish", "resume": status = .active
            case "stop": status = .stopped
            case "archive": status = .archived
            default: throw APIError.notFound("no action '\(action)': use publish, stop, resume or archive")
            }
            _ = try await self.campaign(id)
            do {
                let change = try await self.store.changeStatus(of: CampaignID(id), to: status, at: self.clock.now())
                struct Changed: Encodable {
                    var campaign: CampaignSummary
                    var warnings: [IssueSummary]
                }
                return try json(Changed(campaign: CampaignSummary(change.campaign), warnings: change.warnings.map(IssueSummary.init)))
            } catch let refusal as CampaignLifecycle.Refusal {
                struct Refused: Encodable {
                    struct Detail: Encodable {
                        var code: String
                        var message: String
                        var issues: [IssueSummary]
                    }
                    var error: Detail
                }
                return try json(Refused(error: .init(code: "refused", message: "cannot make \(id) \(status.rawValue)",
                                                     issues: refusal.issues.map(IssueSummary.init))), status: .conflict)
            }
        }
    }

    func campaign(_ id: String) async throws -> Campaign {
        guard let campaign = try await store.campaigns().first(where: { $0.id.rawValue == id }) else {
            throw APIError.notFound("no campaign '\(id)'")
        }
        return campaign
    }
}
