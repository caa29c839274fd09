import ArgumentParser
import Foundation

/// Times given on the command line (`--now`, `--at`): ISO 8601, or the current time.
enum CommandLineTime {
    static func parse(_ text: String?, option: String) throws -> Date {
        guard let text else { return Date() }
        guard let date = try? Date.ISO8601FormatStyle().parse(text) else {
            throw ValidationError("\(option): '\(text)' is not an ISO 8601 time such as 2026-03-02T09:00:00Z")
        }
        return date
    }
}
