import Foundation

/// The mutable state of one render: scopes, counters, the output buffer, limits.
/// Made fresh for every render, so a parsed template is shared freely.
final class RenderState {
    enum Interrupt { case breakLoop, continueLoop }

    /// Set by `abort_message` (Braze) before it unwinds the render with `.abortSignal`.
    var abortReason: String??

    var output = ""
    /// Local scopes; `scopes[0]` is where `assign` and `capture` write.
    var scopes: [LiquidObject]
    let globals: LiquidObject
    var counters: [String: Int] = [:]
    var cycles: [String: Int] = [:]
    var loopOffsets: [String: Int] = [:]
    var loopStack: [LiquidObject] = []
    var lastIfChanged: String?
    var interrupt: Interrupt?
    var iterations = 0
    /// Nodes rendered and filters applied so far (bounded by ``LiquidLimits/maxSteps``).
    var steps = 0
    var includeDepth = 0
    var partialCache: [String: Block]
    let options: RenderOptions
    let environment: ParseEnvironment
    let templateName: String?

    init(globals: LiquidObject, options: RenderOptions, environment: ParseEnvironment, templateName: String?, partialCache: [String: Block] = [:]) {
        self.globals = globals
        self.options = options
        self.environment = environment
        self.templateName = templateName
        self.partialCache = partialCache
        scopes = [LiquidObject()]
    }

    func write(_ text: String) throws(LiquidError) {
        output += text
        if output.utf8.count > options.limits.maxOutputBytes {
            throw LiquidError(.limitExceeded, "the output is larger than \(options.limits.maxOutputBytes) bytes")
        }
    }

    /// The value's items, for a filter or loop that needs them all. A range's items count
    /// against the loop limit before they exist, so `(1..1000000000) | join` is an error,
    /// not 24 GB; a `for` over a range takes only its slice (``ForLoop``).
    func items(_ value: LiquidValue) throws(LiquidError) -> [LiquidValue] {
        try checkRange(value)
        return value.asArray
    }

    /// ``LiquidValue/flattened``, with every range in it counted first.
    func flattened(_ value: LiquidValue) throws(LiquidError) -> [LiquidValue] {
        try checkRange(value)
        if case .array(let items) = value { for item in items { try checkRange(item) } }
        return value.flattened
    }

    /// Counts a range's items as loop iterations (an error past the limit).
    func checkRange(_ value: LiquidValue) throws(LiquidError) {
        try checkRangeFits(value)
        if case .range(let low, let high) = value { iterations += CheckedNumbers.rangeCount(low, high) }
    }

    /// Whether a range's items fit in the loop iterations left, without counting them.
    func checkRangeFits(_ value: LiquidValue) throws(LiquidError) {
        guard case .range(let low, let high) = value else { return }
        guard CheckedNumbers.rangeCount(low, high) <= options.limits.maxLoopIterations - iterations else {
            throw LiquidError(.limitExceeded, "the range \(low)..\(high) has more items than the \(options.limits.maxLoopIterations) loop iterations a render may use")
        }
    }

    /// Counts one step of work: a node rendered or a filter applied.
    @inline(__always)
    func countStep() throws(LiquidError) {
        steps += 1
        if steps > options.limits.maxSteps {
            throw LiquidError(.limitExceeded, "the render took more than \(options.limits.maxSteps) steps (nodes and filters); is a partial including itself?")
        }
    }

    /// Checks the size of a string a filter is about to make or has made.
    func checkValueSize(_ bytes: Int, _ what: @autoclosure () -> String) throws(LiquidError) {
        guard bytes <= options.limits.maxValueBytes else {
            throw LiquidError(.limitExceeded, "\(what()) would make a string of \(bytes) bytes, more than the \(options.limits.maxValueBytes) a value may have")
        }
    }

    /// Counts the items a filter made from text (`split`) as loop iterations: a 4 MiB
    /// string split into characters would otherwise make an array of millions for `sort`.
    func countMadeItems(_ count: Int, _ what: String) throws(LiquidError) {
        iterations += count
        if iterations > options.limits.maxLoopIterations {
            throw LiquidError(.limitExceeded, "\(what) made \(count) items, past the \(options.limits.maxLoopIterations) loop iterations a render may use")
        }
    }

