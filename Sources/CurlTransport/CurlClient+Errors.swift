import CCurl

extension CurlClient {
    /// Turns a finished transfer's libcurl result into success or a typed error.
    /// `rawURL` is redacted only when an error is made.
    static func check(
        _ completion: CurlEasyTransfer.Completion,
        _ transfer: CurlEasyTransfer,
        url rawURL: String,
        requestSize: Int
    ) throws(CurlTransportError) {
        if case .finished(let code) = completion, code == CURLE_OK { return }
        let url = CurlTransportError.redact(rawURL)
        let code: CURLcode
        switch completion {
        case .cancelled:
            throw CurlTransportError(reason: .cancelled, detail: "the task was cancelled; the transfer was aborted", url: url)
        case .shutdown:
            throw CurlTransportError(reason: .clientShutdown, detail: "the client was shut down before the transfer finished", url: url)
        case .finished(let result):
            code = result
        }

        let curlText = transfer.errorMessage ?? String(cString: curl_easy_strerror(code))
        let isSMTP = url.hasPrefix("smtp")
        let replyCode = isSMTP ? transfer.info(CURLINFO_RESPONSE_CODE) : 0
        let headersSent = transfer.info(CURLINFO_REQUEST_SIZE) > 0
        let fullySent = headersSent && transfer.infoOffset(CURLINFO_SIZE_UPLOAD_T) >= requestSize
        func error(_ reason: CurlTransportError.Reason, _ detail: String, processed: Bool = false) -> CurlTransportError {
            CurlTransportError(
                reason: reason, detail: detail, curlCode: Int(code.rawValue),
                smtpReplyCode: replyCode >= 400 ? replyCode : nil, url: url,
                requestMayHaveBeenProcessed: processed
            )
        }

        if code == CURLE_LOGIN_DENIED {
            throw error(.authenticationFailed, "the server refused the credentials: \(lastReply(transfer).text.isEmpty ? curlText : lastReply(transfer).text); check the user name and password")
        }
        if isSMTP && replyCode >= 400 {
            let reply = lastReply(transfer)
            let kind = replyCode < 500 ? "temporarily refused (retry later)" : "permanently refused"
            throw error(.smtpRejected, "the SMTP server \(kind) the message: \(reply.code) \(reply.text)")
        }
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            throw error(.invalidRequest, "the URL cannot be used: \(curlText)")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            throw error(.nameResolutionFailed, "the host name could not be resolved: \(curlText)")
        case CURLE_COULDNT_CONNECT:
            throw error(.connectionRefused, "could not connect: \(curlText)")
        case CURLE_OPERATION_TIMEDOUT:
            if transfer.infoOffset(CURLINFO_CONNECT_TIME_T) == 0 && !headersSent {
                throw error(.connectTimeout, "no connection within the connect timeout: \(curlText)")
            }
            if fullySent {
                throw error(.timeoutAfterRequestSent, "timed out waiting for the response after the request was sent: \(curlText)", processed: true)
            }
            throw error(.timeoutBeforeRequestSent, "timed out before the request was completely sent: \(curlText)")
        case CURLE_SSL_CONNECT_ERROR:
            throw error(.tlsHandshakeFailed, "the TLS handshake failed: \(curlText)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE,
             CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE:
            throw error(.tlsCertificateRejected, "TLS certificate problem: \(curlText); check the CA bundle and client certificate settings")
        case CURLE_USE_SSL_FAILED:
            throw error(.protocolError, "the server does not offer STARTTLS, which this request requires: \(curlText)")
        case CURLE_FILESIZE_EXCEEDED:
            throw error(.responseTooLarge, "the response is larger than the allowed \(transfer.maxBodySize) bytes")
        case CURLE_WRITE_ERROR where transfer.bodyTooLarge:
            throw error(.responseTooLarge, "the response is larger than the allowed \(transfer.maxBodySize) bytes")
        case CURLE_TOO_MANY_REDIRECTS:
            throw error(.tooManyRedirects, "too many redirects: \(curlText)")
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            throw error(.connectionClosed, "the connection broke: \(curlText)", processed: fullySent)
        case CURLE_WEIRD_SERVER_REPLY:
            throw error(.protocolError, "the server's reply broke the protocol: \(curlText)")
        default:
            throw error(.unknown, curlText, processed: fullySent)
        }
    }

    /// The last reply with the transfer's response code: code and text (SMTP).
    ///
    /// libcurl may talk on after a refusal (`RSET`, `QUIT`), so the reply is found by its
    /// code, searching backwards; a multi-line reply (`250-...`, `250 ...`) is joined.
    static func lastReply(_ transfer: CurlEasyTransfer) -> (code: Int, text: String) {
        let code = transfer.info(CURLINFO_RESPONSE_CODE)
        let replies = transfer.serverReplies
        let final = "\(code) ", continued = "\(code)-"
        guard let end = replies.lastIndex(where: { $0.hasPrefix(final) || $0 == String(code) }) else {
            return (code, "")
        }
        var start = end
        while start > replies.startIndex, replies[start - 1].hasPrefix(continued) { start -= 1 }
        let text = replies[start...end].map { String($0.dropFirst(final.count)) }
        return (code, text.joined(separator: "\n"))
    }
}
