import Foundation

/// Why a ``MIMEMessage`` could not be rendered.
public struct MIMEError: Error, Equatable, CustomStringConvertible {
    /// A stable code: `bad_header_name`, `header_injection`, `bad_address`, `no_body` or `no_recipient`.
    public var code: String
    /// What is wrong, for people; it names the field but not the value.
    public var message: String

    /// An error with a stable `code` and a readable `message`.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}

/// An email for SMTP: RFC 5322 headers and a MIME body (RFC 2045-2047), text and/or HTML in
/// quoted-printable UTF-8, with CRLF line endings and no line longer than 998 octets.
public struct MIMEMessage: Sendable, Equatable {
    /// An address with an optional display name.
    public struct Mailbox: Sendable, Equatable {
        /// The display name, any Unicode (encoded as RFC 2047 words when not plain ASCII).
        public var name: String?
        /// The address, `local@domain`, ASCII only (SMTPUTF8 is not supported).
        public var address: String

        /// A mailbox for `address`, shown as `name` when given.
        public init(name: String? = nil, address: String) {
            self.name = name
            self.address = address
        }
    }

    /// The sender.
    public var from: Mailbox
    /// The recipients; at least one.
    public var to: [Mailbox]
    /// Where replies go, if not to ``from``.
    public var replyTo: Mailbox?
    /// The subject, any Unicode.
    public var subject: String
    /// The HTML body; nil or empty for none.
    public var html: String?
    /// The plain-text body; nil or empty for none.
    public var text: String?
    /// Extra headers (name, value) in order; names checked. Values may be any Unicode.
    public var headers: [(name: String, value: String)]
    /// List-Unsubscribe URL (https or mailto); with `oneClick`, also List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058).
    public var listUnsubscribe: String?
    /// Whether ``listUnsubscribe`` (then an https URL) supports RFC 8058 one-click unsubscription.
    public var oneClickUnsubscribe: Bool
    /// The Message-ID without angle brackets, e.g. `d_abc@example.com`.
    public var messageID: String
    /// The Date header's time (written in UTC).
    public var date: Date

    /// A message; `messageID` defaults to a random UUID at the sender's domain, `date` to now.
    public init(
        from: Mailbox, to: [Mailbox], replyTo: Mailbox? = nil, subject: String, html: String? = nil,
        text: String? = nil, headers: [(name: String, value: String)] = [], listUnsubscribe: String? = nil,
        oneClickUnsubscribe: Bool = false, messageID: String? = nil, date: Date = Date()
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.html = html
        self.text = text
        self.headers = headers
        self.listUnsubscribe = listUnsubscribe
        self.oneClickUnsubscribe = oneClickUnsubscribe
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        self.messageID = messageID ?? "\(UUID().uuidString.lowercased())@\(domain)"
        self.date = date
    }

