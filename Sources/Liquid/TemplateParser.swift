/// What parsing needs besides the source: the filters (resolved while parsing, so an
/// unknown filter is a parse error) and the dialect.
struct ParseEnvironment: Sendable {
    var filters: [String: Filter]
    var dialect: Dialect
}

/// Builds the node tree from template tokens.
struct TemplateParser {
    private let tokens: [TemplateToken]
    private var index = 0
    private let environment: ParseEnvironment
    private var depth = 0
    private let maxDepth: Int

    /// - Parameter depth: how deep the tokens already are (a `liquid` tag's lines are
    ///   parsed by a parser of their own, as deep as the tag).
    init(tokens: [TemplateToken], environment: ParseEnvironment, maxDepth: Int, depth: Int = 0) {
        self.tokens = tokens
        self.environment = environment
        self.maxDepth = maxDepth
        self.depth = depth
    }

    /// Parses everything; an end tag with nothing to end is an error.
    mutating func parseDocument() throws(LiquidError) -> Block {
        let (block, end) = try parseBlock(until: [])
        if let end {
            throw LiquidError(.syntax, "unexpected '\(end.name)' without an open block").at(end.position)
        }
        return block
    }

    private struct EndTag {
        var name: String
        var markup: String
        var position: SourcePosition
    }

