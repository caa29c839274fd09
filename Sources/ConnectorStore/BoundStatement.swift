import Foundation
import GRDB
import GRDBSQLite

/// A statement prepared on the writing connection for one transaction, bound by position
/// with SQLite's own calls.
///
/// Ingestion runs a handful of statements per event; through GRDB each execution builds
/// an array of `DatabaseValueConvertible` existentials and validates it, which was about
/// a tenth of the writer's time. These statements bind Swift values directly. They live
/// only inside one `pool.write` closure (finalized when released) and never touch GRDB's
/// own statement cache. GRDB's transaction observers do not see what they change; the
/// store registers none.
final class BoundStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private let sql: String
    /// SQLite copies bound text before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(_ db: Database, _ sql: String) throws {
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database connection is closed", sql: sql)
        }
        var handle: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, 0, &handle, nil)
        guard code == SQLITE_OK, let handle else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    /// A buffer per parameter position that holds its bound text for as long as it is
    /// bound (SQLITE_STATIC): SQLite reads the text in place instead of allocating a copy
    /// of every value. Rebinding a position overwrites its buffer, which the earlier
    /// binding no longer needs.
    private var textBuffers: [(pointer: UnsafeMutablePointer<CChar>, capacity: Int)?] = []

    deinit {
        sqlite3_finalize(handle)
        for case let buffer? in textBuffers { buffer.pointer.deallocate() }
    }

    func bind(_ position: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(handle, position)
            return
        }
        text.withUTF8 { bytes in
            let index = Int(position)
            guard let base = bytes.baseAddress, !bytes.isEmpty, index >= 0 else {
                _ = sqlite3_bind_text(handle, position, "", 0, Self.transient)  // empty text, not NULL
                return
            }
            if textBuffers.count <= index { textBuffers += Array(repeating: nil, count: index + 1 - textBuffers.count) }
            if (textBuffers[index]?.capacity ?? -1) < bytes.count {
                textBuffers[index]?.pointer.deallocate()
                let capacity = max(64, bytes.count * 2)
                textBuffers[index] = (UnsafeMutablePointer<CChar>.allocate(capacity: capacity), capacity)
            }
            guard let buffer = textBuffers[index] else { return }
            UnsafeMutableRawPointer(buffer.pointer).copyMemory(from: base, byteCount: bytes.count)
            _ = sqlite3_bind_text(handle, position, buffer.pointer, Int32(bytes.count), nil)  // nil: SQLITE_STATIC
        }
    }

    func bind(_ position: Int32, _ data: Data) {
        data.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, position, bytes.baseAddress, Int32(bytes.count), Self.transient)
        }
    }

    func bind(_ position: Int32, _ number: Double) {
        sqlite3_bind_double(handle, position, number)
    }

    func bind(_ position: Int32, _ number: Int64) {
        sqlite3_bind_int64(handle, position, number)
    }

    /// Runs the statement to completion and makes it ready for new values.
    func execute() throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else { throw error(code) }
    }

    /// Runs a query and hands each result row to `body`, then makes the statement ready
    /// for new values.
    func forEachRow(_ body: (RowReader) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw error(code) }
            try body(RowReader(handle: handle))
        }
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }

    /// Column access for the current row of a ``BoundStatement`` query.
    struct RowReader {
        fileprivate let handle: OpaquePointer

        func text(_ column: Int32) -> String? {
            guard let bytes = sqlite3_column_text(handle, column) else { return nil }
            return String(cString: bytes)
        }

        /// The column's bytes (text or blob), valid only inside the row's closure.
        func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let start = sqlite3_column_blob(handle, column) else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
        }

        func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

        func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

        func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    }
}