    /// Whether two messages have the same fields (the extra headers compared pair by pair).
    public static func == (a: MIMEMessage, b: MIMEMessage) -> Bool {
        let envelope = a.from == b.from && a.to == b.to && a.replyTo == b.replyTo && a.subject == b.subject
        let bodies = a.html == b.html && a.text == b.text && a.messageID == b.messageID && a.date == b.date
        let lists = a.listUnsubscribe == b.listUnsubscribe && a.oneClickUnsubscribe == b.oneClickUnsubscribe
        let extra = a.headers.count == b.headers.count
            && zip(a.headers, b.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        return envelope && bodies && lists && extra
    }

    /// The message as CRLF-terminated bytes ready for SMTP DATA (without the dot-stuffing; the transport/libcurl does that).
    /// - Parameter boundary: the multipart boundary (1-60 MIME boundary characters; for tests), random when nil.
    ///   A suffix is added if it occurs in a body.
    public func rendered(boundary: String? = nil) throws(MIMEError) -> Data {
        guard !to.isEmpty else { throw MIMEError(code: "no_recipient", message: "the message has no recipient") }
        var out = Self.field("Date", [Self.rfc5322Date(date)])
        out += Self.field("From", try Self.mailboxWords([from], "From"))
        out += Self.field("To", try Self.mailboxWords(to, "To"))
        if let replyTo { out += Self.field("Reply-To", try Self.mailboxWords([replyTo], "Reply-To")) }
        out += Self.field("Subject", try Self.unstructuredWords(subject, "Subject"))
        try Self.checkAddress(messageID, "Message-ID")
        out += Self.field("Message-ID", ["<\(messageID)>"])
        out += "MIME-Version: 1.0\r\n"
        if let url = listUnsubscribe {
            try Self.checkUnsubscribe(url, oneClick: oneClickUnsubscribe)
            out += Self.field("List-Unsubscribe", ["<\(url)>"])
            if oneClickUnsubscribe { out += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" }
        }
        for (name, value) in headers {
            try Self.checkHeaderName(name)
            out += Self.field(name, try Self.unstructuredWords(value, "header \(name)"))
        }
        let parts = [("plain", text), ("html", html)].compactMap { kind, body in
            body.flatMap { $0.isEmpty ? nil : (kind, Self.quotedPrintable($0)) }
        }
        guard !parts.isEmpty else { throw MIMEError(code: "no_body", message: "the message has neither text nor HTML") }
        func partHeaders(_ kind: String) -> String {
            "Content-Type: text/\(kind); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        }
        if parts.count == 1 {
            let (kind, body) = parts[0]
            out += partHeaders(kind) + "\r\n" + body + (body.hasSuffix("\r\n") ? "" : "\r\n")
        } else {
            let chosen = Self.boundary(boundary, avoiding: parts.map(\.1))
            out += "Content-Type: multipart/alternative; boundary=\"\(chosen)\"\r\n\r\n"
            for (kind, body) in parts { out += "--\(chosen)\r\n" + partHeaders(kind) + "\r\n" + body + "\r\n" }
            out += "--\(chosen)--\r\n"
        }
        return Data(out.utf8)
    }

    // MARK: - Headers

    /// `Name: word word ...`, folded (CRLF + space before a word) where a line would pass 78 characters.
    static func field(_ name: String, _ words: [String]) -> String {
        var out = name + ":", lineLength = out.utf8.count
        for (index, word) in words.enumerated() {
            // Folding before an empty word could leave a whitespace-only line.
            if index > 0, !word.isEmpty, lineLength + 1 + word.utf8.count > 78 {
                out += "\r\n"
                lineLength = 0
            }
            out += " " + word
            lineLength += 1 + word.utf8.count
        }
        return out + "\r\n"
    }

    /// Whether `value` can be written as it is: printable ASCII (or tab), no `=?` that a reader
    /// could take for an encoded word, and no run of (non-)spaces too long to fold under 998.
    static func isPlain(_ value: String) -> Bool {
        var run = 0, previousIsSpace = false
        for byte in value.utf8 {
            guard (32...126).contains(byte) || byte == 9 else { return false }
            run = (byte == 32) == previousIsSpace ? run + 1 : 1
            previousIsSpace = byte == 32
            if run > 400 { return false }
        }
        return !value.contains("=?")
    }

    /// The words of an unstructured value (Subject, extra headers): as they are when plain, else encoded words.
    static func unstructuredWords(_ value: String, _ what: String) throws(MIMEError) -> [String] {
        try checkNoLineBreak(value, what)
        if value.isEmpty { return [] }
        return isPlain(value) ? value.split(separator: " ", omittingEmptySubsequences: false).map(String.init) : encodedWords(value)
    }

    /// RFC 5322 specials: a plain display name containing one is quoted.
    static let specials = Set("()<>[]:;@\\,.\"".utf8)

    /// `name <address>, ...` as words, with commas between the mailboxes.
    static func mailboxWords(_ mailboxes: [Mailbox], _ what: String) throws(MIMEError) -> [String] {
        var words: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            try checkAddress(mailbox.address, what)
            var mailboxWords: [String]
            if let name = mailbox.name, !name.isEmpty {
                try checkNoLineBreak(name, "\(what) display name")
                if !isPlain(name) {
                    mailboxWords = encodedWords(name)
                } else if name.utf8.contains(where: specials.contains) {
                    let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    mailboxWords = escaped.utf8.count > 400 ? encodedWords(name) : ["\"\(escaped)\""]
                } else {
                    mailboxWords = name.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                }
                mailboxWords.append("<\(mailbox.address)>")
            } else {
                mailboxWords = [mailbox.address]
            }
            if index < mailboxes.count - 1 { mailboxWords[mailboxWords.count - 1] += "," }
            words += mailboxWords
        }
        return words
    }

    /// RFC 2047 `=?UTF-8?B?...?=` words of at most 64 characters (39 bytes each, so that a word
    /// fits on a line after a field name), split between characters, or between the Unicode
    /// scalars of a character too long for one word.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = [], chunk: [UInt8] = []
        func flush() {
            if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
            chunk = []
        }
        func add(_ bytes: String.UTF8View) {
            if chunk.count + bytes.count > 39 { flush() }
            chunk += bytes
        }
        for character in text {
            let bytes = String(character).utf8
            if bytes.count <= 39 { add(bytes) } else { character.unicodeScalars.forEach { add(String($0).utf8) } }
        }
        flush()
        return words
    }

    static func checkNoLineBreak(_ value: String, _ what: String) throws(MIMEError) {
        if value.utf8.contains(13) || value.utf8.contains(10) {
            throw MIMEError(code: "header_injection", message: "\(what) contains a line break (CR or LF)")
        }
    }

    /// Field names that the message's own properties set, with the property to use instead.
    static let reserved: [String: String] = [
        "from": "from", "to": "to", "reply-to": "replyTo", "subject": "subject", "date": "date",
        "message-id": "messageID", "mime-version": "html or text", "content-type": "html or text",
        "content-transfer-encoding": "html or text", "list-unsubscribe": "listUnsubscribe",
        "list-unsubscribe-post": "oneClickUnsubscribe",
    ]

    static func checkHeaderName(_ name: String) throws(MIMEError) {
        try checkNoLineBreak(name, "a header name")
        guard !name.isEmpty, name.utf8.count <= 76, name.utf8.allSatisfy({ (33...126).contains($0) && $0 != 58 }) else {
            throw MIMEError(code: "bad_header_name", message: "header name \"\(name)\" is not 1-76 printable ASCII characters without ':'")
        }
        if let property = reserved[name.lowercased()] {
            throw MIMEError(code: "bad_header_name", message: "\(name) can't be an extra header: use \(property) instead")
        }
    }

    /// Characters refused in an address: quoted local parts and domain literals are not supported.
    static let addressForbidden = Set("<>()[]\\,;:\"".utf8)

    static func checkAddress(_ address: String, _ what: String) throws(MIMEError) {
        try checkNoLineBreak(address, "\(what) address")
        guard address.utf8.allSatisfy({ $0 < 128 }) else {
            throw MIMEError(code: "bad_address", message: "\(what) address is not ASCII (SMTPUTF8 is not supported)")
        }
        let sides = address.split(separator: "@", omittingEmptySubsequences: false)
        guard sides.count == 2, !sides[0].isEmpty, !sides[1].isEmpty, address.utf8.count <= 254,
              address.utf8.allSatisfy({ $0 > 32 && $0 < 127 && !addressForbidden.contains($0) }) else {
            throw MIMEError(code: "bad_address", message: "\(what) address is not a plain local@domain address")
        }
    }

    static func checkUnsubscribe(_ url: String, oneClick: Bool) throws(MIMEError) {
        try checkNoLineBreak(url, "List-Unsubscribe")
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || (lower.hasPrefix("mailto:") && !oneClick), url.utf8.count <= 900,
              url.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != 60 && $0 != 62 }) else {
            throw MIMEError(code: "bad_address", message: "List-Unsubscribe must be an https URL (or mailto without one-click) of printable ASCII")
        }
    }

