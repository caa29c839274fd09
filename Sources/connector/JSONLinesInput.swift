import ArgumentParser
import Foundation

/// The non-blank lines of a JSON Lines file (or standard input for nil or "-"), with
/// their line numbers for error messages.
enum JSONLinesInput {
    static func lines(of file: String?) throws -> [(number: Int, text: String)] {
        let input: FileHandle
        if let file, file != "-" {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
            input = handle
        } else {
            input = .standardInput
        }
        let text = String(decoding: input.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            line.allSatisfy(\.isWhitespace) ? nil : (index + 1, String(line))
        }
    }

    /// Reports a rejected line on standard error.
    static func reject(_ number: Int, _ error: any Error) {
        FileHandle.standardError.write(Data("line \(number): \(error)\n".utf8))
    }
}
