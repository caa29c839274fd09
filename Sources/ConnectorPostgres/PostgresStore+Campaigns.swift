import ConnectorCore
import ConnectorStore
import Foundation
import PostgresNIO

/// Campaigns, users and workspace settings.
extension PostgresStore {
    public func save(_ campaign: Campaign) async throws -> Campaign {
        try await transaction { connection in
            try await connection.query("SELECT value FROM decisions_generation WHERE id = 1 FOR UPDATE", logger: logger)
            var saved = campaign
            let current = try await readCampaign(campaign.id, connection)
            // The status history is the store's: only changeStatus (with its checks) moves it.
            saved.history = current?.history ?? StatusHistory()
            if let current {
                var sameSettings = saved
                sameSettings.version = current.version
                saved.version = sameSettings == current ? current.version : max(current.version + 1, campaign.version)
            } else {
                saved.version = max(1, campaign.version)
            }
            let json = try Self.json(saved)
            try await connection.query("""
                INSERT INTO campaign (id, version, json) VALUES (\(saved.id.rawValue), \(saved.version), \(json))
                ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, json = EXCLUDED.json
                """, logger: logger)
            try await connection.query("""
                INSERT INTO campaign_version (id, version, json) VALUES (\(saved.id.rawValue), \(saved.version), \(json))
                ON CONFLICT (id, version) DO UPDATE SET json = EXCLUDED.json
                """, logger: logger)
            try await connection.query("UPDATE decisions_generation SET value = value + 1 WHERE id = 1", logger: logger)
            return saved
        }
    }

    public func campaigns() async throws -> [Campaign] {
        try await client.withConnection { connection in try await readCampaigns(connection) }
    }

    func readCampaigns(_ connection: PostgresConnection) async throws -> [Campaign] {
        var campaigns: [Campaign] = []
        for try await json in try await connection.query("SELECT json FROM campaign ORDER BY id", logger: logger).decode(String.self) {
            campaigns.append(try Self.decode(Campaign.self, json))
        }
        return campaigns
    }

    func readCampaign(_ id: CampaignID, _ connection: PostgresConnection) async throws -> Campaign? {
        for try await json in try await connection.query("SELECT json FROM campaign WHERE id = \(id.rawValue)", logger: logger).decode(String.self) {
            return try Self.decode(Campaign.self, json)
        }
        return nil
    }

    public func campaignVersions(of id: CampaignID) async throws -> [Campaign] {
        try await client.withConnection { connection in
            var versions: [Campaign] = []
            let rows = try await connection.query("SELECT json FROM campaign_version WHERE id = \(id.rawValue) ORDER BY version", logger: logger)
            for try await json in rows.decode(String.self) { versions.append(try Self.decode(Campaign.self, json)) }
            return versions
        }
    }

    public func changeStatus(of id: CampaignID, to status: CampaignStatus, at time: Date) async throws -> CampaignLifecycle.Change {
        try await transaction { connection in
            try await connection.query("SELECT value FROM decisions_generation WHERE id = 1 FOR UPDATE", logger: logger)
            let change = try CampaignLifecycle.change(id, to: status, at: time, among: try await readCampaigns(connection))
            let json = try Self.json(change.campaign)
            try await connection.query("UPDATE campaign SET json = \(json) WHERE id = \(id.rawValue)", logger: logger)
            try await connection.query("UPDATE campaign_version SET json = \(json) WHERE id = \(id.rawValue) AND version = \(change.campaign.version)",
                                       logger: logger)
            try await connection.query("UPDATE decisions_generation SET value = value + 1 WHERE id = 1", logger: logger)
            if status == .stopped || status == .archived {
                // R16: a stop cancels the follow-up's waiting entries for good, claimed ones too.
                let reason = DecisionReason(.campaignStopped,
                                            "cancelled: \(id) was \(status.rawValue) at \(time.formatted(.iso8601)); resuming does not replay entries")
                let rows = try await connection.query("DELETE FROM waiting WHERE follow_up = \(id.rawValue) RETURNING user_id", logger: logger)
                var users: [String] = []
                for try await user in rows.decode(String.self) { users.append(user) }
                for user in users { try await trace(UserID(user), time, id, .cancelled, reason, connection) }
            }
            return change
        }
    }

    public func save(_ user: User) async throws {
        try await save([user])
    }

