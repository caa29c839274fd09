/// A Braze `{% connected_content URL :options %}` call as the caller's closure
/// (``RenderOptions/connectedContent``) receives it: Liquid in the URL, body and headers
/// already rendered.
public struct ConnectedContentRequest: Sendable, Equatable {
    /// The URL, rendered.
    public var url: String
    /// `GET` (the default) or `POST` (`:method post`).
    public var method: String
    /// `:headers {"Name": "value"}`, rendered, in order.
    public var headers: [HeaderField]
    /// `:body ...`, rendered; nil when none.
    public var body: String?
    /// `:content_type`: Braze sends it as both Content-Type and Accept. Nil: JSON for a
    /// GET, form encoding for a POST.
    public var contentType: String?
    /// `:basic_auth NAME`: the name of a stored credential (never the secret itself).
    public var basicAuthCredential: String?
    /// `:auth_credentials NAME`: the name of a stored token credential.
    public var tokenCredential: String?
    /// `:retry`: retry failures (Braze: up to five times, with backoff).
    public var retry: Bool
    /// `:cache_max_age SECONDS` (`:cache` is taken too): how long a response may be reused.
    public var cacheMaxAge: Int?
    /// `:no_cache`: never reuse a response.
    public var noCache: Bool

    /// One request header.
    public struct HeaderField: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(url: String, method: String = "GET", headers: [HeaderField] = [], body: String? = nil, contentType: String? = nil,
                basicAuthCredential: String? = nil, tokenCredential: String? = nil, retry: Bool = false,
                cacheMaxAge: Int? = nil, noCache: Bool = false) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.contentType = contentType
        self.basicAuthCredential = basicAuthCredential
        self.tokenCredential = tokenCredential
        self.retry = retry
        self.cacheMaxAge = cacheMaxAge
        self.noCache = noCache
    }
}

/// What the caller's closure answers for a ``ConnectedContentRequest``.
///
/// A JSON object answer is saved in the `:save` variable (or `connected`), with its status
/// as `__http_status_code__` when 2xx, and prints nothing; any other answer prints its text
/// in place of the tag (rendered as Liquid with `:rerender`). A 404 prints nothing; a 5xx
/// with `:retry` aborts the message, as Braze does once its retries fail.
public struct ConnectedContentResponse: Sendable, Equatable {
    public var status: Int
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }
}

/// A parsed `connected_content` tag: each templated part parsed when the template is.
struct ConnectedContentCall: Sendable {
    var url: Block
    var method: String
    var headers: Block?
    var body: Block?
    var contentType: String?
    var basicAuthCredential: String?
    var tokenCredential: String?
    var retry: Bool
    var cacheMaxAge: Int?
    var noCache: Bool
    var saveAs: String
    var rerender: Bool
    var position: SourcePosition

    /// The options Braze documents (`cache` is brazejs's spelling of `cache_max_age`).
    static let options: Set<String> = [
        "save", "method", "body", "headers", "content_type", "basic_auth", "auth_credentials",
        "retry", "cache_max_age", "cache", "no_cache", "rerender",
    ]
    static let flags: Set<String> = ["retry", "no_cache", "rerender"]

    /// Splits the markup into the URL and `:option value` parts. An option starts at a `:`
    /// that follows white space, outside quotes, `{{ }}`, `{% %}`, `${}` and JSON braces.
    static func split(_ markup: String) -> (url: String, options: [(name: String, value: String)]) {
        let bytes = Array(markup.utf8)
        var parts: [(Int, Int)] = []  // (start of ':' or 0, end)
        var start = 0, depth = 0, quote: UInt8?
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                if depth > 0 { quote = byte }
            } else if byte == UInt8(ascii: "{") {
                depth += 1
            } else if byte == UInt8(ascii: "}") {
                depth = max(0, depth - 1)
            } else if byte == UInt8(ascii: ":"), depth == 0, i > 0, bytes[i - 1] == 32 || bytes[i - 1] == 10 || bytes[i - 1] == 9 || bytes[i - 1] == 13,
                      i + 1 < bytes.count, ExpressionLexer.isIdentifierStart(bytes[i + 1]) {
                parts.append((start, i))
                start = i
            }
            i += 1
        }
        parts.append((start, bytes.count))
        func text(_ range: (Int, Int)) -> String { String(decoding: bytes[range.0..<range.1], as: UTF8.self).trimmingSpaces() }
        let url = text(parts[0])
        let options = parts.dropFirst().map { range -> (String, String) in
            let body = text((range.0 + 1, range.1))
            let name = body.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            return (String(name), String(body.dropFirst(name.count)).trimmingSpaces())
        }
        return (url, options)
    }
}

