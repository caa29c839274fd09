import Delivery
import Foundation
import Testing

@Suite("MIME messages")
struct MIMEMessageTests {
    static let text = "Bonjour é, 日本語, emoji 🎉👩‍👩‍👧 and 👍🏽\n" + String(repeating: "x", count: 300) + "\n"
        + "trailing spaces   \n.\n=\n" + String(repeating: "é日=🎉 ", count: 40) + "\nlast line\twith tab\t"
    static let html = "<p>Salut, <b>ça</b> va ?</p>\r\n<p>" + String(repeating: "日本語 =3D ", count: 50) + "</p>\n"

    static func message(
        subject: String = "Hello", text: String? = text, html: String? = html, headers: [(name: String, value: String)] = []
    ) -> MIMEMessage {
        MIMEMessage(
            from: .init(name: "Acme News", address: "news@acme.example"),
            to: [.init(name: "Doe, Jane", address: "jane@example.com"), .init(address: "bob@example.org")],
            replyTo: .init(name: "Zoë Ünal", address: "support@acme.example"),
            subject: subject, html: html, text: text, headers: headers,
            listUnsubscribe: "https://acme.example/u/abc?x=1", oneClickUnsubscribe: true,
            messageID: "d_abc@acme.example", date: Date(timeIntervalSince1970: 1_796_206_291)
        )
    }

    static func render(_ message: MIMEMessage, boundary: String? = "BOUNDARY42") throws -> String {
        String(decoding: try message.rendered(boundary: boundary), as: UTF8.self)
    }

    /// The header block and the body, split at the first empty line.
    static func split(_ entity: String) -> (head: String, body: String) {
        guard let range = entity.range(of: "\r\n\r\n") else { return (entity, "") }
        return (String(entity[..<range.lowerBound]), String(entity[range.upperBound...]))
    }

