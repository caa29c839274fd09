import Foundation

/// A mistake in a configuration or provider file, found at load: where (file, line,
/// field path), what (a stable code), and how to fix it. Never carries a secret's value.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes, usable as metric labels.
    public enum Code: String, Sendable {
        /// The file is not valid YAML.
        case badYAML = "bad_yaml"
        /// A field the place does not take (a misspelling, say).
        case unknownField = "unknown_field"
        /// A required field is absent or empty.
        case missingField = "missing_field"
        /// A value of the wrong type, form or range.
        case badValue = "bad_value"
        /// A provider `kind` that no built-in kind, provider file or registered kind has.
        case unknownKind = "unknown_kind"
        /// A `${NAME}` whose environment variable is not set.
        case missingVariable = "missing_variable"
        /// A value that is not an http(s) URL with a host.
        case badURL = "bad_url"
        /// A Liquid template that does not parse.
        case badTemplate = "bad_template"
        /// A file or folder that cannot be read.
        case unreadable = "unreadable"
    }

    /// The path of the file it is in.
    public var file: String
    /// 1-based; nil when the mistake has no single line (a missing file).
    public var line: Int?
    /// The field path, such as `providers.email[1].url`.
    public var path: String
    /// What kind of mistake it is.
    public var code: Code
    /// What is wrong and how to fix it, for people.
    public var message: String

    /// An error at a place of a file.
    ///
    /// - Parameters:
    ///   - file: the path of the file.
    ///   - line: the 1-based line, or nil when there is no single one.
    ///   - path: the field path (`providers.email[1].url`); empty for the top level.
    ///   - code: what kind of mistake it is.
    ///   - message: what is wrong and how to fix it; never a secret's value.
    public init(file: String, line: Int?, path: String, code: Code, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.code = code
        self.message = message
    }

    /// `file:line: path: message`, with `(top level)` for an empty path.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(path.isEmpty ? "(top level)" : path): \(message)"
    }
}
