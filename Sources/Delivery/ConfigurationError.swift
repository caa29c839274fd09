import Foundation

/// A mistake in a configuration or provider file, found at load: where (file, line,
/// field path), what (a stable code), and how to fix it. Never carries a secret's value.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes, usable as metric labels.
    public enum Code: String, Sendable {
        case badYAML = "bad_yaml"
        case unknownField = "unknown_field"
        case missingField = "missing_field"
        case badValue = "bad_value"
        case unknownKind = "unknown_kind"
        case missingVariable = "missing_variable"
        case badURL = "bad_url"
        case badTemplate = "bad_template"
        case unreadable = "unreadable"
    }

    public var file: String
    /// 1-based; nil when the mistake has no single line (a missing file).
    public var line: Int?
    /// The field path, such as `providers.email[1].url`.
    public var path: String
    public var code: Code
    public var message: String

    public init(file: String, line: Int?, path: String, code: Code, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(path.isEmpty ? "(top level)" : path): \(message)"
    }
}