extension RenderState {
    /// Calls the caller's closure and applies the answer (see ``ConnectedContentResponse``).
    func renderConnectedContent(_ call: ConnectedContentCall) throws(LiquidError) {
        guard let fetch = options.connectedContent else {
            throw LiquidError(.unavailable, "connected_content needs a fetcher: set RenderOptions.connectedContent (the service sets one from its configuration)")
        }
        let url = try renderedText(call.url).trimmingSpaces()
        var headers: [ConnectedContentRequest.HeaderField] = []
        if let block = call.headers {
            let text = try renderedText(block)
            guard case .object(let object)? = try? LiquidValue(json: text) else {
                throw LiquidError(.syntax, "connected_content :headers must be a JSON object of strings, got \(text.prefix(80))")
            }
            headers = object.pairs.map { .init(name: $0.0, value: $0.1.renderedString) }
        }
        let request = ConnectedContentRequest(
            url: url, method: call.method, headers: headers, body: try call.body.map { (block: Block) throws(LiquidError) in try renderedText(block) },
            contentType: call.contentType, basicAuthCredential: call.basicAuthCredential, tokenCredential: call.tokenCredential,
            retry: call.retry, cacheMaxAge: call.cacheMaxAge, noCache: call.noCache)
        let response: ConnectedContentResponse
        do {
            response = try fetch(request)
        } catch {
            // The URL's query may carry personal data or keys: only its scheme, host and path are named.
            throw LiquidError(.unavailable, "connected_content \(call.method) \(Self.withoutQuery(url)) failed: \(error)")
        }
        if response.status >= 500 && call.retry {
            abortReason = .some("connected_content \(Self.withoutQuery(url)) answered \(response.status)")
            throw LiquidError(.abortSignal, "")
        }
        if response.status == 404 { return }
        if case .object(var object)? = try? LiquidValue(json: response.body) {
            if (200..<300).contains(response.status) { object["__http_status_code__"] = .int(response.status) }
            assign(call.saveAs, .object(object))
            return
        }
        try checkValueSize(response.body.utf8.count, "connected_content's response")
        guard call.rerender else { return try write(response.body) }
        // `:rerender`: the answer's own Liquid, in this render's scope. An answer that calls
        // connected_content again nests like a partial (bounded by maxDepth).
        guard includeDepth < options.limits.maxDepth else {
            throw LiquidError(.limitExceeded, "connected_content :rerender nested more than \(options.limits.maxDepth) deep")
        }
        includeDepth += 1
        defer { includeDepth -= 1 }
        let block: Block
        do {
            var parser = TemplateParser(tokens: try TemplateLexer(response.body).tokens(), environment: environment, maxDepth: options.limits.maxDepth)
            block = try parser.parseDocument()
        } catch {
            throw LiquidError(.unavailable, "connected_content \(Self.withoutQuery(url)) answered Liquid that does not parse: \(error.message)")
        }
        try render(block)
    }

    /// Renders `block` to text in this render's scope, without writing it out.
    func renderedText(_ block: Block) throws(LiquidError) -> String {
        let saved = output
        output = ""
        defer { output = saved }
        try render(block)
        return output
    }

    static func withoutQuery(_ url: String) -> Substring {
        url.prefix { $0 != "?" && $0 != "#" }
    }
}

extension RenderState {
    /// Braze's `{{content_blocks.${name}}}`: the block's source from
    /// ``RenderOptions/contentBlocks``, parsed once per render and rendered in this scope
    /// (its `assign`s stay visible after it, as Braze documents).
    func renderContentBlock(_ name: String) throws(LiquidError) -> String {
        guard let source = options.contentBlocks else {
            throw LiquidError(.unavailable, "content block '\(name)' needs a source: set RenderOptions.contentBlocks")
        }
        guard includeDepth < options.limits.maxDepth else {
            throw LiquidError(.limitExceeded, "content blocks nested more than \(options.limits.maxDepth) deep (is '\(name)' including itself?)")
        }
        let key = "content_blocks/" + name
        let block: Block
        if let cached = partialCache[key] {
            block = cached
        } else {
            guard let text = source(name) else { throw LiquidError(.templateNotFound, "no content block named '\(name)'") }
            do {
                var parser = TemplateParser(tokens: try TemplateLexer(text).tokens(), environment: environment, maxDepth: options.limits.maxDepth)
                block = try parser.parseDocument()
            } catch {
                var error = error
                error.templateName = key
                throw error
            }
            partialCache[key] = block
        }
        includeDepth += 1
        defer { includeDepth -= 1 }
        return try renderedText(block)
    }
}
