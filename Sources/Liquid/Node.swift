/// A parsed piece of a template. A parsed template is a tree of these: immutable and
/// `Sendable`, rendered many times from many tasks.
indirect enum Node: Sendable {
    case text(String)
    case output(FilteredExpression, SourcePosition)
    case assign(name: String, FilteredExpression, SourcePosition)
    case capture(name: String, Block)
    /// `if`/`elsif`/`else` (and `unless`, whose first condition is negated).
    case conditional(branches: [(Condition, Block)], otherwise: Block?, negateFirst: Bool, SourcePosition)
    case caseBlock(subject: Expression, branches: [CaseBranch], SourcePosition)
    case forLoop(ForLoop)
    case tableRow(ForLoop, columns: Expression?)
    case breakLoop
    case continueLoop
    case increment(String)
    case decrement(String)
    case cycle(group: Expression?, values: [Expression], key: String)
    case echo(FilteredExpression, SourcePosition)
    case include(Inclusion)
    case ifChanged(Block)
    /// Nodes rendered in place (the lines of a `liquid` tag, the body of `raw`).
    case sequence(Block)
    /// Braze's `{% abort_message("reason") %}`.
    case abort(Expression?)
    /// Braze's `{% connected_content URL :options %}`.
    case connectedContent(ConnectedContentCall)
}

/// A sequence of nodes, and whether it prints only whitespace (then Liquid drops that
/// whitespace: a "blank" block renders nothing).
struct Block: Sendable {
    var nodes: [Node]
    /// Whether the nodes print nothing but whitespace.
    var isBlank: Bool
    /// Set on the bodies of an `if`, `unless`, `case` or `for` that is blank as a whole:
    /// then their whitespace is not printed (Liquid's "blank block" rule).
    var dropsWhitespace = false

    /// The block with its whitespace dropped when `blank`.
    func droppingWhitespace(_ blank: Bool) -> Block {
        var copy = self
        copy.dropsWhitespace = blank
        return copy
    }
}

/// A `when` (with its values) or an `else` of a `case`.
struct CaseBranch: Sendable {
    var values: [Expression]?
    var body: Block
}

struct ForLoop: Sendable {
    var variable: String
    var collection: Expression
    var name: String
    var limit: Expression?
    var offset: Expression?
    var offsetContinue: Bool
    var reversed: Bool
    var body: Block
    var otherwise: Block?
    var position: SourcePosition
}

/// `include` or `render` of a named partial.
struct Inclusion: Sendable {
    var isolated: Bool
    var name: Expression
    var value: Expression?
    var isForLoop: Bool
    var alias: String?
    var arguments: [(String, Expression)]
    var position: SourcePosition
}
