import Foundation

/// One link found in a message.
public struct FoundLink: Codable, Sendable, Equatable {
    /// The link's number among the message's tracked links, from 0 in document order
    /// (a text part continues the numbering of its HTML part).
    public var index: Int
    /// Where the link goes: entity-decoded and trimmed of ASCII whitespace (HTML), or as
    /// written (text).
    public var url: String
    /// The link's `data-alias` (Braze's link aliasing); nil without one, and for text links.
    public var alias: String?

    /// A found link.
    ///
    /// - Parameters:
    ///   - index: the link's number among the message's links, from 0.
    ///   - url: where the link goes.
    ///   - alias: the link's alias, if any.
    public init(index: Int, url: String, alias: String? = nil) {
        self.index = index
        self.url = url
        self.alias = alias
    }
}

/// Click tracking: replaces the http(s) links of a message's HTML or text with what
/// `replace` makes of them (typically a tracking redirect), leaving everything else as is.
public enum LinkRewriter {
    /// Rewrites every http(s) link of an HTML body and adds the open pixel.
    ///
    /// The `href` of each `<a>` and `<area>` whose URL starts with `http://` or `https://`
    /// (case-insensitive, after trimming ASCII whitespace) becomes `replace(link)`, unless
    /// the element carries `data-no-track`; the link's alias is its `data-alias` (nil if
    /// absent or empty). The URL handed to `replace` is entity-decoded; the replacement is
    /// written back entity-escaped for the attribute's quoting (an unquoted value is written
    /// in double quotes). Everything else, including comments (so MSO conditional comments
    /// too) and the contents of `<script>`, `<style>`, `<title>` and `<textarea>`, is kept
    /// byte for byte. Malformed markup (an unterminated tag, quote or comment) ends the scan:
    /// the rest is left untouched.
    ///
    /// - Parameters:
    ///   - html: the HTML body.
    ///   - pixel: the open pixel's URL, added as an `<img>` just before the last `</body>` tag
    ///     (any case; one in a comment or a script doesn't count), or at the end without
    ///     one; nil adds no pixel.
    ///   - replace: the new URL of a link.
    /// - Returns: the rewritten HTML and the rewritten links, in document order.
    public static func rewriteHTML(
        _ html: String, pixel: String?, replace: (FoundLink) -> String
    ) -> (html: String, links: [FoundLink]) {
        var rewriter = HTMLRewriter(Array(html.utf8))
        rewriter.run(replace)
        rewriter.flush(to: rewriter.bytes.count)
        var out = rewriter.out
        if let pixel {
            let tag = #"<img src=""# + HTMLRewriter.escape(pixel, quote: UInt8(ascii: "\""))
                + #"" width="1" height="1" alt="" style="display:none">"#
            out.insert(contentsOf: Array(tag.utf8), at: rewriter.bodyEnd ?? out.count)
        }
        return (String(decoding: out, as: UTF8.self), rewriter.links)
    }

    /// Rewrites the bare http(s) URLs of plain text (an email's text part, an SMS).
    ///
    /// A URL starts at `http://` or `https://` (case-insensitive, not preceded by an ASCII
    /// letter or digit) and runs to the first whitespace or `<`, `>`, `"`; trailing
    /// `.,;:!?)]'` are left out of it, except a `)` or `]` that closes a `(` or `[` of the URL.
    /// A scheme with nothing after it is no URL.
    ///
    /// - Parameters:
    ///   - text: the text body.
    ///   - startIndex: the first link's index (the number of links of the HTML part, so that
    ///     the two parts of an email don't share indices).
    ///   - replace: the new URL of a link (written as is: text has no escaping).
    /// - Returns: the rewritten text and its links (their `alias` is nil).
    public static func rewriteText(
        _ text: String, startIndex: Int = 0, replace: (FoundLink) -> String
    ) -> (text: String, links: [FoundLink]) {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var links: [FoundLink] = []
        var copied = 0
        var i = 0
        while i < scalars.count {
            guard let schemeEnd = httpSchemeEnd(scalars, at: i),
                  i == 0 || !isASCIIAlphanumeric(scalars[i - 1]) else {
                i += 1
                continue
            }
            var end = schemeEnd
            while end < scalars.count, !endsTextURL(scalars[end]) { end += 1 }
            end = trimTrailingPunctuation(scalars, from: i, to: end)
            guard end > schemeEnd else {
                i = schemeEnd
                continue
            }
            var url = String.UnicodeScalarView()
            url.append(contentsOf: scalars[i..<end])
            let link = FoundLink(index: startIndex + links.count, url: String(url), alias: nil)
            out.append(contentsOf: scalars[copied..<i])
            out.append(contentsOf: replace(link).unicodeScalars)
            links.append(link)
            copied = end
            i = end
        }
        out.append(contentsOf: scalars[copied...])
        return (String(out), links)
    }

