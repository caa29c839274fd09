import ArgumentParser
import Foundation

import ConnectorCore

/// Times given on the command line (`--now`, `--at`): RFC 3339 within the supported
/// range (``SupportedTime``), or the current time.
enum CommandLineTime {
    static func parse(_ text: String?, option: String) throws -> Date {
        guard let text else { return Date() }
        do {
            return try SupportedTime.parse(text)
        } catch {
            throw ValidationError("\(option): \(error)")
        }
    }
}
