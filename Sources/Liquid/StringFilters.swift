import Foundation

/// Filters on text. The value on the left is taken as text (nil is "").
enum StringFilters {
    static let all: [String: Filter] = [
        "append": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            return .string(value.text + arguments.positional[0].text)
        },
        "prepend": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            return .string(arguments.positional[0].text + value.text)
        },
        "capitalize": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            let text = value.text
            guard let first = text.unicodeScalars.first else { return .string("") }
            return .string(String(first).uppercased() + String(text.unicodeScalars.dropFirst()).lowercased())
        },
        "downcase": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(value.text.lowercased())
        },
        "upcase": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(value.text.uppercased())
        },
        "escape": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            if case .nil = value { return .nil }
            return .string(escapeHTML(value.text))
        },
        "escape_once": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(escapeHTML(unescapeHTML(value.text)))
        },
        "lstrip": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(String(value.text.drop { $0.isWhitespace }))
        },
        "rstrip": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            var text = Substring(value.text)
            while let last = text.last, last.isWhitespace { text = text.dropLast() }
            return .string(String(text))
        },
        "strip": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(value.text.trimmingSpaces())
        },
        "strip_newlines": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(value.text.filter { $0 != "\n" && $0 != "\r" && $0 != "\r\n" })
        },
        "newline_to_br": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            var out = ""
            for character in value.text {
                if character == "\n" || character == "\r\n" { out += "<br />\n" } else { out.append(character) }
            }
            return .string(out)
        },
        "strip_html": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(stripHTML(value.text))
        },
        "remove": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            return .string(value.text.replacingOccurrences(of: arguments.positional[0].text, with: ""))
        },
        "remove_first": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            return .string(replaceFirst(value.text, arguments.positional[0].text, ""))
        },
        "remove_last": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            return .string(replaceLast(value.text, arguments.positional[0].text, ""))
        },
        "replace": { value, arguments throws(LiquidError) in
            try arguments.expect(1...2)
            let target = arguments.positional[0].text, replacement = arguments[1]?.text ?? ""
            let text = value.text
            if target.isEmpty {
                // Ruby inserts the replacement between every character and at both ends.
                try arguments.state.checkValueSize(text.utf8.count + (text.count + 1) * replacement.utf8.count, "'replace'")
                return .string(replacement + text.map { String($0) + replacement }.joined())
            }
            if replacement.utf8.count > target.utf8.count {
                // The most it can grow; counted exactly only when that is too much.
                let most = text.utf8.count / target.utf8.count * (replacement.utf8.count - target.utf8.count) + text.utf8.count
                if most > arguments.state.options.limits.maxValueBytes {
                    let occurrences = text.components(separatedBy: target).count - 1
                    try arguments.state.checkValueSize(text.utf8.count + occurrences * (replacement.utf8.count - target.utf8.count), "'replace'")
                }
            }
            return .string(text.replacingOccurrences(of: target, with: replacement))
        },
        "replace_first": { value, arguments throws(LiquidError) in
            try arguments.expect(1...2)
            return .string(replaceFirst(value.text, arguments.positional[0].text, arguments[1]?.text ?? ""))
        },
        "replace_last": { value, arguments throws(LiquidError) in
            try arguments.expect(2...2)
            return .string(replaceLast(value.text, arguments.positional[0].text, arguments.positional[1].text))
        },
        "truncate": { value, arguments throws(LiquidError) in
            try arguments.expect(0...2)
            // Lengths count Unicode scalars, as Ruby counts characters.
            let text = value.text
            let length = try integerArgument(arguments[0], default: 50)
            let ellipsis = arguments[1]?.text ?? "..."
            if text.utf8.count <= length { return .string(text) }  // never more scalars than bytes
            guard text.unicodeScalars.count > length else { return .string(text) }
            let keep = max(0, length - ellipsis.unicodeScalars.count)
            let end = text.unicodeScalars.index(text.startIndex, offsetBy: keep)
            return .string(String(text[..<end]) + ellipsis)
        },
        "truncatewords": { value, arguments throws(LiquidError) in
            try arguments.expect(0...2)
            let text = value.text
            let count = max(1, try integerArgument(arguments[0], default: 15))
            let ellipsis = arguments[1]?.text ?? "..."
            let words = text.split(whereSeparator: { $0.isWhitespace })
            guard words.count > count else { return .string(text) }
            return .string(words.prefix(count).joined(separator: " ") + ellipsis)
        },
        "split": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            let text = value.text
            let separator = arguments.positional[0].text
            var parts: [String]
            if separator.isEmpty {
                parts = text.unicodeScalars.map { String($0) }  // Ruby's characters are code points
            } else if separator == " " {
                parts = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            } else {
                parts = text.components(separatedBy: separator)
                while parts.last == "" { parts.removeLast() }
            }
            try arguments.state.countMadeItems(parts.count, "'split'")
            return .array(parts.map { .string($0) })
        },
        "slice": { value, arguments throws(LiquidError) in
            try arguments.expect(1...2)
            let start = try integerArgument(arguments[0], default: 0)
            let length = arguments[1] == .nil ? 1 : try integerArgument(arguments[1], default: 1)
            if value.isSequence {
                let items = try arguments.items(value)
                guard let range = sliceRange(count: items.count, start: start, length: length) else { return .array([]) }
                return .array(Array(items[range]))
            }
            // Ruby's characters are code points: slice Unicode scalars, not grapheme clusters.
            let scalars = Array(value.text.unicodeScalars)
            guard let range = sliceRange(count: scalars.count, start: start, length: length) else { return .string("") }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars[range])
            return .string(String(text))
        },
        "url_encode": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            if case .nil = value { return .nil }
            return .string(formEncode(value.text))
        },
        "url_decode": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            if case .nil = value { return .nil }
            let spaced = value.text.replacingOccurrences(of: "+", with: " ")
            return .string(spaced.removingPercentEncoding ?? spaced)
        },
        "base64_encode": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(Data(value.text.utf8).base64EncodedString())
        },
        "base64_decode": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return try base64Decode(value.text)
        },
        "base64_url_safe_encode": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(Data(value.text.utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        },
        "base64_url_safe_decode": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return try base64Decode(value.text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/"))
        },
    ]

    static func integerArgument(_ value: LiquidValue?, default fallback: Int) throws(LiquidError) -> Int {
        switch value {
        case nil: return fallback
        case .int(let number)?: return CheckedNumbers.clampedArgument(number)
        case .bigInteger(let number)?: return CheckedNumbers.clampedArgument(number)
        case .string(let text)?:
            guard let number = Int(text.trimmingSpaces()) else { throw LiquidError(.filterArgument, "expected an integer, got '\(text)'") }
            return CheckedNumbers.clampedArgument(number)
        case let other?: throw LiquidError(.filterArgument, "expected an integer, got \(other.inspected)")
        }
    }

    /// Ruby's `slice(start, length)`: nothing when the start is outside the value (a
    /// negative start counts from the end). Arguments come clamped, so nothing overflows.
    static func sliceRange(count: Int, start: Int, length: Int) -> Range<Int>? {
        let from = start < 0 ? count + start : start
        guard length > 0, from >= 0, from < count else { return nil }
        return from..<min(count, from + length)
    }

    static func escapeHTML(_ text: String) -> String {
        let special: (UInt8) -> Bool = { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }
        guard text.utf8.contains(where: special) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case 38: out.append(contentsOf: "&amp;".utf8)
            case 60: out.append(contentsOf: "&lt;".utf8)
            case 62: out.append(contentsOf: "&gt;".utf8)
            case 34: out.append(contentsOf: "&quot;".utf8)
            case 39: out.append(contentsOf: "&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unescapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Removes `<script>`/`<style>` elements, comments and tags, on bytes.
    static func stripHTML(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "<")) else { return text }
        func matches(_ word: [UInt8], at index: Int) -> Bool {
            guard index + word.count <= bytes.count else { return false }
            for (offset, letter) in word.enumerated() {
                var byte = bytes[index + offset]
                if byte >= 65 && byte <= 90 { byte += 32 }
                if byte != letter { return false }
            }
            return true
        }
        // The last search for each word: where it started and what it found. A search from
        // a later start up to that find has the same answer, so no byte is scanned twice
        // for one word (a run of '<' with no '>' stays linear).
        var searches: [[UInt8]: (from: Int, found: Int?)] = [:]
        func find(_ word: [UInt8], from index: Int) -> Int? {
            if let last = searches[word], index >= last.from, index <= (last.found ?? Int.max) { return last.found }
            var position = index
            var found: Int?
            while position < bytes.count {
                if matches(word, at: position) { found = position; break }
                position += 1
            }
            searches[word] = (index, found)
            return found
        }
        let blocks: [([UInt8], [UInt8])] = [
            (Array("<script".utf8), Array("</script>".utf8)), (Array("<style".utf8), Array("</style>".utf8)),
            (Array("<!--".utf8), Array("-->".utf8)),
        ]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        outer: while index < bytes.count {
            if bytes[index] == UInt8(ascii: "<") {
                for (open, close) in blocks where matches(open, at: index) {
                    if let end = find(close, from: index + open.count) {
                        index = end + close.count
                        continue outer
                    }
                }
                if let end = find([UInt8(ascii: ">")], from: index) {
                    index = end + 1
                    continue
                }
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func replaceFirst(_ text: String, _ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return replacement + text }
        guard let range = text.range(of: target) else { return text }
        return text.replacingCharacters(in: range, with: replacement)
    }

    static func replaceLast(_ text: String, _ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return text + replacement }
        guard let range = text.range(of: target, options: .backwards) else { return text }
        return text.replacingCharacters(in: range, with: replacement)
    }

    /// `application/x-www-form-urlencoded` as Ruby's CGI.escape writes it.
    static func formEncode(_ text: String) -> String {
        BrazeFilters.percentEncode(text, keeping: formKept, spaceAsPlus: true)
    }

    /// What `url_encode` (Ruby's `CGI.escape`) leaves alone: unreserved characters and `*`.
    static let formKept: Set<UInt8> = BrazeFilters.unreserved.union([UInt8(ascii: "*")])

    static func base64Decode(_ text: String) throws(LiquidError) -> LiquidValue {
        var padded = text
        while padded.count % 4 != 0 { padded += "=" }
        guard let data = Data(base64Encoded: padded), let decoded = String(data: data, encoding: .utf8) else {
            throw LiquidError(.filterArgument, "invalid base64 input")
        }
        return .string(decoded)
    }
}