    /// Parses nodes until one of `ends` (returned) or the end of input (nil).
    private mutating func parseBlock(until ends: Set<String>) throws(LiquidError) -> (Block, EndTag?) {
        var nodes: [Node] = []
        var blank = true
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token.kind {
            case .text(let text):
                if !text.isEmpty {
                    nodes.append(.text(text))
                    if !text.allSatisfy(\.isWhitespace) { blank = false }
                }
            case .output(let markup):
                do {
                    var parser = try ExpressionParser(markup, environment: environment)
                    let expression = try parser.filteredExpression()
                    try parser.expectEnd()
                    nodes.append(.output(expression, token.position))
                    blank = false
                } catch {
                    throw error.at(token.position)
                }
            case .tag(let name, let markup):
                if ends.contains(name) {
                    return (Block(nodes: nodes, isBlank: blank), EndTag(name: name, markup: markup, position: token.position))
                }
                do {
                    if let (node, isBlank) = try parseTag(name: name, markup: markup, position: token.position) {
                        nodes.append(node)
                        if !isBlank { blank = false }
                    }
                } catch {
                    throw error.at(token.position)
                }
            }
        }
        if !ends.isEmpty {
            let closer = ends.first { $0.hasPrefix("end") } ?? ends.sorted().first ?? ""
            throw LiquidError(.syntax, "a block is not closed: expected '{% \(closer) %}' before the end of the template")
        }
        return (Block(nodes: nodes, isBlank: blank), nil)
    }

    private mutating func expression(_ markup: String) throws(LiquidError) -> ExpressionParser {
        try ExpressionParser(markup, environment: environment)
    }

    private mutating func enter() throws(LiquidError) {
        depth += 1
        guard depth <= maxDepth else {
            throw LiquidError(.limitExceeded, "blocks are nested more than \(maxDepth) deep")
        }
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private mutating func parseTag(name: String, markup: String, position: SourcePosition) throws(LiquidError) -> (Node, Bool)? {
        switch name {
        case "assign":
            var parser = try expression(markup)
            let target = try assignTarget(&parser)
            try parser.expect(.assign, "'=' after the variable name")
            let value = try parser.filteredExpression()
            try parser.expectEnd()
            return (.assign(name: target, value, position), true)

        case "capture":
            var parser = try expression(markup)
            let target: String
            if case .string(let text) = parser.current { target = text; parser.advance() } else { target = try assignTarget(&parser) }
            try parser.expectEnd()
            try enter(); defer { depth -= 1 }
            let (body, _) = try parseBlock(until: ["endcapture"])
            return (.capture(name: target, body), true)

        case "if", "unless":
            try enter(); defer { depth -= 1 }
            var branches: [(Condition, Block)] = []
            var otherwise: Block?
            var condition = try parseCondition(markup)
            var afterElse = false
            let endName = "end" + name
            while true {
                let (body, end) = try parseBlock(until: ["elsif", "else", endName])
                guard let end else { throw LiquidError(.syntax, "'\(name)' is not closed by '\(endName)'") }
                if afterElse {
                    // Liquid ignores anything after the first 'else' (extra else/elsif blocks).
                    if otherwise == nil { otherwise = body }
                } else if let current = condition {
                    branches.append((current, body))
                }
                switch end.name {
                case "elsif":
                    if !afterElse { condition = try parseCondition(end.markup) }
                case "else":
                    if !afterElse {
                        afterElse = true
                        otherwise = nil
                    } else {
                        otherwise = otherwise ?? Block(nodes: [], isBlank: true)
                    }
                default:
                    let isBlank = branches.allSatisfy(\.1.isBlank) && (otherwise?.isBlank ?? true)
                    let bodies = branches.map { ($0.0, $0.1.droppingWhitespace(isBlank)) }
                    return (.conditional(branches: bodies, otherwise: otherwise?.droppingWhitespace(isBlank),
                                         negateFirst: name == "unless", position), isBlank)
                }
            }

        case "case":
            try enter(); defer { depth -= 1 }
            var parser = try expression(markup)
            let subject = try parser.primary()
            try parser.expectEnd()
            var (_, end) = try parseBlock(until: ["when", "else", "endcase"])
            var branches: [CaseBranch] = []
            while let current = end, current.name != "endcase" {
                var values: [Expression]?
                if current.name == "when" {
                    var whenParser = try expression(current.markup)
                    var list: [Expression] = [try whenParser.primary()]
                    while true {
                        if whenParser.current == .comma { whenParser.advance(); list.append(try whenParser.primary()); continue }
                        if case .identifier("or") = whenParser.current { whenParser.advance(); list.append(try whenParser.primary()); continue }
                        break
                    }
                    // Like Shopify's Liquid, anything after the values is ignored.
                    values = list
                }
                let (body, next) = try parseBlock(until: ["when", "else", "endcase"])
                branches.append(CaseBranch(values: values, body: body))
                end = next
            }
            guard end != nil else { throw LiquidError(.syntax, "'case' is not closed by 'endcase'") }
            let isBlank = branches.allSatisfy(\.body.isBlank)
            let bodies = branches.map { CaseBranch(values: $0.values, body: $0.body.droppingWhitespace(isBlank)) }
            return (.caseBlock(subject: subject, branches: bodies, position), isBlank)

        case "for", "tablerow":
            try enter(); defer { depth -= 1 }
            var parser = try expression(markup)
            let variable = try parser.identifier("a loop variable")
            guard case .identifier("in") = parser.current else { throw LiquidError(.syntax, "expected 'in' in '\(name)\(markup)'") }
            parser.advance()
            let collection = try parser.primary()
            let collectionText = Self.markupText(markup)
            var limit: Expression?, offset: Expression?, columns: Expression?
            var offsetContinue = false, reversed = false
            while !parser.isAtEnd {
                if parser.current == .comma { parser.advance(); continue }
                let word = try parser.identifier("'limit', 'offset', 'reversed' or 'cols'")
                if word == "reversed" { reversed = true; continue }
                try parser.expect(.colon, "':' after '\(word)'")
                switch word {
                case "limit": limit = try parser.primary()
                case "offset":
                    if case .identifier("continue") = parser.current { parser.advance(); offsetContinue = true } else { offset = try parser.primary() }
                case "cols" where name == "tablerow": columns = try parser.primary()
                default: throw LiquidError(.syntax, "unknown \(name) argument '\(word)'")
                }
            }
            let endName = "end" + name
            let (body, end) = try parseBlock(until: name == "for" ? ["else", endName] : [endName])
            var otherwise: Block?
            if end?.name == "else" {
                let (elseBody, _) = try parseBlock(until: [endName])
                otherwise = elseBody
            } else if end == nil {
                throw LiquidError(.syntax, "'\(name)' is not closed by '\(endName)'")
            }
            let loop = ForLoop(variable: variable, collection: collection, name: "\(variable)-\(collectionText)",
                               limit: limit, offset: offset, offsetContinue: offsetContinue, reversed: reversed,
                               body: body, otherwise: otherwise, position: position)
            if name == "tablerow" { return (.tableRow(loop, columns: columns), false) }
            let isBlank = body.isBlank && (otherwise?.isBlank ?? true)
            var blankAware = loop
            blankAware.body = body.droppingWhitespace(isBlank)
            blankAware.otherwise = otherwise?.droppingWhitespace(isBlank)
            return (.forLoop(blankAware), isBlank)

        case "break", "continue":
            guard markup.trimmingSpaces().isEmpty else { throw LiquidError(.syntax, "'\(name)' takes no arguments") }
            return (name == "break" ? .breakLoop : .continueLoop, false)

        case "increment", "decrement":
            var parser = try expression(markup)
            let target = try parser.identifier("a counter name")
            try parser.expectEnd()
            return (name == "increment" ? .increment(target) : .decrement(target), false)

        case "cycle":
            var parser = try expression(markup)
            var group: Expression?
            var values: [Expression] = [try parser.primary()]
            if parser.current == .colon {
                parser.advance()
                group = values[0]
                values = [try parser.primary()]
            }
            while parser.current == .comma {
                parser.advance()
                values.append(try parser.primary())
            }
            try parser.expectEnd()
            return (.cycle(group: group, values: values, key: markup.trimmingSpaces()), false)

        case "echo":
            var parser = try expression(markup)
            if parser.isAtEnd { return (.echo(FilteredExpression(base: .literal(.nil), filters: []), position), false) }
            let value = try parser.filteredExpression()
            try parser.expectEnd()
            return (.echo(value, position), false)

        case "include", "render":
            return (.include(try parseInclusion(markup, isolated: name == "render", position: position)), false)

        case "liquid":
            var lineTokens: [TemplateToken] = []
            for rawLine in markup.utf8.split(separator: 10, omittingEmptySubsequences: false) {
                var bytes = Array(rawLine)
                if bytes.last == 13 { bytes.removeLast() }
                let line = String(decoding: bytes, as: UTF8.self)
                let (tagName, rest) = TemplateLexer.splitTagName(line)
                if tagName.isEmpty {
                    guard line.trimmingSpaces().isEmpty else { throw LiquidError(.syntax, "expected a tag name in the 'liquid' line '\(line)'") }
                    continue
                }
                lineTokens.append(TemplateToken(kind: .tag(name: tagName, markup: rest), position: position))
            }
            // A 'liquid' tag counts as a block: nested ones end at the depth limit.
            try enter(); defer { depth -= 1 }
            var inner = TemplateParser(tokens: lineTokens, environment: environment, maxDepth: maxDepth, depth: depth)
            let block = try inner.parseDocument()
            return (.sequence(block), block.isBlank)

        case "comment", "doc":
            if name == "doc" && !markup.trimmingSpaces().isEmpty { throw LiquidError(.syntax, "'doc' takes no arguments") }
            // Skip to the matching end tag without parsing what is between (inside a
            // 'liquid' tag the comment's lines are still tags).
            var nesting = 1
            while index < tokens.count {
                let token = tokens[index]
                index += 1
                guard case .tag(let tag, _) = token.kind else { continue }
                if tag == name { nesting += 1 }
                if tag == "end" + name {
                    nesting -= 1
                    if nesting == 0 { return nil }
                }
            }
            throw LiquidError(.syntax, "'\(name)' is not closed by 'end\(name)'")

        case "raw":
            let (body, end) = try parseBlock(until: ["endraw"])
            guard end != nil else { throw LiquidError(.syntax, "'raw' is not closed") }
            return (.sequence(body), false)

        case "#":
            // Every further line of an inline comment must start with '#' too.
            let lines = markup.utf8.split(separator: 10).dropFirst()
            for line in lines {
                let text = String(decoding: line, as: UTF8.self).trimmingSpaces()
                guard text.isEmpty || text.hasPrefix("#") else {
                    throw LiquidError(.syntax, "each line of an inline comment must start with '#': '\(text)'")
                }
            }
            return nil

        case "ifchanged":
            try enter(); defer { depth -= 1 }
            let (body, end) = try parseBlock(until: ["endifchanged"])
            guard end != nil else { throw LiquidError(.syntax, "'ifchanged' is not closed") }
            return (.ifChanged(body), false)

        case "abort_message" where environment.dialect == .braze:
            var parser = try expression(markup)
            var reason: Expression?
            if parser.current == .leftParen {
                parser.advance()
                if parser.current != .rightParen { reason = try parser.primary() }
                try parser.expect(.rightParen, "')'")
            }
            try parser.expectEnd()
            return (.abort(reason), false)

        case "connected_content" where environment.dialect == .braze:
            return (.connectedContent(try connectedContent(markup, position: position)), false)

        case "message_extras" where environment.dialect == .braze:
            // Braze adds these key/value pairs to its send events; they are checked and
            // otherwise ignored here (docs/LIQUID.md).
            let (_, options) = ConnectedContentCall.split(markup)
            let names = options.map(\.name)
            guard names == ["key", "value"], options.allSatisfy({ !$0.value.isEmpty }) else {
                throw LiquidError(.syntax, "message_extras takes ':key NAME :value VALUE', in that order")
            }
            return nil

        case "catalog_items", "catalog_selection_items", "promotion":
            guard environment.dialect == .braze else { throw LiquidError(.unknownTag, "unknown tag '\(name)'") }
            throw LiquidError(.unknownTag, "'\(name)' reads Braze's \(name == "promotion" ? "promotion code lists" : "catalogs"), which Campaign Connector does not have: put the values in the user's attributes or the event's properties instead")

        case "else", "elsif", "when", "endif", "endunless", "endfor", "endcase", "endcapture", "endtablerow", "endifchanged":
            throw LiquidError(.syntax, "unexpected '\(name)': it does not belong to an open block")

        default:
            throw LiquidError(.unknownTag, "unknown tag '\(name)'")
        }
    }

    /// A `connected_content` tag: the URL, body and headers are templates of their own.
    private func connectedContent(_ markup: String, position: SourcePosition) throws(LiquidError) -> ConnectedContentCall {
        let (url, options) = ConnectedContentCall.split(markup)
        guard !url.isEmpty else { throw LiquidError(.syntax, "connected_content needs a URL: {% connected_content https://example.com/api :save result %}") }
        var call = ConnectedContentCall(url: try subtemplate(url), method: "GET", retry: false, noCache: false, saveAs: "connected",
                                        rerender: false, position: position)
        for (name, value) in options {
            guard ConnectedContentCall.options.contains(name) else {
                throw LiquidError(.syntax, "connected_content has no option ':\(name)'; its options are :\(ConnectedContentCall.options.sorted().joined(separator: ", :"))")
            }
            if ConnectedContentCall.flags.contains(name) {
                guard value.isEmpty else { throw LiquidError(.syntax, "connected_content's :\(name) takes no value, got '\(value.prefix(40))'") }
            } else if value.isEmpty {
                throw LiquidError(.syntax, "connected_content's :\(name) needs a value")
            }
            switch name {
            case "save":
                guard value.utf8.allSatisfy({ ExpressionLexer.isIdentifierPart($0) }), let first = value.utf8.first, ExpressionLexer.isIdentifierStart(first) else {
                    throw LiquidError(.syntax, "connected_content's :save needs a variable name, got '\(value.prefix(40))'")
                }
                call.saveAs = value
            case "method":
                let method = value.uppercased()
                guard method == "GET" || method == "POST" else { throw LiquidError(.syntax, "connected_content's :method is get or post, got '\(value)'") }
                call.method = method
            case "body": call.body = try subtemplate(value)
            case "headers":
                guard value.hasPrefix("{"), value.hasSuffix("}") else {
                    throw LiquidError(.syntax, "connected_content's :headers is a JSON object: :headers {\"Name\": \"value\"}")
                }
                call.headers = try subtemplate(value)
            case "content_type": call.contentType = value
            case "basic_auth": call.basicAuthCredential = value
            case "auth_credentials": call.tokenCredential = value
            case "retry": call.retry = true
            case "no_cache": call.noCache = true
            case "rerender": call.rerender = true
            default:  // cache_max_age, cache
                guard let seconds = Int(value), seconds >= 0 else {
                    throw LiquidError(.syntax, "connected_content's :\(name) is a number of seconds, got '\(value.prefix(40))'")
                }
                call.cacheMaxAge = seconds
            }
        }
        return call
    }

    /// Text with `{{ }}` and tags in it (a URL, a body), parsed as a template of its own.
    /// It counts as one level of nesting (quotes let a tag hide inside a tag's markup).
    private func subtemplate(_ text: String) throws(LiquidError) -> Block {
        guard depth + 1 < maxDepth else { throw LiquidError(.limitExceeded, "blocks are nested more than \(maxDepth) deep") }
        var parser = TemplateParser(tokens: try TemplateLexer(text).tokens(), environment: environment, maxDepth: maxDepth - depth - 1)
        return try parser.parseDocument()
    }

    /// A variable name for `assign`/`capture`: an identifier without `?`, or digits.
    private func assignTarget(_ parser: inout ExpressionParser) throws(LiquidError) -> String {
        switch parser.current {
        case .identifier(let name) where !name.hasSuffix("?"):
            parser.advance()
            return name
        case .integer(let value):
            parser.advance()
            return String(value)
        default:
            throw LiquidError(.syntax, "expected a variable name in '\(parser.markup)'")
        }
    }

    private func parseCondition(_ markup: String) throws(LiquidError) -> Condition? {
        var parser = try ExpressionParser(markup, environment: environment)
        let condition = try parser.condition()
        try parser.expectEnd()
        return condition
    }

    private func parseInclusion(_ markup: String, isolated: Bool, position: SourcePosition) throws(LiquidError) -> Inclusion {
        var parser = try ExpressionParser(markup, environment: environment)
        let name = try parser.primary()
        if isolated, case .literal(.string) = name {} else if isolated {
            throw LiquidError(.syntax, "'render' needs a quoted template name")
        }
        var value: Expression?
        var isForLoop = false
        var alias: String?
        var arguments: [(String, Expression)] = []
        if case .identifier(let word) = parser.current, word == "with" || word == "for" {
            parser.advance()
            isForLoop = word == "for"
            value = try parser.primary()
            if case .identifier("as") = parser.current {
                parser.advance()
                alias = try parser.identifier("a name after 'as'")
            }
        }
        while !parser.isAtEnd {
            if parser.current == .comma { parser.advance(); continue }
            let key = try parser.identifier("an argument name")
            try parser.expect(.colon, "':' after '\(key)'")
            arguments.append((key, try parser.primary()))
        }
        return Inclusion(isolated: isolated, name: name, value: value, isForLoop: isForLoop, alias: alias,
                         arguments: arguments, position: position)
    }

    /// The collection part of a `for` markup, as Liquid names the loop (`forloop.name`).
    private static func markupText(_ markup: String) -> String {
        guard let range = markup.range(of: " in ") else { return markup }
        var rest = markup[range.upperBound...].drop { $0.isWhitespace }
        // Up to the first argument.
        for keyword in [" limit", " offset", " reversed", " cols", ","] {
            if let cut = rest.range(of: keyword) { rest = rest[..<cut.lowerBound] }
        }
        return String(rest).trimmingSpaces()
    }
}

