/// A piece of template source: text, an output `{{ }}` or a tag `{% %}`.
struct TemplateToken: Sendable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case output(markup: String)
        case tag(name: String, markup: String)
    }

    var kind: Kind
    var position: SourcePosition
    var trimLeft = false
    var trimRight = false
}

/// Splits template source into text, outputs and tags, applying whitespace control
/// (`{{-`, `-}}`, `{%-`, `-%}`) and reading `raw`, `comment` and `doc` bodies verbatim.
struct TemplateLexer {
    let source: [UInt8]

    init(_ source: String) { self.source = Array(source.utf8) }

    func tokens() throws(LiquidError) -> [TemplateToken] {
        var tokens: [TemplateToken] = []
        var i = 0
        var textStart = 0
        let n = source.count
        var lineStarts: [Int] = [0]
        for (offset, byte) in source.enumerated() where byte == 10 { lineStarts.append(offset + 1) }

        func position(_ offset: Int) -> SourcePosition {
            var low = 0, high = lineStarts.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
            }
            return SourcePosition(line: low + 1, column: offset - lineStarts[low] + 1)
        }
        func flushText(upTo end: Int) {
            if end > textStart {
                tokens.append(TemplateToken(kind: .text(String(decoding: source[textStart..<end], as: UTF8.self)), position: position(textStart)))
            }
        }
        /// The offset of `}}` or `%}` closing markup that starts at `from`, skipping quotes,
        /// `${...}` and, in an output, inner `{{ }}` pairs (Braze: `{{ a | plus: {{b}} }}`).
        func findClose(_ from: Int, _ closer: UInt8) -> Int? {
            var j = from
            var innerBraces = 0
            while j + 1 < n {
                let byte = source[j]
                if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                    var k = j + 1
                    while k < n && source[k] != byte { k += 1 }
                    if k < n { j = k + 1; continue }
                }
                if byte == UInt8(ascii: "$") && source[j + 1] == UInt8(ascii: "{") {
                    var k = j + 2
                    while k < n && source[k] != UInt8(ascii: "}") { k += 1 }
                    if k < n { j = k + 1; continue }
                }
                if closer == UInt8(ascii: "}") && byte == UInt8(ascii: "{") && source[j + 1] == UInt8(ascii: "{") {
                    innerBraces += 1
                    j += 2
                    continue
                }
                if byte == closer && source[j + 1] == UInt8(ascii: "}") {
                    if innerBraces == 0 { return j }
                    innerBraces -= 1
                    j += 2
                    continue
                }
                j += 1
            }
            return nil
        }

        while i + 1 < n {
            guard source[i] == UInt8(ascii: "{"), source[i + 1] == UInt8(ascii: "{") || source[i + 1] == UInt8(ascii: "%") else {
                i += 1
                continue
            }
            let isOutput = source[i + 1] == UInt8(ascii: "{")
            let start = i
            var contentStart = i + 2
            var trimLeft = false
            if contentStart < n && source[contentStart] == UInt8(ascii: "-") {
                trimLeft = true
                contentStart += 1
            }
            guard let close = findClose(contentStart, isOutput ? UInt8(ascii: "}") : UInt8(ascii: "%")) else {
                let pos = position(start)
                throw LiquidError(.syntax, isOutput ? "'{{' is not closed by '}}'" : "'{%' is not closed by '%}'",
                                  line: pos.line, column: pos.column)
            }
            var contentEnd = close
            var trimRight = false
            if contentEnd > contentStart && source[contentEnd - 1] == UInt8(ascii: "-") {
                trimRight = true
                contentEnd -= 1
            }
            flushText(upTo: start)
            let markup = String(decoding: source[contentStart..<max(contentStart, contentEnd)], as: UTF8.self)
            var end = close + 2
            let pos = position(start)
            if isOutput {
                tokens.append(TemplateToken(kind: .output(markup: markup), position: pos, trimLeft: trimLeft, trimRight: trimRight))
            } else {
                let (name, rest) = Self.splitTagName(markup)
                if name == "raw" || name == "comment" || name == "doc" {
                    // The body is verbatim up to the matching end tag (comments nest).
                    let found = name == "comment" ? try findCommentEnd(from: end, position: pos) : findEnd(of: name, from: end, position: pos)
                    guard let (bodyEnd, endTrimLeft, endTrimRight, after) = found else {
                        throw LiquidError(.syntax, "'\(name)' is not closed by 'end\(name)'", line: pos.line, column: pos.column)
                    }
                    let body = String(decoding: source[end..<bodyEnd], as: UTF8.self)
                    tokens.append(TemplateToken(kind: .tag(name: name, markup: rest), position: pos, trimLeft: trimLeft, trimRight: trimRight))
                    if name == "raw" {
                        tokens.append(TemplateToken(kind: .text(body), position: position(end)))
                    }
                    tokens.append(TemplateToken(kind: .tag(name: "end" + name, markup: ""), position: position(bodyEnd),
                                                trimLeft: endTrimLeft, trimRight: endTrimRight))
                    end = after
                } else {
                    tokens.append(TemplateToken(kind: .tag(name: name, markup: rest), position: pos, trimLeft: trimLeft, trimRight: trimRight))
                }
            }
            i = end
            textStart = end
        }
        flushText(upTo: n)
        return Self.applyWhitespaceControl(tokens)
    }

    /// Finds `{% endNAME %}` for a verbatim block (nested `{% NAME %}` count for
    /// comments). Only the tag name after each `{%` is read, so unclosed tags and stray
    /// delimiters inside the body do not matter.
    private func findEnd(of name: String, from start: Int, position: SourcePosition) -> (Int, Bool, Bool, Int)? {
        var depth = 1
        var j = start
        let n = source.count
        let endName = Array(("end" + name).utf8), openName = Array(name.utf8)
        func nameMatches(_ word: [UInt8], at offset: Int) -> Bool {
            guard offset + word.count <= n, Array(source[offset..<offset + word.count]) == word else { return false }
            let after = offset + word.count
            return after == n || !(ExpressionLexer.isIdentifierPart(source[after]))
        }
        while j + 1 < n {
            guard source[j] == UInt8(ascii: "{"), source[j + 1] == UInt8(ascii: "%") else { j += 1; continue }
            var k = j + 2
            var trimLeft = false
            if k < n && source[k] == UInt8(ascii: "-") { trimLeft = true; k += 1 }
            while k < n && (source[k] == 32 || source[k] == 9 || source[k] == 10 || source[k] == 13) { k += 1 }
            if nameMatches(endName, at: k) {
                var close = k + endName.count
                while close + 1 < n && !(source[close] == UInt8(ascii: "%") && source[close + 1] == UInt8(ascii: "}")) { close += 1 }
                guard close + 1 < n else { return nil }
                let trimRight = close > 0 && source[close - 1] == UInt8(ascii: "-")
                depth -= 1
                if depth == 0 { return (j, trimLeft, trimRight, close + 2) }
                j = close + 2
                continue
            }
            if name == "comment" && nameMatches(openName, at: k) { depth += 1 }
            j += 2
        }
        return nil
    }

    /// Finds the `endcomment` of a comment. A comment's body is still read as tags and
    /// outputs (so a malformed tag inside it is an error, and nested comments and `raw`
    /// blocks are respected), as in Shopify's Liquid 5.
    private func findCommentEnd(from start: Int, position: SourcePosition) throws(LiquidError) -> (Int, Bool, Bool, Int)? {
        let n = source.count
        var depth = 1
        var j = start
        func find(_ a: UInt8, _ b: UInt8, from: Int, before end: Int = Int.max) -> Int? {
            var k = from
            while k + 1 < min(n, end) {
                if source[k] == a && source[k + 1] == b { return k }
                k += 1
            }
            return nil
        }
        // Only inside the tag: searching on to the end of the source for every tag made
        // a long comment quadratic.
        func malformed(_ range: Range<Int>) -> Bool {
            find(UInt8(ascii: "{"), UInt8(ascii: "%"), from: range.lowerBound, before: range.upperBound) != nil
                || find(UInt8(ascii: "{"), UInt8(ascii: "{"), from: range.lowerBound, before: range.upperBound) != nil
        }
        let error = LiquidError(.syntax, "a malformed tag or output inside a comment", line: position.line, column: position.column)
        while j + 1 < n {
            guard source[j] == UInt8(ascii: "{"), source[j + 1] == UInt8(ascii: "{") || source[j + 1] == UInt8(ascii: "%") else {
                j += 1
                continue
            }
            let isTag = source[j + 1] == UInt8(ascii: "%")
            guard let close = find(isTag ? UInt8(ascii: "%") : UInt8(ascii: "}"), UInt8(ascii: "}"), from: j + 2) else { throw error }
            guard !malformed(j + 2..<close) else { throw error }
            guard isTag else { j = close + 2; continue }
            var k = j + 2
            let trimLeft = k < n && source[k] == UInt8(ascii: "-")
            if trimLeft { k += 1 }
            let (tag, _) = Self.splitTagName(String(decoding: source[k..<close], as: UTF8.self))
            let trimRight = close > k && source[close - 1] == UInt8(ascii: "-")
            switch tag {
            case "raw":
                guard let (_, _, _, after) = findEnd(of: "raw", from: close + 2, position: position) else { throw error }
                j = after
                continue
            case "comment":
                depth += 1
            case "endcomment":
                depth -= 1
                if depth == 0 { return (j, trimLeft, trimRight, close + 2) }
            default:
                break
            }
            j = close + 2
        }
        return nil
    }

    /// The tag name (an identifier, or `#` for an inline comment) and the rest.
    static func splitTagName(_ markup: String) -> (String, String) {
        let trimmed = markup.drop { $0.isWhitespace }
        if trimmed.first == "#" { return ("#", String(trimmed.dropFirst())) }
        let name = trimmed.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return (String(name), String(trimmed.dropFirst(name.count)))
    }

    /// `-` on a delimiter removes the whitespace (including newlines) next to it.
    static func applyWhitespaceControl(_ tokens: [TemplateToken]) -> [TemplateToken] {
        var result = tokens
        for index in result.indices {
            guard case .text(let text) = result[index].kind else { continue }
            var value = Substring(text)
            if index > 0 && result[index - 1].trimRight {
                value = value.drop { $0.isWhitespace }
            }
            if index + 1 < result.count && result[index + 1].trimLeft {
                while let last = value.last, last.isWhitespace { value = value.dropLast() }
            }
            result[index].kind = .text(String(value))
        }
        return result
    }
}
