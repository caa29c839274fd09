import Foundation
import Yams

/// A value of a YAML configuration file with its file, line and field path, for errors
/// that say where; `${NAME}` in a text value is replaced by the environment variable.
public struct ConfigNode {
    let node: Node?
    /// The field path (`providers.email[0].url`).
    public let path: String
    /// The path of the file it was read from, for errors.
    public let file: String
    let environment: [String: String]
    /// The nearest line known (the parent's when this field is missing).
    let fallbackLine: Int?

    /// The root of `text`, read from `file` (for errors).
    public static func parse(_ text: String, file: String, environment: [String: String]) throws(ConfigurationError) -> ConfigNode {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            var line: Int?
            var problem = "syntax error"
            if let yaml = error as? YamlError {
                switch yaml {
                case .scanner(_, let text, let mark, _), .parser(_, let text, let mark, _):
                    line = mark.line
                    problem = text
                default: break
                }
            }
            throw ConfigurationError(file: file, line: line, path: "", code: .badYAML, message: "not valid YAML: \(problem)")
        }
        return ConfigNode(node: node, path: "", file: file, environment: environment, fallbackLine: 1)
    }

    /// The root of the file at `file` (an unreadable file is an error naming it).
    public static func load(contentsOf file: URL, environment: [String: String]) throws(ConfigurationError) -> ConfigNode {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: file.path, line: nil, path: "", code: .unreadable, message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: file.path, environment: environment)
    }

    /// The line of this value (or of its parent when it is missing).
    public var line: Int? { node?.mark?.line ?? fallbackLine }

    /// Whether the field is absent or null (`~`, `null`, or nothing after the colon).
    public var isMissing: Bool {
        guard let node else { return true }
        if case .scalar(let scalar) = node, scalar.tag.description == Tag.Name.null.rawValue || (scalar.style == .plain && ["", "~", "null"].contains(scalar.string)) {
            return true
        }
        return false
    }

    /// An error at this field (its file, line and path), for a check of its value to throw.
    ///
    /// - Parameters:
    ///   - code: what kind of mistake it is.
    ///   - message: what is wrong and how to fix it; never the value of a secret.
    public func fail(_ code: ConfigurationError.Code, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: line, path: path, code: code, message: message)
    }

    /// The field `key` of this mapping, with its path; a missing node (see ``isMissing``) when
    /// there is none.
    ///
    /// - Parameters:
    ///   - key: the field's name.
    public func child(_ key: String) -> ConfigNode {
        let value = node?.mapping?[Node(key)]
        return ConfigNode(node: value, path: path.isEmpty ? key : "\(path).\(key)", file: file, environment: environment, fallbackLine: line)
    }

    /// The keys of a mapping, in file order.
    public func keys() throws(ConfigurationError) -> [String] {
        guard let mapping = node?.mapping else { throw fail(isMissing ? .missingField : .badValue, isMissing ? "is required" : "expected a mapping of fields") }
        return mapping.keys.compactMap(\.string)
    }

    /// The items of a list, each with its index in the path (`providers.email[0]`); a missing
    /// field or any other value is an error.
    public func list() throws(ConfigurationError) -> [ConfigNode] {
        guard let sequence = node?.sequence else { throw fail(isMissing ? .missingField : .badValue, isMissing ? "is required" : "expected a list") }
        return sequence.enumerated().map {
            ConfigNode(node: $0.element, path: "\(path)[\($0.offset)]", file: file, environment: environment, fallbackLine: line)
        }
    }

    /// Refuses fields other than `known`.
    public func allowOnly(_ known: [String]) throws(ConfigurationError) {
        guard let mapping = node?.mapping else { return }
        for key in mapping.keys {
            let name = key.string ?? "?"
            guard !known.contains(name) else { continue }
            let place = ConfigNode(node: key, path: path.isEmpty ? name : "\(path).\(name)", file: file, environment: environment, fallbackLine: line)
            throw place.fail(.unknownField, "unknown field '\(name)'. Known here: \(known.joined(separator: ", "))")
        }
    }

    /// The text as written, without `${...}` replaced (templates, names).
    public func rawString() throws(ConfigurationError) -> String {
        guard let scalar = node?.scalar, !isMissing else {
            throw fail(isMissing ? .missingField : .badValue, isMissing ? "is required" : "expected text")
        }
        return scalar.string
    }

    /// The text with every `${NAME}` replaced by the environment variable `NAME`; a
    /// variable that is not set is an error naming it (never its value).
    public func string() throws(ConfigurationError) -> String {
        let raw = try rawString()
        guard raw.contains("${") else { return raw }
        var result = ""
        var rest = Substring(raw)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw fail(.badValue, "'${' without its closing '}'")
            }
            let name = String(rest[start.upperBound..<end])
            guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) else {
                throw fail(.badValue, "'${\(name)}' is not a variable reference: use ${NAME} with letters, digits and _")
            }
            guard let value = environment[name] else {
                throw fail(.missingVariable, "the environment variable \(name) is not set")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// The text as ``string()`` reads it, or nil when the field is missing.
    public func optionalString() throws(ConfigurationError) -> String? { isMissing ? nil : try string() }

    /// `true`, `yes` or `on`, or `false`, `no` or `off` (any case; `${NAME}` replaced);
    /// anything else is an error.
    public func bool() throws(ConfigurationError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(.badValue, "expected true or false")
        }
    }

    /// A whole number (`${NAME}` replaced) within `range`.
    ///
    /// - Parameters:
    ///   - range: the values allowed; another number is an error naming the range.
    public func int(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(try string()) else { throw fail(.badValue, "expected a whole number") }
        guard range.contains(value) else { throw fail(.badValue, "\(value) is out of range: use \(range.lowerBound) to \(range.upperBound)") }
        return value
    }

    /// A duration such as `500ms`, `30s`, `5m`, `2h`, `1d`, or a number of seconds.
    public func duration() throws(ConfigurationError) -> TimeInterval {
        let text = try string().trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let amount = Double(text.dropLast(suffix.count)), amount >= 0, amount.isFinite { return amount * scale }
        }
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        throw fail(.badValue, "'\(text)' is not a duration: use 500ms, 30s, 5m, 2h or 1d")
    }

    /// An http(s) URL with a host.
    public func url() throws(ConfigurationError) -> String {
        let text = try string()
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              ["http", "https"].contains(scheme), components.host?.isEmpty == false else {
            // The value may hold a secret (a token in a webhook URL): not repeated.
            throw fail(.badURL, "expected an http:// or https:// URL with a host")
        }
        return text
    }
}
