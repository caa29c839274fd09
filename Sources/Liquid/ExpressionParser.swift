/// Parses expression tokens: values, filter chains and conditions.
struct ExpressionParser {
    private(set) var tokens: [ExpressionToken]
    private(set) var index = 0
    /// How many parentheses and brackets the parser is inside (bounded by ``maxNesting``).
    private var nesting = 0
    /// The deepest nesting of `(`/`[` in one expression: deeper is an error, not a deep
    /// recursion.
    static let maxNesting = 64
    let markup: String
    let environment: ParseEnvironment

    init(_ markup: String, environment: ParseEnvironment) throws(LiquidError) {
        self.markup = markup
        self.environment = environment
        tokens = try ExpressionLexer(markup).tokens()
    }

    var current: ExpressionToken { tokens[index] }
    var isAtEnd: Bool { current == .end }

    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    func error(_ message: String) -> LiquidError { LiquidError(.syntax, message) }

    private mutating func enterNesting() throws(LiquidError) {
        nesting += 1
        guard nesting <= Self.maxNesting else {
            throw LiquidError(.limitExceeded, "parentheses and brackets are nested more than \(Self.maxNesting) deep in '\(markup.prefix(80))...'")
        }
    }

    mutating func expect(_ token: ExpressionToken, _ what: String) throws(LiquidError) {
        guard current == token else { throw error("expected \(what) in '\(markup)'") }
        advance()
    }

    mutating func expectEnd() throws(LiquidError) {
        guard isAtEnd else { throw error("unexpected '\(describe(current))' in '\(markup)'") }
    }

    func describe(_ token: ExpressionToken) -> String {
        switch token {
        case .identifier(let name): return name
        case .string(let text): return "'\(text)'"
        case .integer(let value): return "\(value)"
        case .bigInteger(let value): return "\(value)"
        case .float(let value): return "\(value)"
        case .comparison(let op): return op
        case .brazeReference(let name): return "${\(name)}"
        case .dot: return "."
        case .dotDot: return ".."
        case .leftBracket: return "["
        case .rightBracket: return "]"
        case .leftParen: return "("
        case .rightParen: return ")"
        case .pipe: return "|"
        case .colon: return ":"
        case .comma: return ","
        case .assign: return "="
        case .leftBraces: return "{{"
        case .rightBraces: return "}}"
        case .end: return "end of markup"
        }
    }

    /// An identifier (a variable or tag argument name).
    mutating func identifier(_ what: String) throws(LiquidError) -> String {
        guard case .identifier(let name) = current else { throw error("expected \(what) in '\(markup)'") }
        advance()
        return name
    }

    // MARK: Values

    /// A literal, a variable path, or a range.
    mutating func primary() throws(LiquidError) -> Expression {
        switch current {
        case .string(let text):
            advance()
            return .literal(.string(text))
        case .integer(let value):
            advance()
            return .literal(.int(value))
        case .bigInteger(let value):
            advance()
            return .literal(.bigInteger(value))
        case .float(let value):
            advance()
            return .literal(.double(value))
        case .leftParen:
            advance()
            try enterNesting()
            defer { nesting -= 1 }
            let low = try primary()
            try expect(.dotDot, "'..' in a range")
            let high = try primary()
            try expect(.rightParen, "')' closing a range")
            return .range(low, high)
        case .identifier(let name):
            switch name {
            case "true": advance(); return .literal(.bool(true))
            case "false": advance(); return .literal(.bool(false))
            case "nil", "null": advance(); return .literal(.nil)
            case "empty": advance(); return .literal(.empty)
            case "blank": advance(); return .literal(.blank)
            default: break
            }
            advance()
            return try pathTail([.key(name)])
        case .brazeReference(let name):
            guard environment.dialect == .braze else {
                throw error("'${\(name)}' is Braze syntax: parse the template with the braze dialect")
            }
            advance()
            return try pathTail([.key("user")] + name.split(separator: ".").map { .key(String($0)) })
        case .leftBraces:
            // Braze writes output braces inside tags: `{% assign x = {{${points} | plus: 5}} %}`.
            guard environment.dialect == .braze else {
                throw error("'{{' inside a tag is Braze syntax: parse the template with the braze dialect, or remove the braces")
            }
            advance()
            try enterNesting()
            defer { nesting -= 1 }
            let inner = try filteredExpression()
            try expect(.rightBraces, "'}}' closing '{{'")
            // Filters may follow the closing braces, even in a condition: `{{list}} | size > 2`.
            let after = try filters()
            let braced = Expression.braced(inner)
            return after.isEmpty ? braced : .braced(FilteredExpression(base: braced, filters: after))
        case .leftBracket:
            advance()
            try enterNesting()
            defer { nesting -= 1 }
            let key = try filteredlessValue()
            try expect(.rightBracket, "']'")
            return try pathTail([.index(key)])
        default:
            throw error("expected a value, found '\(describe(current))' in '\(markup)'")
        }
    }