    public func deleteUser(_ id: UserID) async throws -> UserDeletion {
        try await transaction { connection in
            // The user's lock: no event of theirs is being decided meanwhile.
            try await lock(users: [id], connection)
            var waiting = 0, messages = 0, existed = false
            for try await count in try await connection.query("WITH gone AS (DELETE FROM waiting WHERE user_id = \(id.rawValue) RETURNING 1) SELECT COUNT(*) FROM gone",
                                                              logger: logger).decode(Int64.self) { waiting = Int(count) }
            for try await count in try await connection.query("WITH gone AS (DELETE FROM app_user WHERE id = \(id.rawValue) RETURNING 1) SELECT COUNT(*) FROM gone",
                                                              logger: logger).decode(Int64.self) { existed = count > 0 }
            for try await count in try await connection.query("WITH gone AS (DELETE FROM kept_message WHERE user_id = \(id.rawValue) RETURNING 1) SELECT COUNT(*) FROM gone",
                                                              logger: logger).decode(Int64.self) { messages = Int(count) }
            return UserDeletion(existed: existed, waitingRemoved: waiting, messagesRemoved: messages)
        }
    }

    public func save(_ users: [User]) async throws {
        guard !users.isEmpty else { return }
        try await transaction { connection in
            for user in users { try await write(user, connection) }
        }
    }

    func write(_ user: User, _ connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO app_user (id, json) VALUES (\(user.id.rawValue), \(try Self.json(user)))
            ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json
            """, logger: logger)
    }

    public func user(_ id: UserID) async throws -> User? {
        try await client.withConnection { connection in try await readUser(id, connection) }
    }

    func readUser(_ id: UserID, _ connection: PostgresConnection) async throws -> User? {
        for try await json in try await connection.query("SELECT json FROM app_user WHERE id = \(id.rawValue)", logger: logger).decode(String.self) {
            return try Self.decode(User.self, json)
        }
        return nil
    }

    public func users(_ ids: Set<UserID>) async throws -> [UserID: User] {
        guard !ids.isEmpty else { return [:] }
        return try await client.withConnection { connection in
            var users: [UserID: User] = [:]
            let rows = try await connection.query("SELECT json FROM app_user WHERE id = ANY(\(ids.map(\.rawValue)))", logger: logger)
            for try await json in rows.decode(String.self) {
                let user = try Self.decode(User.self, json)
                users[user.id] = user
            }
            return users
        }
    }

    public func workspaceSettings() async throws -> WorkspaceSettings {
        try await client.withConnection { connection in try await readSettings(connection) }
    }

    func readSettings(_ connection: PostgresConnection) async throws -> WorkspaceSettings {
        for try await json in try await connection.query("SELECT value FROM setting WHERE name = 'workspace'", logger: logger).decode(String.self) {
            return try Self.decode(WorkspaceSettings.self, json)
        }
        return WorkspaceSettings()
    }

    public func save(_ settings: WorkspaceSettings) async throws {
        try settings.validate()
        let json = try Self.json(settings)
        try await transaction { connection in
            try await connection.query("""
                INSERT INTO setting (name, value) VALUES ('workspace', \(json)) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
                """, logger: logger)
            try await connection.query("UPDATE decisions_generation SET value = value + 1 WHERE id = 1", logger: logger)
        }
    }

    /// Appends one line to a user's decision trace.
    func trace(_ user: UserID, _ time: Date, _ campaign: CampaignID, _ action: TraceAction, _ reason: DecisionReason,
               _ connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO trace (user_id, time, campaign_id, action, code, reason)
            VALUES (\(user.rawValue), \(time.timeIntervalSince1970), \(campaign.rawValue), \(action.rawValue), \(reason.code.rawValue), \(reason.text))
            """, logger: logger)
    }

    public func trace(for user: UserID) async throws -> [TraceRecord] {
        try await client.withConnection { connection in
            var records: [TraceRecord] = []
            let rows = try await connection.query(
                "SELECT time, campaign_id, action, code, reason FROM trace WHERE user_id = \(user.rawValue) ORDER BY seq", logger: logger)
            for try await (time, campaign, action, code, reason) in rows.decode((Double, String, String, String, String).self) {
                guard let kind = TraceAction(rawValue: action) else { throw Corruption("a trace row has the unknown action '\(action)'") }
                records.append(TraceRecord(time: Date(timeIntervalSince1970: time), userID: user, campaign: CampaignID(campaign), action: kind,
                                           reason: DecisionReason(DecisionReason.Code(rawValue: code), reason)))
            }
            return records
        }
    }
}
