/// A template problem: what went wrong and where.
///
/// Parse errors (bad syntax, unknown tags and filters) are found when a template is
/// parsed; render errors (undefined variables in strict mode, bad filter arguments,
/// limits) when it is rendered. The description names the line and column and shows
/// the offending snippet.
public struct LiquidError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of problem.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let syntax = Kind(name: "syntax error")
        public static let unknownTag = Kind(name: "unknown tag")
        public static let unknownFilter = Kind(name: "unknown filter")
        public static let undefinedVariable = Kind(name: "undefined variable")
        public static let filterArgument = Kind(name: "filter argument error")
        public static let type = Kind(name: "type error")
        public static let templateNotFound = Kind(name: "template not found")
        public static let limitExceeded = Kind(name: "limit exceeded")
        /// A Braze tag needs something the caller did not provide or that failed: a
        /// `connected_content` fetcher, a content block source.
        public static let unavailable = Kind(name: "unavailable")
        /// Internal: unwinds a render stopped by `abort_message`; never reaches callers.
        static let abortSignal = Kind(name: "aborted")
        public var description: String { name }
    }

    public var kind: Kind
    /// What is wrong and, where it helps, how to fix it.
    public var message: String
    /// 1-based line of the offending markup, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// The markup around the problem.
    public var snippet: String?
    /// The name of the template (or partial) it occurred in, when it has one.
    public var templateName: String?

    public init(_ kind: Kind, _ message: String, line: Int? = nil, column: Int? = nil, snippet: String? = nil, templateName: String? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.snippet = snippet
        self.templateName = templateName
    }

    public var description: String {
        var text = "\(kind): \(message)"
        var place: [String] = []
        if let templateName { place.append("in '\(templateName)'") }
        if let line { place.append("line \(line)" + (column.map { ", column \($0)" } ?? "")) }
        if !place.isEmpty { text += " (" + place.joined(separator: " ") + ")" }
        if let snippet { text += ": \(snippet)" }
        return text
    }

    /// Adds a position unless the error already has one.
    func at(_ position: SourcePosition?) -> LiquidError {
        guard line == nil, let position else { return self }
        var copy = self
        copy.line = position.line
        copy.column = position.column
        return copy
    }

    /// Fills in the snippet from the template source, at the error's line and column.
    func withSnippet(from source: String) -> LiquidError {
        guard snippet == nil, let line, line >= 1 else { return self }
        let lines = source.utf8.split(separator: 10, omittingEmptySubsequences: false)
        guard line <= lines.count else { return self }
        let bytes = Array(lines[line - 1])
        let start = min(bytes.count, max(0, (column ?? 1) - 1))
        var copy = self
        copy.snippet = String(decoding: bytes[start..<min(bytes.count, start + 60)], as: UTF8.self)
        return copy
    }
}

/// Where a piece of markup starts in the template source.
struct SourcePosition: Sendable, Equatable {
    var line: Int
    var column: Int
}
