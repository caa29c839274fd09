import Foundation

/// The PostgreSQL store's schema: named migrations, applied in order under an advisory
/// lock (instances starting together wait for each other), each once, never edited once
/// released. Times are seconds since 1970 (`DOUBLE PRECISION`), documents JSON text.
enum PostgresSchema {
    /// The advisory lock key migrations run under.
    static let migrationLock: Int64 = 0x436F_6E6E_6563_7401

    static let migrations: [(name: String, sql: String)] = [
        ("001 campaigns, users, events, waiting, outbox, trace", """
            CREATE TABLE campaign (id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);
            CREATE TABLE campaign_version (id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (id, version));
            CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            -- Bumped with every change of campaigns or settings: instances reload their engine when it moves.
            CREATE TABLE decisions_generation (id INTEGER PRIMARY KEY, value BIGINT NOT NULL);
            INSERT INTO decisions_generation VALUES (1, 0);
            CREATE TABLE app_user (id TEXT PRIMARY KEY, json TEXT NOT NULL);
            -- R25: one row per event id, whichever instance ingests it.
            CREATE TABLE event (
                seq BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, time DOUBLE PRECISION NOT NULL,
                may_cancel BOOLEAN NOT NULL, json TEXT NOT NULL);
            CREATE INDEX event_exceptions ON event (user_id, time) WHERE may_cancel;
            CREATE TABLE receipt (user_id TEXT NOT NULL, campaign_id TEXT NOT NULL, channel TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
            CREATE INDEX receipt_user ON receipt (user_id, campaign_id, at);
            -- R6: one waiting entry per user and follow-up.
            CREATE TABLE waiting (
                user_id TEXT NOT NULL, follow_up TEXT NOT NULL, id TEXT NOT NULL, due_at DOUBLE PRECISION NOT NULL,
                claimed_by TEXT, lease_until DOUBLE PRECISION, json TEXT NOT NULL, PRIMARY KEY (user_id, follow_up));
            CREATE INDEX waiting_due ON waiting (due_at);
            CREATE INDEX waiting_follow_up ON waiting (follow_up);
            CREATE TABLE outbox (
                seq BIGSERIAL PRIMARY KEY, dispatch_id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, campaign_id TEXT NOT NULL,
                channel TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                ready_at DOUBLE PRECISION, claimed_by TEXT, lease_until DOUBLE PRECISION, reclaimed BOOLEAN NOT NULL DEFAULT FALSE,
                send_started_at DOUBLE PRECISION, provider_message_id TEXT, reason_code TEXT, reason TEXT,
                updated_at DOUBLE PRECISION NOT NULL, json TEXT NOT NULL);
            CREATE INDEX outbox_user ON outbox (user_id, created_at);
            CREATE INDEX outbox_campaign ON outbox (campaign_id, channel, created_at);
            CREATE INDEX outbox_ready ON outbox (ready_at) WHERE state IN ('queued', 'retry', 'sending');
            CREATE TABLE dispatch_attempt (
                seq BIGSERIAL PRIMARY KEY, dispatch_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, worker TEXT NOT NULL,
                provider TEXT NOT NULL, status_code INTEGER, latency DOUBLE PRECISION NOT NULL, provider_message_id TEXT,
                error_class TEXT, error TEXT);
            CREATE INDEX dispatch_attempt_dispatch ON dispatch_attempt (dispatch_id, seq);
            CREATE TABLE trace (
                seq BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, time DOUBLE PRECISION NOT NULL, campaign_id TEXT NOT NULL,
                action TEXT NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL);
            CREATE INDEX trace_user ON trace (user_id, seq);
            CREATE TABLE kept_message (
                dispatch_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, campaign_id TEXT NOT NULL, channel TEXT NOT NULL,
                provider TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION, dismissed_at DOUBLE PRECISION,
                json BYTEA NOT NULL);
            CREATE INDEX kept_message_user ON kept_message (user_id, channel, at);
            CREATE TABLE suppression (
                channel TEXT NOT NULL, address TEXT NOT NULL, user_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
                reason_code TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (channel, address));
            """),
    ]
}