    private mutating func filteredlessValue() throws(LiquidError) -> Expression {
        try primary()
    }

    /// `.name`, `[expr]` and Braze's `.${name}` after a path's first segment.
    private mutating func pathTail(_ start: [PathSegment]) throws(LiquidError) -> Expression {
        var segments = start
        while true {
            switch current {
            case .dot:
                advance()
                switch current {
                case .identifier(let name):
                    advance()
                    segments.append(.key(name))
                case .brazeReference(let name):
                    advance()
                    if segments.count == 1, case .key("content_blocks") = segments[0] {
                        guard !name.isEmpty else { throw error("a content block needs a name: {{content_blocks.${name}}}") }
                        return .contentBlock(name)
                    }
                    segments = brazePath(segments, name)
                default:
                    throw error("expected a property name after '.' in '\(markup)'")
                }
            case .leftBracket:
                advance()
                try enterNesting()
                defer { nesting -= 1 }
                let key = try primary()
                try expect(.rightBracket, "']'")
                segments.append(.index(key))
            default:
                return .path(segments)
            }
        }
    }

    /// Braze: `custom_attribute.${a.b}` reads `user.custom_attributes.a.b`;
    /// `event_properties.${x}` and `campaign.${x}` read those objects.
    private func brazePath(_ segments: [PathSegment], _ name: String) -> [PathSegment] {
        let parts = name.split(separator: ".").map { PathSegment.key(String($0)) }
        if segments.count == 1, case .key("custom_attribute") = segments[0] {
            return [.key("user"), .key("custom_attributes")] + parts
        }
        return segments + [.key(name)]
    }

    // MARK: Filters

    /// A value followed by `| filter: args` parts.
    mutating func filteredExpression() throws(LiquidError) -> FilteredExpression {
        let base = try primary()
        return FilteredExpression(base: base, filters: try filters())
    }

    mutating func filters() throws(LiquidError) -> [FilterCall] {
        var calls: [FilterCall] = []
        while current == .pipe {
            advance()
            let name = try identifier("a filter name after '|'")
            guard let function = environment.filters[name] else {
                throw LiquidError(.unknownFilter, "unknown filter '\(name)' in '\(markup)'")
            }
            var arguments: [Expression] = []
            var keywords: [(String, Expression)] = []
            if current == .colon {
                advance()
                repeat {
                    if current == .comma { advance() }
                    if case .identifier(let key) = current, index + 1 < tokens.count, tokens[index + 1] == .colon {
                        advance()
                        advance()
                        keywords.append((key, try primary()))
                    } else {
                        arguments.append(try primary())
                    }
                } while current == .comma
            }
            calls.append(FilterCall(name: name, function: function, arguments: arguments, keywordArguments: keywords))
        }
        return calls
    }

    // MARK: Conditions

    /// `a == b and c contains d or e`, grouped from the right (see ``Condition/chain``).
    mutating func condition() throws(LiquidError) -> Condition {
        var terms = [try comparison()]
        var operators: [LogicalOperator] = []
        while case .identifier(let word) = current, word == "and" || word == "or" {
            advance()
            operators.append(word == "and" ? .and : .or)
            terms.append(try comparison())
        }
        return operators.isEmpty ? terms[0] : .chain(terms: terms, operators: operators)
    }

    private mutating func comparison() throws(LiquidError) -> Condition {
        let left = try primary()
        guard case .comparison(let symbol) = current else { return .value(left) }
        advance()
        guard let op = ComparisonOperator(rawValue: symbol) else { throw error("unknown operator '\(symbol)' in '\(markup)'") }
        return .compare(left, op, try primary())
    }
}
