/// An expression inside `{{ }}` or a tag: a literal, a variable path or a range.
indirect enum Expression: Sendable {
    case literal(LiquidValue)
    /// A path: the first segment names a variable (or is a bracketed expression), the
    /// rest read keys, indexes and the special `size`, `first`, `last`.
    case path([PathSegment])
    case range(Expression, Expression)
    /// Braze's output braces inside a tag, `{{ value | filters }}`: the filtered value
    /// (not its text, so `{% for x in {{list}} %}` loops over the list).
    case braced(FilteredExpression)
    /// Braze's `{{content_blocks.${name}}}`: the named block rendered in place, sharing
    /// the template's variables (as `include` does).
    case contentBlock(String)
}

enum PathSegment: Sendable {
    case key(String)
    case index(Expression)
}

/// An expression followed by filters.
struct FilteredExpression: Sendable {
    var base: Expression
    var filters: [FilterCall]
}

/// One `| name: arg, key: value` of a filter chain, bound to its implementation.
struct FilterCall: Sendable {
    var name: String
    var function: Filter
    var arguments: [Expression]
    var keywordArguments: [(String, Expression)]
}

/// A condition of `if`, `unless` and `elsif`: comparisons joined by `and`/`or`,
/// grouped from the right as Liquid does (`a and b or c` is `a and (b or c)`).
enum Condition: Sendable {
    case value(Expression)
    case compare(Expression, ComparisonOperator, Expression)
    /// `terms[0] operators[0] terms[1] ...`, each term a `value` or `compare`; kept flat
    /// so that a long chain costs no recursion to parse or test.
    case chain(terms: [Condition], operators: [LogicalOperator])
}

enum LogicalOperator: Sendable {
    case and, or
}

enum ComparisonOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", greater = ">", lessOrEqual = "<=", greaterOrEqual = ">="
    case contains
}
