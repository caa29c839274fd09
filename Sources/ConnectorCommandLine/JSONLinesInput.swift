import ArgumentParser
import Foundation
import JSONCore

/// The non-blank lines of a JSON Lines file (or standard input for nil or "-"), with
/// their line numbers for error messages. Lines end with LF or CRLF; a UTF-8 byte order
/// mark at the start is skipped; a line that is not UTF-8 is an error of that line alone.
enum JSONLinesInput {
    struct Line {
        let number: Int
        let bytes: ArraySlice<UInt8>

        /// The line's text; an error naming the byte where it stops being UTF-8.
        func text() throws -> String {
            do {
                return try UTF8Text.decode(bytes)
            } catch {
                throw ValidationError("invalid UTF-8 at byte \(error.offset + 1) of the line (the line was skipped; the file must be UTF-8)")
            }
        }
    }

    static func lines(of file: String?) throws -> [Line] {
        let input: FileHandle
        if let file, file != "-" {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
            input = handle
        } else {
            input = .standardInput
        }
        var data = [UInt8](input.readDataToEndOfFile())
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        return data.split(separator: 10, omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            let content = line.last == 13 ? line.dropLast() : line
            return content.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } ? nil : Line(number: index + 1, bytes: content)
        }
    }

    /// Reports a rejected line on standard error.
    static func reject(_ number: Int, _ error: any Error) {
        FileHandle.standardError.write(Data("line \(number): \(error)\n".utf8))
    }
}