    /// `Wed, 02 Dec 2026 10:11:31 +0000` (RFC 5322 section 3.3, in UTC).
    static func rfc5322Date(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400, time = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, proleptic Gregorian).
        let z = days + 719_468, era = (z >= 0 ? z : z - 146_096) / 146_097, dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153, day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]  // 1970-01-01 was a Thursday
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(weekdays[((days % 7) + 11) % 7]), \(two(day)) \(months[month - 1]) \(year) "
            + "\(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60)) +0000"
    }

    // MARK: - Body

    /// RFC 2045 quoted-printable: LF or CRLF become CRLF; lines of at most 76 characters with soft
    /// breaks; `=`, controls, non-ASCII bytes, whitespace at a line's end and a `.` opening a line escaped.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        let lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
        for (index, var line) in lines.enumerated() {
            if index > 0 { out += [13, 10] }
            if line.last == 13, index < lines.count - 1 { line.removeLast() }  // CRLF; a lone CR stays, as =0D
            var lineLength = 0
            for (position, byte) in line.enumerated() {
                func token(atStart: Bool) -> [UInt8] {
                    let isLast = position == line.count - 1
                    let literal = ((33...126).contains(byte) && byte != 61 && !(byte == 46 && atStart))
                        || ((byte == 32 || byte == 9) && !isLast)
                    return literal ? [byte] : [61, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                }
                var encoded = token(atStart: lineLength == 0)
                if lineLength + encoded.count > 75 {
                    out += [61, 13, 10]  // soft break, never inside an =XX
                    lineLength = 0
                    encoded = token(atStart: true)
                }
                out += encoded
                lineLength += encoded.count
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The given boundary (or `=_` and random hex, which quoted-printable never produces),
    /// with a suffix while it occurs in a body.
    static func boundary(_ given: String?, avoiding bodies: [String]) -> String {
        let base = given ?? "=_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?".utf8)
        precondition((1...60).contains(base.utf8.count) && base.utf8.allSatisfy(allowed.contains), "invalid MIME boundary")
        var chosen = base, suffix = 0
        while bodies.contains(where: { $0.contains(chosen) }) {
            suffix += 1
            chosen = "\(base)_\(suffix)"
        }
        return chosen
    }
}
