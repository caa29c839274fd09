import CCurl

extension CurlClient {
    /// Applies an HTTP request to a fresh easy handle.
    func configureHTTP(_ transfer: CurlEasyTransfer, for request: HTTPRequest) throws(CurlTransportError) {
        let scheme = Self.scheme(of: request.url)
        guard scheme == "http" || scheme == "https" else {
            let redactedURL = CurlTransportError.redact(request.url)
            throw CurlTransportError(
                reason: .invalidRequest,
                detail: "only http:// and https:// URLs can be requested; got '\(redactedURL)'",
                url: redactedURL
            )
        }
        try Self.validateToken(request.method.rawValue, what: "method")
        transfer.set(CURLOPT_URL, request.url)
        transfer.set(CURLOPT_PROTOCOLS_STR, "http,https")
        transfer.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        applyCommon(transfer, timeouts: request.timeouts, tls: request.tls)

        switch request.method {
        case .get where request.body == nil:
            transfer.set(CURLOPT_HTTPGET, 1)
        case .head:
            transfer.set(CURLOPT_NOBODY, 1)
        default:
            if request.method != .post || request.body == nil {
                transfer.set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            }
        }
        if let body = request.body, request.method != .head {
            transfer.setRequestBody(body)
        } else if [.post, .put, .patch].contains(request.method) {
            transfer.setRequestBody([])  // an explicit Content-Length: 0
        }

        switch request.httpVersion {
        case .http1_1: transfer.set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        case .http2: transfer.set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS)
        case .http2PriorKnowledge:
            transfer.set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE)
            if scheme == "http" && !LibcurlInfo.reusesPriorKnowledgeConnections {
                // Work around libcurl 7.88.0-7.88.1 (see LibcurlInfo): one connection each.
                transfer.set(CURLOPT_FRESH_CONNECT, 1)
                transfer.set(CURLOPT_FORBID_REUSE, 1)
            }
        }
        // Wait for a multiplexable HTTP/2 connection rather than open another, where one
        // can come: a plain-HTTP request waiting so would queue every request of a first
        // burst to a host behind the first response.
        let mayMultiplex = switch request.httpVersion {
        case .http1_1: false
        case .http2: scheme == "https"
        case .http2PriorKnowledge: scheme == "https" || LibcurlInfo.reusesPriorKnowledgeConnections
        }
        if mayMultiplex { transfer.set(CURLOPT_PIPEWAIT, 1) }

        switch request.redirects {
        case .none:
            transfer.set(CURLOPT_FOLLOWLOCATION, 0)
        case .follow(let max):
            transfer.set(CURLOPT_FOLLOWLOCATION, 1)
            transfer.set(CURLOPT_MAXREDIRS, max)
        }

        var lines: [String] = []
        lines.reserveCapacity(request.headers.count + 3)
        var hasContentType = false, hasExpect = false, hasUserAgent = false
        for field in request.headers {
            try Self.validateToken(field.name, what: "header name")
            try Self.validateHeaderValue(field.value, name: field.name)
            if field.name.caseInsensitiveEquals("Content-Type") { hasContentType = true }
            if field.name.caseInsensitiveEquals("Expect") { hasExpect = true }
            if field.name.caseInsensitiveEquals("User-Agent") { hasUserAgent = true }
            // "Name;" sends an empty value; "Name:" would remove the header instead.
            lines.append(field.value.isEmpty ? field.name + ";" : field.name + ": " + field.value)
        }
        // libcurl's SigV4 signs every header line given here, including the lines that
        // only remove a default header (which then are not sent): leave those out there.
        let signsHeaders: Bool
        if case .awsSigV4 = request.authentication { signsHeaders = true } else { signsHeaders = false }
        if !signsHeaders {
            if request.body != nil && !hasContentType {
                lines.append("Content-Type:")  // libcurl would otherwise claim a form
            }
            if !hasExpect {
                lines.append("Expect:")  // no 100-continue round trip
            }
        }
        if !hasUserAgent {
            transfer.set(CURLOPT_USERAGENT, configuration.userAgent)
        }

        switch request.authentication {
        case .none:
            break
        case .basic(let username, let password):
            transfer.set(CURLOPT_HTTPAUTH, cc_auth_basic)
            transfer.set(CURLOPT_USERNAME, username)
            transfer.set(CURLOPT_PASSWORD, password)
        case .bearer(let token):
            try Self.validateHeaderValue(token, name: "Authorization")
            lines.append("Authorization: Bearer \(token)")
        case .awsSigV4(let credentials):
            transfer.set(CURLOPT_AWS_SIGV4, credentials.curlProviderString)
            transfer.set(CURLOPT_USERNAME, credentials.accessKeyID)
            transfer.set(CURLOPT_PASSWORD, credentials.secretAccessKey)
            if let token = credentials.sessionToken {
                try Self.validateHeaderValue(token, name: "x-amz-security-token")
                lines.append("x-amz-security-token: \(token)")
            }
        }
        transfer.set(CURLOPT_HTTPHEADER, list: lines)

        let maxSize = request.maxResponseSize ?? configuration.maxResponseSize
        transfer.maxBodySize = maxSize
        transfer.setOffset(CURLOPT_MAXFILESIZE_LARGE, maxSize)
        transfer.installResponseCallbacks()
    }

    /// Applies an SMTP request to a fresh easy handle.
    func configureSMTP(_ transfer: CurlEasyTransfer, for mail: SMTPRequest) throws(CurlTransportError) {
        let url = mail.server.curlURL
        guard !mail.recipients.isEmpty else {
            throw CurlTransportError(reason: .invalidRequest, detail: "an SMTP message needs at least one recipient", url: url)
        }
        for address in [mail.mailFrom] + mail.recipients {
            try Self.validateMailbox(address, url: url)
        }
        transfer.set(CURLOPT_URL, url)
        transfer.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        applyCommon(transfer, timeouts: mail.timeouts, tls: mail.tls)
        switch mail.server.security {
        case .startTLSRequired: transfer.set(CURLOPT_USE_SSL, cc_usessl_all())
        case .implicitTLS: transfer.set(CURLOPT_USE_SSL, cc_usessl_all())
        case .none: transfer.set(CURLOPT_USE_SSL, cc_usessl_none())
        }
        if let credentials = mail.credentials {
            transfer.set(CURLOPT_USERNAME, credentials.username)
            transfer.set(CURLOPT_PASSWORD, credentials.password)
        }
        transfer.set(CURLOPT_MAIL_FROM, "<\(mail.mailFrom)>")
        transfer.set(CURLOPT_MAIL_RCPT, list: mail.recipients.map { "<\($0)>" })
        transfer.setUploadBody(mail.message)
        transfer.installReplyCapture()
    }

    private func applyCommon(_ transfer: CurlEasyTransfer, timeouts: Timeouts?, tls: TLSConfiguration?) {
        transfer.set(CURLOPT_NOSIGNAL, 1)
        transfer.set(CURLOPT_TCP_NODELAY, 1)
        let timeouts = timeouts ?? configuration.timeouts
        transfer.set(CURLOPT_CONNECTTIMEOUT_MS, timeouts.connect.roundedUpMilliseconds)
        transfer.set(CURLOPT_TIMEOUT_MS, timeouts.total.map { $0.roundedUpMilliseconds } ?? 0)

        let tls = tls ?? configuration.tls
        transfer.set(CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
        transfer.set(CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0)
        if let path = tls.caBundlePath { transfer.set(CURLOPT_CAINFO, path) }
        if let path = tls.clientCertificatePath { transfer.set(CURLOPT_SSLCERT, path) }
        if let path = tls.clientKeyPath { transfer.set(CURLOPT_SSLKEY, path) }
        if let password = tls.clientKeyPassword { transfer.set(CURLOPT_KEYPASSWD, password) }
    }

    // MARK: Validation

    /// The URL's scheme in lower case ("" when it has none).
    static func scheme(of url: String) -> String {
        var scheme: [UInt8] = []
        for byte in url.utf8.prefix(8) {
            if byte == UInt8(ascii: ":") { return String(decoding: scheme, as: UTF8.self) }
            scheme.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
        }
        return ""
    }

    static func validateToken(_ token: String, what: String) throws(CurlTransportError) {
        let valid = !token.isEmpty && token.utf8.allSatisfy { byte in
            byte > 32 && byte < 127 && byte != UInt8(ascii: ":") && byte != UInt8(ascii: "(")
                && byte != UInt8(ascii: ")") && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: ";")
        }
        guard valid else {
            throw CurlTransportError(reason: .invalidRequest, detail: "invalid HTTP \(what) '\(token)': use visible ASCII without separators")
        }
    }

    static func validateHeaderValue(_ value: String, name: String) throws(CurlTransportError) {
        guard !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
            throw CurlTransportError(
                reason: .invalidRequest,
                detail: "the value of header '\(name)' contains a line break or NUL; remove it (it would inject headers)"
            )
        }
    }

    static func validateMailbox(_ address: String, url: String) throws(CurlTransportError) {
        let bad = address.isEmpty || address.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }
        guard !bad else {
            throw CurlTransportError(
                reason: .invalidRequest,
                detail: "invalid SMTP envelope address '\(address)': give a bare address such as user@example.com, without <>, line breaks or NUL",
                url: url
            )
        }
    }
}