    // MARK: Text URLs

    /// The index just past `http://` or `https://` at `i` (any case), or nil.
    private static func httpSchemeEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        func matches(_ word: String, at start: Int) -> Bool {
            guard start + word.unicodeScalars.count <= s.count else { return false }
            return zip(s[start...], word.unicodeScalars).allSatisfy { c, w in
                c == w || (("A"..."Z").contains(c) && c.value + 32 == w.value)
            }
        }
        guard i < s.count, s[i] == "h" || s[i] == "H" else { return nil }
        if matches("https://", at: i) { return i + 8 }
        if matches("http://", at: i) { return i + 7 }
        return nil
    }

    private static func endsTextURL(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || c == "<" || c == ">" || c == "\""
    }

    private static func isASCIIAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c))
    }

    /// `end` moved back over trailing punctuation of the URL `s[start..<end]`.
    private static func trimTrailingPunctuation(_ s: [Unicode.Scalar], from start: Int, to end: Int) -> Int {
        var open = (parens: 0, brackets: 0), close = (parens: 0, brackets: 0)
        for c in s[start..<end] {
            switch c {
            case "(": open.parens += 1
            case ")": close.parens += 1
            case "[": open.brackets += 1
            case "]": close.brackets += 1
            default: break
            }
        }
        var end = end
        while end > start {
            switch s[end - 1] {
            case ".", ",", ";", ":", "!", "?", "'": break
            case ")" where close.parens > open.parens: close.parens -= 1
            case "]" where close.brackets > open.brackets: close.brackets -= 1
            default: return end
            }
            end -= 1
        }
        return end
    }
}