    /// Unfolded headers (name, value) in order.
    static func headers(_ head: String) -> [(name: String, value: String)] {
        head.replacingOccurrences(of: "\r\n ", with: " ").components(separatedBy: "\r\n").map { line in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
    }

    static func header(_ name: String, in head: String) -> String? {
        headers(head).first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// A strict quoted-printable decoder: `=XX` (upper-case hex) and `=` CRLF soft breaks; nil if malformed.
    static func decodeQP(_ encoded: String) -> String? {
        let bytes = Array(encoded.utf8)
        var out: [UInt8] = [], index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "=") else {
                out.append(bytes[index])
                index += 1
                continue
            }
            guard index + 2 < bytes.count else { return nil }
            let pair = String(decoding: bytes[index + 1...index + 2], as: UTF8.self)
            if pair == "\r\n" {
                index += 3
            } else {
                guard pair == pair.uppercased(), let byte = UInt8(pair, radix: 16) else { return nil }
                out.append(byte)
                index += 3
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The encoded words of an unfolded value, each checked (≤ 75 characters, whole UTF-8 characters).
    static func decodeWords(_ value: String) -> String {
        var decoded = ""
        for word in value.split(separator: " ") {
            #expect(word.utf8.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="), "\(word)")
            let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data([0xFF])
            let piece = String(data: data, encoding: .utf8)
            #expect(piece != nil, "an encoded word splits a character: \(word)")
            decoded += piece ?? ""
        }
        return decoded
    }

    static func errorCode(_ message: MIMEMessage) -> String? {
        do {
            _ = try message.rendered()
            return nil
        } catch {
            return error.code
        }
    }

    @Test("text and HTML make a multipart/alternative whose parts decode to the bodies")
    func multipart() throws {
        let (head, body) = Self.split(try Self.render(Self.message()))
        #expect(Self.header("Content-Type", in: head) == "multipart/alternative; boundary=\"BOUNDARY42\"")
        #expect(Self.header("MIME-Version", in: head) == "1.0")
        #expect(body.hasPrefix("--BOUNDARY42\r\n") && body.hasSuffix("\r\n--BOUNDARY42--\r\n"))
        let parts = ("\r\n" + body).components(separatedBy: "\r\n--BOUNDARY42")
        try #require(parts.count == 4)
        #expect(parts[0].isEmpty && parts[3] == "--\r\n")
        for (part, kind, original) in [(parts[1], "plain", Self.text), (parts[2], "html", Self.html)] {
            #expect(part.hasPrefix("\r\n"))
            let (partHead, encoded) = Self.split(String(decoding: part.utf8.dropFirst(2), as: UTF8.self))  // "\r\n" is one Character
            #expect(Self.header("Content-Type", in: partHead) == "text/\(kind); charset=utf-8")
            #expect(Self.header("Content-Transfer-Encoding", in: partHead) == "quoted-printable")
            let expected = original.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            #expect(Self.decodeQP(encoded) == expected)
            for line in encoded.components(separatedBy: "\r\n") {
                #expect(line.utf8.count <= 76, "\(line)")
                #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"), "\(line)")
                #expect(!line.hasPrefix("."), "\(line)")
            }
        }
    }

    @Test("a single body is a single part; a boundary found in a body is changed")
    func singlePartAndBoundary() throws {
        let (head, body) = Self.split(try Self.render(Self.message(text: "plain only\n", html: nil)))
        #expect(Self.header("Content-Type", in: head) == "text/plain; charset=utf-8")
        #expect(Self.header("Content-Transfer-Encoding", in: head) == "quoted-printable")
        #expect(body == "plain only\r\n")
        let clash = try Self.render(Self.message(text: "--BOUNDARY42\nhi", html: "<p>--BOUNDARY42_1</p>"))
        #expect(clash.contains("boundary=\"BOUNDARY42_2\""))
        let random = try Self.render(Self.message(), boundary: nil)
        #expect(random.contains("boundary=\"=_"))
    }

    @Test("every line ends in CRLF and is at most 998 octets")
    func lineEndings() throws {
        let long = String(repeating: "word ", count: 400) + String(repeating: "y", count: 1200)
        let rendered = try Self.message(subject: long, headers: [("X-Long", long), ("X-Spaces", String(repeating: " ", count: 1500) + "z")])
            .rendered(boundary: "BOUNDARY42")
        let bytes = Array(rendered)
        #expect(bytes.suffix(2) == [13, 10])
        for (index, byte) in bytes.enumerated() {
            if byte == 13 { #expect(index + 1 < bytes.count && bytes[index + 1] == 10, "bare CR at \(index)") }
            if byte == 10 { #expect(index > 0 && bytes[index - 1] == 13, "bare LF at \(index)") }
        }
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast()
        for line in lines { #expect(line.count - 1 <= 998) }
        let head = Self.split(String(decoding: bytes, as: UTF8.self)).head
        #expect(head.components(separatedBy: "\r\n").allSatisfy { !$0.allSatisfy(\.isWhitespace) })
        let longValue = try #require(Self.header("X-Long", in: head))
        #expect(Self.decodeWords(longValue) == long)  // a 1200-character word: encoded
    }

    @Test("a non-ASCII subject becomes encoded words that decode back")
    func encodedSubject() throws {
        let subject = "Ça va? 日本語のテスト — réduction de 50 % 🎉"
        let head = Self.split(try Self.render(Self.message(subject: subject))).head
        let encodedSubject = try #require(Self.header("Subject", in: head))
        #expect(encodedSubject.hasPrefix("=?UTF-8?B?"))
        #expect(Self.decodeWords(encodedSubject) == subject)
        let replyTo = try #require(Self.header("Reply-To", in: head))
        #expect(replyTo.hasSuffix(" <support@acme.example>"))
        #expect(Self.decodeWords(replyTo.replacingOccurrences(of: " <support@acme.example>", with: "")) == "Zoë Ünal")
        for line in head.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78, "\(line)") }
    }

    @Test("a long emoji subject splits into several words, never inside a character")
    func longEmojiSubject() throws {
        let subject = String(repeating: "🎉👍🏽é👩‍👩‍👧", count: 20)
        let head = Self.split(try Self.render(Self.message(subject: subject))).head
        let value = try #require(Self.header("Subject", in: head))
        #expect(value.split(separator: " ").count > 5)
        #expect(Self.decodeWords(value) == subject)
    }

    @Test("ASCII headers: quoted display names, Date, Message-ID, List-Unsubscribe, extra headers")
    func asciiHeaders() throws {
        let head = Self.split(try Self.render(Self.message(headers: [("X-Campaign", "spring sale"), ("X-Tag", "naïve")]))).head
        let names = Self.headers(head).map(\.name)
        #expect(names == [
            "Date", "From", "To", "Reply-To", "Subject", "Message-ID", "MIME-Version", "List-Unsubscribe",
            "List-Unsubscribe-Post", "X-Campaign", "X-Tag", "Content-Type",
        ])
        #expect(head.hasPrefix("Date: Wed, 02 Dec 2026 10:11:31 +0000\r\n"))
        #expect(Self.header("From", in: head) == "Acme News <news@acme.example>")
        #expect(Self.header("To", in: head) == "\"Doe, Jane\" <jane@example.com>, bob@example.org")
        #expect(Self.header("Subject", in: head) == "Hello")
        #expect(Self.header("Message-ID", in: head) == "<d_abc@acme.example>")
        #expect(Self.header("List-Unsubscribe", in: head) == "<https://acme.example/u/abc?x=1>")
        #expect(Self.header("List-Unsubscribe-Post", in: head) == "List-Unsubscribe=One-Click")
        #expect(Self.header("X-Campaign", in: head) == "spring sale")
        let tag = try #require(Self.header("X-Tag", in: head))
        #expect(Self.decodeWords(tag) == "naïve")

        var quoted = Self.message()
        quoted.from = .init(name: #"Jane "JJ" D\oe"#, address: "jj@example.com")
        quoted.date = Date(timeIntervalSince1970: 0)
        let quotedHead = Self.split(try Self.render(quoted)).head
        #expect(Self.header("From", in: quotedHead) == #""Jane \"JJ\" D\\oe" <jj@example.com>"#)
        #expect(Self.header("Date", in: quotedHead) == "Thu, 01 Jan 1970 00:00:00 +0000")
    }

    @Test("line breaks, reserved or bad names, bad addresses and missing parts are refused")
    func refusals() {
        #expect(Self.errorCode(Self.message(subject: "Hi\r\nBcc: victim@example.com")) == "header_injection")
        #expect(Self.errorCode(Self.message(subject: "Hi\nthere")) == "header_injection")
        #expect(Self.errorCode(Self.message(headers: [("X-Tag", "a\r\nBcc: victim@example.com")])) == "header_injection")
        #expect(Self.errorCode(Self.message(headers: [("X-Tag\r\nBcc", "a")])) == "header_injection")
        var name = Self.message()
        name.to[0].name = "Jane\r\nBcc: victim@example.com"
        #expect(Self.errorCode(name) == "header_injection")

        #expect(Self.errorCode(Self.message(headers: [("Subject", "again")])) == "bad_header_name")
        #expect(Self.errorCode(Self.message(headers: [("content-type", "text/plain")])) == "bad_header_name")
        #expect(Self.errorCode(Self.message(headers: [("X Tag", "a")])) == "bad_header_name")
        #expect(Self.errorCode(Self.message(headers: [("X-Tag:", "a")])) == "bad_header_name")

        for address in ["jane", "jane@", "@example.com", "a@b@c", "jane doe@example.com", "<jane@example.com>", "zoë@example.com"] {
            var message = Self.message()
            message.to = [.init(address: address)]
            #expect(Self.errorCode(message) == "bad_address", "\(address)")
        }
        var noBody = Self.message(text: nil, html: nil)
        #expect(Self.errorCode(noBody) == "no_body")
        noBody.text = ""
        #expect(Self.errorCode(noBody) == "no_body")
        var nobody = Self.message()
        nobody.to = []
        #expect(Self.errorCode(nobody) == "no_recipient")
    }
}
