import Crypto
import Foundation

/// Braze's own filters (docs/LIQUID.md lists each with Braze's documented examples):
/// URL escapes, hashes and HMACs, `number_with_delimiter`, `money`, `property_accessor`,
/// `time_zone`, `json_escape`, `json_parse` and `as_json_string`.
enum BrazeFilters {
    static let all: [String: Filter] = {
        var filters: [String: Filter] = [
            /// Escapes what may not appear in a URL; keeps RFC 2396's reserved characters
            /// (`/?:@&=+$,;[]`) and unreserved ones, as Ruby's `URI.escape` and Shopify do.
            "url_escape": { value, arguments throws(LiquidError) in
                try arguments.expect(0...0)
                if case .nil = value { return .nil }
                return .string(percentEncode(value.text, keeping: uriKept))
            },
            /// Escapes everything but `A-Z a-z 0-9 - _ . ~` (so `&`, `+`, `@`, `/` and `=`
            /// too, spaces as `%20`): safe as one query parameter's value.
            "url_param_escape": { value, arguments throws(LiquidError) in
                try arguments.expect(0...0)
                if case .nil = value { return .nil }
                return .string(percentEncode(value.text, keeping: unreserved))
            },
            /// Escapes for the inside of a JSON string literal (`"`, `\`, control characters).
            "json_escape": { value, arguments throws(LiquidError) in
                try arguments.expect(0...0)
                return .string(String(LiquidValue.jsonQuoted(value.text).dropFirst().dropLast()))
            },
            /// Reads JSON text into a value (object, array, ...); text that is not JSON is an error.
            "json_parse": { value, arguments throws(LiquidError) in
                try arguments.expect(0...0)
                do {
                    return try LiquidValue(json: value.text)
                } catch {
                    throw LiquidError(.filterArgument, "the text is not JSON: \(error)")
                }
            },
            /// The value as JSON text.
            "as_json_string": { value, arguments throws(LiquidError) in
                try arguments.expect(0...0)
                return .string(value.jsonText)
            },
            /// `hash | property_accessor: key`: the hash's value at a key computed at render time.
            "property_accessor": { value, arguments throws(LiquidError) in
                try arguments.expect(1...1)
                guard case .object(let object) = value else { return .nil }
                return object[arguments.positional[0].text] ?? .nil
            },
            /// `123456.5 | number_with_delimiter` is `123,456.5`: thousands separated in the
            /// integer part (`delimiter:` and `separator:` keywords change the two marks).
            "number_with_delimiter": { value, arguments throws(LiquidError) in
                try arguments.expect(0...0)
                let delimiter = arguments.keywords["delimiter"]?.text ?? ","
                let separator = arguments.keywords["separator"]?.text ?? "."
                return .string(delimited(value, delimiter: delimiter, separator: separator))
            },
            /// Two decimal places, no currency symbol and no division by 100 (Braze's
            /// `money` differs from Shopify's there): `145 | money` is `145.00`.
            "money": { value, arguments throws(LiquidError) in
                try arguments.expect(0...0)
                switch value.numberForMath {
                case .int(let number): return .string("\(number).00")
                case .bigInteger(let number): return .string("\(number).00")
                case .double(let number):
                    guard number.isFinite else { return .string(LiquidValue.format(number)) }
                    return .string(String(format: "%.2f", number))
                default: return .string("0.00")
                }
            },
            /// `time | time_zone: 'America/Los_Angeles'`: the same instant as that zone's
            /// clock shows it (`2021-08-04 02:00:00 -0700`), for `date` to format. The
            /// zone is an IANA name, `UTC`, an offset (`+05:30`, `-0700`) or whole hours (`-5`).
            "time_zone": { value, arguments throws(LiquidError) in
                try arguments.expect(1...1)
                guard let zone = timeZone(arguments.positional[0]) else {
                    throw LiquidError(.filterArgument, "unknown time zone \(arguments.positional[0].inspected): use an IANA name such as 'America/New_York', 'UTC' or an offset such as '-05:00'")
                }
                guard let (instant, _) = DateFilter.parse(value, state: arguments.state),
                      abs(instant.timeIntervalSince1970) <= DateFilter.latestSeconds else { return value }
                return .string(DateFilter.strftime("%Y-%m-%d %H:%M:%S %z", instant, zone))
            },
        ]
        // Hashes as lower-case hex (Braze: `sha2` is SHA-256).
        filters["md5"] = digest { Data(Insecure.MD5.hash(data: $0)) }
        filters["sha1"] = digest { Data(Insecure.SHA1.hash(data: $0)) }
        filters["sha2"] = digest { Data(SHA256.hash(data: $0)) }
        filters["sha256"] = filters["sha2"]
        filters["sha512"] = digest { Data(SHA512.hash(data: $0)) }
        // HMACs: the value is the message, the argument the key; `_hex` or `_base64` says
        // how the signature is written (no suffix: hex, as `hmac_sha1` was named before).
        for (name, function) in [("hmac_sha1", hmac(.sha1)), ("hmac_sha256", hmac(.sha256)), ("hmac_sha512", hmac(.sha512))] {
            filters[name] = signature(function, base64: false)
            filters[name + "_hex"] = signature(function, base64: false)
            filters[name + "_base64"] = signature(function, base64: true)
        }
        return filters
    }()

