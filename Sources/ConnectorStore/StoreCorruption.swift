/// A stored row that cannot be read back: the file was changed outside the store, or
/// written by a version with values this one does not know.
///
/// The store's reads throw it; the rest of the store stays usable. Restore the file from
/// a backup, or open it with the version that wrote it.
public struct StoreCorruption: Error, Sendable, CustomStringConvertible {
    /// Which row or value, and what was wrong with it.
    public let detail: String

    init(_ detail: String) { self.detail = detail }

    public var description: String { "the store holds a row it cannot read: \(detail)" }
}
