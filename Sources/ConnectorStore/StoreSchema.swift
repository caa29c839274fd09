import ConnectorCore
import Foundation
import GRDB

/// The store's schema as named, ordered migrations: a database is brought up to date
/// when it opens; a released migration is never edited, a change is a new one.
extension SQLiteStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001 campaigns, users, events, waiting, outbox, trace") { db in
            try db.execute(sql: """
                CREATE TABLE campaign (id TEXT PRIMARY KEY, version INTEGER NOT NULL, json BLOB NOT NULL);
                CREATE TABLE user (id TEXT PRIMARY KEY, json BLOB NOT NULL);
                CREATE TABLE event (
                    seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, user_id TEXT NOT NULL, time REAL NOT NULL,
                    type TEXT NOT NULL, kind TEXT, campaign TEXT, detail TEXT, data TEXT);
                CREATE TABLE exception_event (user_id TEXT NOT NULL, time REAL NOT NULL, seq INTEGER NOT NULL);
                CREATE INDEX exception_event_user ON exception_event (user_id, time);
                CREATE TABLE waiting (
                    user_id TEXT NOT NULL, follow_up TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
                    trigger_event_id TEXT NOT NULL, trigger_time REAL NOT NULL, due_at REAL NOT NULL,
                    PRIMARY KEY (user_id, follow_up)) WITHOUT ROWID;  -- R6: one entry per user and follow-up
                CREATE INDEX waiting_due ON waiting (due_at);
                CREATE TABLE receipt (
                    user_id TEXT NOT NULL, campaign_id TEXT NOT NULL, channel TEXT NOT NULL, at REAL NOT NULL);
                CREATE INDEX receipt_user ON receipt (user_id, at);
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY, dispatch_id TEXT NOT NULL UNIQUE, idempotency_key TEXT NOT NULL UNIQUE,
                    campaign_id TEXT NOT NULL, channel TEXT NOT NULL, created_at REAL NOT NULL, json BLOB NOT NULL);
                CREATE INDEX outbox_rate ON outbox (campaign_id, channel, created_at);
                CREATE TABLE trace (
                    seq INTEGER PRIMARY KEY, user_id TEXT NOT NULL, time REAL NOT NULL,
                    campaign_id TEXT NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL);
                CREATE INDEX trace_user ON trace (user_id, seq);
                """)
        }
        // Receipts and exception events are only ever read by user: keyed by user, in one
        // B-tree each (no rowid table beside the index), and the receipt key answers R7's
        // "last receipt of F" with one seek.
        migrator.registerMigration("002 receipts and exception events clustered by user") { db in
            try db.execute(sql: """
                CREATE TABLE receipt_by_user (
                    user_id TEXT NOT NULL, campaign_id TEXT NOT NULL, at REAL NOT NULL, channel TEXT NOT NULL,
                    PRIMARY KEY (user_id, campaign_id, at, channel)) WITHOUT ROWID;
                INSERT OR IGNORE INTO receipt_by_user SELECT user_id, campaign_id, at, channel FROM receipt;
                DROP TABLE receipt;
                ALTER TABLE receipt_by_user RENAME TO receipt;
                CREATE TABLE exception_by_user (
                    user_id TEXT NOT NULL, time REAL NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY (user_id, time, seq)) WITHOUT ROWID;
                INSERT INTO exception_by_user SELECT user_id, time, seq FROM exception_event;
                DROP TABLE exception_event;
                ALTER TABLE exception_by_user RENAME TO exception_event;
                """)
        }
        // Every saved version of a campaign's settings (R21, audits).
        migrator.registerMigration("003 campaign versions") { db in
            try db.execute(sql: """
                CREATE TABLE campaign_version (
                    id TEXT NOT NULL, version INTEGER NOT NULL, json BLOB NOT NULL,
                    PRIMARY KEY (id, version)) WITHOUT ROWID;
                INSERT INTO campaign_version SELECT id, version, json FROM campaign;
                """)
        }
        // Store-wide settings that must survive a restart (the receipt index in use).
        migrator.registerMigration("004 settings") { db in
            try db.execute(sql: "CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
        }
        // Campaigns gained `messages` (channel content, R21): stored documents get an empty one.
        migrator.registerMigration("005 campaign messages") { db in
            for table in ["campaign", "campaign_version"] {
                try db.execute(sql: """
                    UPDATE \(table) SET json = CAST(json_set(CAST(json AS TEXT), '$.messages', json('[]')) AS BLOB)
                    WHERE json_type(CAST(json AS TEXT), '$.messages') IS NULL
                    """)
            }
        }
        // The trace's user index is built in bulk, by day (ByUserIndex.swift).
        migrator.registerMigration("006 trace indexed by user in bulk") { db in
            try db.execute(sql: """
                DROP INDEX trace_user;
                CREATE TABLE trace_by_user (
                    day INTEGER NOT NULL, user_id TEXT NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY (day, user_id, seq)) WITHOUT ROWID;
                INSERT INTO trace_by_user SELECT CAST(time / 86400 AS INTEGER), user_id, seq FROM trace ORDER BY 1, 2, 3;
                INSERT OR REPLACE INTO setting (name, value) VALUES ('trace_indexed_through', (SELECT COALESCE(MAX(seq), 0) FROM trace));
                """)
        }
        // Waiting entries appended by a time-ordered key, indexed by user in bulk, and
        // receipts and exception events indexed by user in bulk from the event log
        // (ByUserIndex.swift): no random B-tree write per event. R6 (one entry
        // per user and follow-up) moves from the primary key to the writer, which replaces
        // a user's entry for a follow-up it has just read. AUTOINCREMENT: a key is never
        // reused, so "after the indexed-through key" always means "not indexed yet".
        migrator.registerMigration("007 waiting entries and per-user state indexed in bulk") { db in
            try db.execute(sql: """
                ALTER TABLE waiting RENAME TO waiting_001;
                CREATE TABLE waiting (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, follow_up TEXT NOT NULL, id TEXT NOT NULL,
                    version INTEGER NOT NULL, trigger_event_id TEXT NOT NULL, trigger_time REAL NOT NULL, due_at REAL NOT NULL);
                INSERT INTO waiting (user_id, follow_up, id, version, trigger_event_id, trigger_time, due_at)
                SELECT user_id, follow_up, id, version, trigger_event_id, trigger_time, due_at FROM waiting_001 ORDER BY due_at;
                DROP TABLE waiting_001;
                CREATE INDEX waiting_due ON waiting (due_at);
                CREATE TABLE waiting_by_user (
                    user_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (user_id, seq)) WITHOUT ROWID;
                INSERT INTO waiting_by_user SELECT user_id, seq FROM waiting ORDER BY user_id, seq;
                INSERT OR REPLACE INTO setting (name, value) VALUES ('waiting_indexed_through', (SELECT COALESCE(MAX(seq), 0) FROM waiting));
                INSERT OR REPLACE INTO setting (name, value) VALUES ('events_indexed_through', (SELECT COALESCE(MAX(seq), 0) FROM event));
                """)
        }
        // Users are read by id for every trigger: one B-tree keyed by id instead of a rowid
        // table plus its primary-key index (two seeks a read).
        migrator.registerMigration("008 users clustered by id") { db in
            try db.execute(sql: """
                CREATE TABLE user_by_id (id TEXT PRIMARY KEY, json BLOB NOT NULL) WITHOUT ROWID;
                INSERT INTO user_by_id SELECT id, json FROM user ORDER BY id;
                DROP TABLE user;
                ALTER TABLE user_by_id RENAME TO user;
                """)
        }
        // The by-user indexes move to the index file beside the store (StateIndexFile.swift),
        // where the index thread fills them while the writer goes on. The store's
        // connections attach it as `idx`. Copied, not rebuilt; re-running after a crash
        // between the two files' commits copies again (OR IGNORE, OR REPLACE).
        migrator.registerMigration("009 by-user indexes in the index file") { db in
            try StateIndexFile.createSchema(db, schema: "idx")
            let marks = StateIndexFile.Mark.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            try db.execute(sql: """
                INSERT OR IGNORE INTO idx.waiting_by_user SELECT user_id, seq FROM main.waiting_by_user;
                INSERT OR IGNORE INTO idx.receipt (user_id, campaign_id, at, channel) SELECT user_id, campaign_id, at, channel FROM main.receipt;
                INSERT OR IGNORE INTO idx.exception_event (user_id, time, seq) SELECT user_id, time, seq FROM main.exception_event;
                INSERT OR IGNORE INTO idx.trace_by_user (day, user_id, seq) SELECT day, user_id, seq FROM main.trace_by_user;
                INSERT OR REPLACE INTO idx.index_state (name, value) SELECT name, value FROM main.setting WHERE name IN (\(marks));
                DROP TABLE main.waiting_by_user; DROP TABLE main.receipt; DROP TABLE main.exception_event; DROP TABLE main.trace_by_user;
                DELETE FROM main.setting WHERE name IN (\(marks));
                """)
            let id = UUID().uuidString.lowercased()
            try db.execute(sql: "INSERT OR REPLACE INTO main.setting (name, value) VALUES ('store_id', ?)", arguments: [id])
            try db.execute(sql: "INSERT OR REPLACE INTO idx.index_state (name, value) VALUES ('store_id', ?)", arguments: [id])
        }
        // Decision reasons carry a stable code beside their text (DecisionReason).
        migrator.registerMigration("010 trace reason codes") { db in
            try db.execute(sql: "ALTER TABLE trace ADD COLUMN code TEXT NOT NULL DEFAULT ''")
        }
        // Claims with leases on waiting entries and dispatches (a worker completes only what
        // it holds); a hold keeps the first due time (R18); dispatches have states, their
        // user (R19 counts them) and their attempts.
        migrator.registerMigration("011 claims, leases and dispatch states") { db in
            try db.execute(sql: """
                ALTER TABLE waiting ADD COLUMN first_due_at REAL;
                UPDATE waiting SET first_due_at = due_at;
                ALTER TABLE waiting ADD COLUMN claimed_by TEXT;
                ALTER TABLE waiting ADD COLUMN lease_until REAL;
                ALTER TABLE outbox ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
                UPDATE outbox SET user_id = COALESCE(json_extract(json, '$.userID'), '');
                ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';
                ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE outbox ADD COLUMN ready_at REAL;
                UPDATE outbox SET ready_at = created_at;
                ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
                ALTER TABLE outbox ADD COLUMN lease_until REAL;
                ALTER TABLE outbox ADD COLUMN reclaimed INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE outbox ADD COLUMN provider_message_id TEXT;
                ALTER TABLE outbox ADD COLUMN reason_code TEXT;
                ALTER TABLE outbox ADD COLUMN reason TEXT;
                ALTER TABLE outbox ADD COLUMN updated_at REAL;
                UPDATE outbox SET updated_at = created_at;
                CREATE INDEX outbox_user ON outbox (user_id, created_at);
                CREATE INDEX outbox_ready ON outbox (ready_at) WHERE state IN ('queued', 'retry', 'sending');
                CREATE TABLE dispatch_attempt (
                    seq INTEGER PRIMARY KEY, dispatch_id TEXT NOT NULL, at REAL NOT NULL, worker TEXT NOT NULL, provider TEXT NOT NULL,
                    status_code INTEGER, latency REAL NOT NULL, provider_message_id TEXT, error_class TEXT, error TEXT);
                CREATE INDEX dispatch_attempt_dispatch ON dispatch_attempt (dispatch_id, seq);
                """)
        }
        migrator.registerMigration("012 kept messages and suppressions") { db in
            try db.execute(sql: """
                CREATE TABLE kept_message (
                    dispatch_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, campaign_id TEXT NOT NULL, channel TEXT NOT NULL,
                    provider TEXT NOT NULL, at REAL NOT NULL, expires_at REAL, dismissed_at REAL, json BLOB NOT NULL);
                CREATE INDEX kept_message_user ON kept_message (user_id, channel, at);
                CREATE TABLE suppression (
                    channel TEXT NOT NULL, address TEXT NOT NULL, user_id TEXT NOT NULL, at REAL NOT NULL,
                    reason_code TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (channel, address)) WITHOUT ROWID;
                ALTER TABLE outbox ADD COLUMN send_started_at REAL;
                """)
        }
        return migrator
    }
}