    /// `A-Z a-z 0-9 - _ . ~`.
    static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))
    /// Unreserved plus RFC 2396's marks and reserved characters: what `url_escape` keeps.
    static let uriKept: Set<UInt8> = unreserved.union(Array("!*'();/?:@&=+$,[]".utf8))

    /// `text` with every UTF-8 byte outside `kept` written as `%XX` (upper-case hex), and
    /// spaces as `+` with `spaceAsPlus` (form encoding).
    static func percentEncode(_ text: String, keeping kept: Set<UInt8>, spaceAsPlus: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if kept.contains(byte) {
                out.append(byte)
            } else if spaceAsPlus, byte == UInt8(ascii: " ") {
                out.append(UInt8(ascii: "+"))
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A filter that hashes the value's UTF-8 text and writes the digest as hex.
    private static func digest(_ hash: @escaping @Sendable (Data) -> Data) -> Filter {
        { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            return .string(hexadecimal(hash(Data(value.text.utf8))))
        }
    }

    private enum HMACHash: Sendable { case sha1, sha256, sha512 }

    /// An HMAC function over (key, message).
    private static func hmac(_ hash: HMACHash) -> @Sendable (Data, Data) -> Data {
        { key, message in
            let key = SymmetricKey(data: key)
            switch hash {
            case .sha1: return Data(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
            case .sha256: return Data(HMAC<SHA256>.authenticationCode(for: message, using: key))
            case .sha512: return Data(HMAC<SHA512>.authenticationCode(for: message, using: key))
            }
        }
    }

    private static func signature(_ function: @escaping @Sendable (Data, Data) -> Data, base64: Bool) -> Filter {
        { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            let code = function(Data(arguments.positional[0].text.utf8), Data(value.text.utf8))
            return .string(base64 ? code.base64EncodedString() : hexadecimal(code))
        }
    }

    static func hexadecimal(_ data: Data) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(data.count * 2)
        for byte in data {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Rails' `number_with_delimiter`: the integer part's digits grouped by three; a
    /// value that is not a number passes through as text.
    static func delimited(_ value: LiquidValue, delimiter: String, separator: String) -> String {
        let text: String
        switch value {
        case .int, .bigInteger, .double: text = value.renderedString
        case .string(let raw):
            let trimmed = raw.trimmingSpaces()
            guard case .int = value.numberForMath, Int(trimmed) != nil else {
                if case .double = value.numberForMath { text = trimmed; break }
                if case .bigInteger = value.numberForMath { text = trimmed; break }
                return raw
            }
            text = trimmed
        default: return value.renderedString
        }
        // Scientific notation (1.0e+20) has no integer part to group.
        guard !text.contains("e") else { return text }
        var integer = Substring(text)
        var sign = ""
        if integer.first == "-" || integer.first == "+" { sign = String(integer.removeFirst()) }
        var fraction: Substring?
        if let dot = integer.firstIndex(of: ".") {
            fraction = integer[integer.index(after: dot)...]
            integer = integer[..<dot]
        }
        var groups: [Substring] = []
        var end = integer.endIndex
        while end > integer.startIndex {
            let start = integer.index(end, offsetBy: -3, limitedBy: integer.startIndex) ?? integer.startIndex
            groups.append(integer[start..<end])
            end = start
        }
        return sign + groups.reversed().joined(separator: delimiter) + (fraction.map { separator + $0 } ?? "")
    }

    /// A time zone from an IANA name, `UTC`/`Z`, `±hh:mm`/`±hhmm`/`±hh`, or whole hours as a number.
    static func timeZone(_ value: LiquidValue) -> TimeZone? {
        switch value {
        case .int(let hours):
            guard abs(hours) <= 18 else { return nil }
            return TimeZone(secondsFromGMT: hours * 3600)
        case .string(let raw):
            let name = raw.trimmingSpaces()
            if name == "UTC" || name == "Z" || name == "GMT" { return TimeZone(identifier: "UTC") }
            let bytes = Array(name.utf8)
            if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
                let digits = bytes.dropFirst().filter { $0 != UInt8(ascii: ":") }
                guard [2, 4].contains(digits.count), digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
                let number = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
                let (hours, minutes) = digits.count == 2 ? (number, 0) : (number / 100, number % 100)
                guard hours <= 18, minutes < 60 else { return nil }
                let seconds = (hours * 3600 + minutes * 60) * (first == UInt8(ascii: "-") ? -1 : 1)
                return TimeZone(secondsFromGMT: seconds)
            }
            // Only names shaped like IANA ones reach Foundation.
            guard !name.isEmpty, name.utf8.count <= 64,
                  name.utf8.allSatisfy({ unreserved.contains($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "+") }) else { return nil }
            return TimeZone(identifier: name)
        default:
            return nil
        }
    }
}