/// The HTML scan: a small tokenizer over UTF-8 bytes that knows tags, quoted and unquoted
/// attributes, comments and raw-text elements, copying the input to `out` and replacing
/// the `href` values it rewrites. Every search moves forward only, so it is linear.
private struct HTMLRewriter {
    let bytes: [UInt8]
    /// The output so far: `bytes[..<copied]`, rewritten.
    private(set) var out: [UInt8] = []
    private var copied = 0
    /// Where in `out` the last `</body>` tag starts.
    private(set) var bodyEnd: Int?
    private(set) var links: [FoundLink] = []

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        out.reserveCapacity(bytes.count + bytes.count / 4)
    }

    private struct Attribute {
        var name: String
        /// The value's bytes, without quotes; nil for an attribute without a value.
        var value: Range<Int>?
        var quote: UInt8?
    }

    /// Elements whose contents are text up to their end tag, never markup.
    private static let rawText: Set<String> = [
        "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
    ]

    mutating func flush(to end: Int) {
        out.append(contentsOf: bytes[copied..<end])
        copied = end
    }

    /// Scans the whole input, or up to malformed markup.
    mutating func run(_ replace: (FoundLink) -> String) {
        var i = 0
        while let lt = find(ascii("<"), from: i) {
            i = lt + 1  // a `<` that starts nothing is text
            guard lt + 1 < bytes.count else { return }
            let next = bytes[lt + 1]
            if hasPrefix("<!--", at: lt) {
                guard let end = commentEnd(from: lt + 4) else { return }
                i = end
            } else if next == ascii("!") || next == ascii("?") {  // doctype, CDATA, bogus comment
                guard let gt = find(ascii(">"), from: lt + 2) else { return }
                i = gt + 1
            } else if next == ascii("/") {
                let nameEnd = scanName(from: lt + 2)
                guard let gt = find(ascii(">"), from: nameEnd) else { return }
                if lowercased(lt + 2..<nameEnd) == "body" {
                    flush(to: lt)
                    bodyEnd = out.count
                }
                i = gt + 1
            } else if isLetter(next) {
                let nameEnd = scanName(from: lt + 1)
                let name = lowercased(lt + 1..<nameEnd)
                guard let (attributes, end) = parseAttributes(from: nameEnd) else { return }
                if name == "a" || name == "area" { rewrite(attributes, replace) }
                i = end
                if Self.rawText.contains(name) {
                    guard let close = rawTextEnd(name, from: end) else { return }
                    i = close
                }
            }
        }
    }

    /// The attributes of a start tag from just after its name, and the index past its `>`;
    /// nil if the tag (or a quoted value) doesn't end.
    private func parseAttributes(from start: Int) -> ([Attribute], Int)? {
        var attributes: [Attribute] = []
        var i = start
        while true {
            while i < bytes.count, isSpace(bytes[i]) || bytes[i] == ascii("/") { i += 1 }
            guard i < bytes.count else { return nil }
            if bytes[i] == ascii(">") { return (attributes, i + 1) }
            let nameStart = i
            i += 1  // a name may start with `=`
            while i < bytes.count, !isSpace(bytes[i]), !"/>=".utf8.contains(bytes[i]) { i += 1 }
            var attribute = Attribute(name: lowercased(nameStart..<i), value: nil, quote: nil)
            var j = skipSpace(from: i)
            if j < bytes.count, bytes[j] == ascii("=") {
                j = skipSpace(from: j + 1)
                guard j < bytes.count else { return nil }
                let quote = bytes[j]
                if quote == ascii("\"") || quote == ascii("'") {
                    guard let close = find(quote, from: j + 1) else { return nil }
                    attribute.value = j + 1..<close
                    attribute.quote = quote
                    i = close + 1
                } else {
                    var k = j
                    while k < bytes.count, !isSpace(bytes[k]), bytes[k] != ascii(">") { k += 1 }
                    attribute.value = j..<k
                    i = k
                }
            }
            attributes.append(attribute)
        }
    }

    /// Replaces the `href` of an `<a>` or `<area>` with these attributes, if it is tracked.
    private mutating func rewrite(_ attributes: [Attribute], _ replace: (FoundLink) -> String) {
        guard !attributes.contains(where: { $0.name == "data-no-track" }),
              let href = attributes.first(where: { $0.name == "href" }), let range = href.value else { return }
        let url = Self.trimmed(Self.decode(bytes[range]))
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return }
        let alias = attributes.first(where: { $0.name == "data-alias" })?.value
            .map { Self.decode(bytes[$0]) }.flatMap { $0.isEmpty ? nil : $0 }
        let link = FoundLink(index: links.count, url: url, alias: alias)
        let quote = href.quote ?? ascii("\"")
        let written = Self.escape(replace(link), quote: quote)
        links.append(link)
        flush(to: range.lowerBound)
        if href.quote == nil { out.append(quote) }
        out.append(contentsOf: written.utf8)
        if href.quote == nil { out.append(quote) }
        copied = range.upperBound
    }

    // MARK: Searching

    private func find(_ byte: UInt8, from start: Int) -> Int? {
        start < bytes.count ? bytes[start...].firstIndex(of: byte) : nil
    }

    private func hasPrefix(_ prefix: String, at start: Int) -> Bool {
        start + prefix.utf8.count <= bytes.count && bytes[start...].starts(with: prefix.utf8)
    }

    /// The index past a comment whose `<!--` ends just before `start`, or nil if it doesn't end.
    private func commentEnd(from start: Int) -> Int? {
        if hasPrefix(">", at: start) { return start + 1 }  // `<!-->`
        if hasPrefix("->", at: start) { return start + 2 }  // `<!--->`
        var i = start
        while let dash = find(ascii("-"), from: i) {
            if hasPrefix("-->", at: dash) { return dash + 3 }
            if hasPrefix("--!>", at: dash) { return dash + 4 }
            i = dash + 1
        }
        return nil
    }

    /// Where the end tag `</name` of a raw-text element starts, or nil if there is none.
    private func rawTextEnd(_ name: String, from start: Int) -> Int? {
        var i = start
        while let lt = find(ascii("<"), from: i) {
            let nameEnd = lt + 2 + name.utf8.count
            if hasPrefix("</", at: lt), nameEnd <= bytes.count, lowercased(lt + 2..<nameEnd) == name,
               nameEnd == bytes.count || isSpace(bytes[nameEnd]) || bytes[nameEnd] == ascii("/")
               || bytes[nameEnd] == ascii(">") {
                return lt
            }
            i = lt + 1
        }
        return nil
    }

    /// The end of a tag name starting at `start`.
    private func scanName(from start: Int) -> Int {
        var i = start
        while i < bytes.count, !isSpace(bytes[i]), bytes[i] != ascii("/"), bytes[i] != ascii(">") { i += 1 }
        return i
    }

    private func skipSpace(from start: Int) -> Int {
        var i = start
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        return i
    }

    private func lowercased(_ range: Range<Int>) -> String {
        String(decoding: bytes[range].map { isUpper($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }

    // MARK: Entities

    /// Named character references: the ones URLs and aliases use. Others stay as written.
    private static let named: [String: String] = [
        "amp": "&", "AMP": "&", "lt": "<", "LT": "<", "gt": ">", "GT": ">", "quot": "\"", "QUOT": "\"",
        "apos": "'", "nbsp": "\u{A0}", "sol": "/", "colon": ":", "quest": "?", "equals": "=", "num": "#",
        "percnt": "%", "plus": "+", "comma": ",", "period": ".", "excl": "!", "lowbar": "_", "commat": "@",
        "dollar": "$", "ast": "*", "semi": ";", "lpar": "(", "rpar": ")", "lsqb": "[", "rsqb": "]",
        "lcub": "{", "rcub": "}", "verbar": "|", "Tab": "\t", "NewLine": "\n",
    ]
    /// Names a browser also reads without the `;` (unless `=` follows, in an attribute).
    private static let legacy: Set<String> = ["amp", "AMP", "lt", "LT", "gt", "GT", "quot", "QUOT", "nbsp"]

    /// An attribute value with its character references decoded.
    static func decode(_ raw: ArraySlice<UInt8>) -> String {
        guard raw.contains(ascii("&")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        var i = raw.startIndex
        while i < raw.endIndex {
            guard raw[i] == ascii("&"), let (text, end) = reference(raw, at: i) else {
                out.append(raw[i])
                i += 1
                continue
            }
            out.append(contentsOf: text.utf8)
            i = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The character reference at `amp`, and the index past it; nil if there is none.
    private static func reference(_ raw: ArraySlice<UInt8>, at amp: Int) -> (String, Int)? {
        var i = amp + 1
        if i < raw.endIndex, raw[i] == ascii("#") {
            i += 1
            let hex = i < raw.endIndex && (raw[i] == ascii("x") || raw[i] == ascii("X"))
            if hex { i += 1 }
            let digitsStart = i
            var value = 0
            while i < raw.endIndex, let digit = digitValue(raw[i], hex: hex) {
                value = min(value * (hex ? 16 : 10) + digit, 0x110000)
                i += 1
            }
            guard i > digitsStart else { return nil }
            if i < raw.endIndex, raw[i] == ascii(";") { i += 1 }
            let scalar = value == 0 ? nil : Unicode.Scalar(UInt32(value))
            return (String(scalar ?? "\u{FFFD}"), i)
        }
        while i < raw.endIndex, isLetter(raw[i]) || (ascii("0")...ascii("9")).contains(raw[i]) { i += 1 }
        let name = String(decoding: raw[(amp + 1)..<i], as: UTF8.self)
        guard let text = named[name] else { return nil }
        if i < raw.endIndex, raw[i] == ascii(";") { return (text, i + 1) }
        guard legacy.contains(name), i == raw.endIndex || raw[i] != ascii("=") else { return nil }
        return (text, i)
    }

    private static func digitValue(_ b: UInt8, hex: Bool) -> Int? {
        switch b {
        case ascii("0")...ascii("9"): return Int(b - ascii("0"))
        case ascii("a")...ascii("f") where hex: return Int(b - ascii("a")) + 10
        case ascii("A")...ascii("F") where hex: return Int(b - ascii("A")) + 10
        default: return nil
        }
    }

    /// `text` escaped for an attribute value in `quote`s: `&` and the quote.
    static func escape(_ text: String, quote: UInt8) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "\"" where quote == ascii("\""): out += "&quot;"
            case "'" where quote == ascii("'"): out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private static func trimmed(_ s: String) -> String {
        let space: (Unicode.Scalar) -> Bool = { $0.isASCII && isSpace(UInt8($0.value)) }
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !space($0) }),
              let last = scalars.lastIndex(where: { !space($0) }) else { return "" }
        return String(scalars[first...last])
    }
}

// MARK: Bytes

private func ascii(_ c: Unicode.Scalar) -> UInt8 { UInt8(c.value) }
/// HTML's ASCII whitespace: tab, LF, FF, CR, space.
private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D }
private func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
private func isLetter(_ b: UInt8) -> Bool { isUpper(b) || (b >= 0x61 && b <= 0x7A) }