    func countIteration() throws(LiquidError) {
        iterations += 1
        if iterations > options.limits.maxLoopIterations {
            throw LiquidError(.limitExceeded, "loops ran more than \(options.limits.maxLoopIterations) iterations in all")
        }
    }

    /// Looks a top-level name up: local scopes from the innermost, then the data.
    func lookup(_ name: String) -> LiquidValue? {
        var index = scopes.count - 1
        while index >= 0 {
            if scopes[index].count > 0, let value = scopes[index][name] { return value }
            index -= 1
        }
        if !counters.isEmpty, let counter = counters[name] { return .int(counter) }
        return globals[name]
    }

    func assign(_ name: String, _ value: LiquidValue) {
        scopes[0][name] = value
    }
}

/// Options for one render.
public struct RenderOptions: Sendable {
    /// Whether an undefined variable is an error (strict) or renders as nothing.
    public var strictVariables: Bool
    /// The current time for `date` with `"now"`/`"today"`.
    public var now: @Sendable () -> Date
    /// The time zone `date` formats in.
    public var timeZone: TimeZone
    /// Limits against runaway templates.
    public var limits: LiquidLimits
    /// Finds the source of a partial for `include`/`render` by name; nil if none.
    public var partials: @Sendable (String) -> String?
    /// Finds the source of a Braze content block for `{{content_blocks.${name}}}`; nil
    /// (the default) makes content blocks an error of kind `unavailable`.
    public var contentBlocks: (@Sendable (String) -> String?)?
    /// Performs Braze's `connected_content` requests (the caller decides how: real HTTP,
    /// a cache, a fixture); nil (the default) makes the tag an error of kind `unavailable`.
    /// An error it throws fails the render with kind `unavailable`.
    public var connectedContent: (@Sendable (ConnectedContentRequest) throws -> ConnectedContentResponse)?

    /// Creates render options.
    public init(
        strictVariables: Bool = false,
        now: @escaping @Sendable () -> Date = { Date() },
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current,
        limits: LiquidLimits = LiquidLimits(),
        partials: @escaping @Sendable (String) -> String? = { _ in nil },
        contentBlocks: (@Sendable (String) -> String?)? = nil,
        connectedContent: (@Sendable (ConnectedContentRequest) throws -> ConnectedContentResponse)? = nil
    ) {
        self.strictVariables = strictVariables
        self.now = now
        self.timeZone = timeZone
        self.limits = limits
        self.partials = partials
        self.contentBlocks = contentBlocks
        self.connectedContent = connectedContent
    }
}

/// Limits that keep a hostile or broken template from exhausting the service.
public struct LiquidLimits: Sendable {
    /// The largest output, in UTF-8 bytes. Default 1 MiB.
    public var maxOutputBytes: Int
    /// The most loop iterations in one render (all loops together). Default 100,000.
    public var maxLoopIterations: Int
    /// The deepest nesting of blocks and of `include`/`render`. Default 64.
    public var maxDepth: Int
    /// The largest string a filter may make (`append` in a loop, `join`, `replace`), in
    /// UTF-8 bytes. Default 4 MiB.
    public var maxValueBytes: Int
    /// The most work in one render: nodes rendered plus filters applied. It bounds what
    /// the other limits let through together, such as a partial that includes itself
    /// twice at each of its 64 levels. Default 1,000,000.
    public var maxSteps: Int

    /// Creates limits.
    public init(maxOutputBytes: Int = 1 << 20, maxLoopIterations: Int = 100_000, maxDepth: Int = 64,
                maxValueBytes: Int = 4 << 20, maxSteps: Int = 1_000_000) {
        self.maxOutputBytes = maxOutputBytes
        self.maxLoopIterations = maxLoopIterations
        self.maxDepth = maxDepth
        self.maxValueBytes = maxValueBytes
        self.maxSteps = maxSteps
    }
}
