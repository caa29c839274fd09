import Foundation
import PackagePlugin

/// `swift package check-templates [CAMPAIGN FILES OR FOLDERS...]`: checks every
/// declarative provider file and Liquid template under the package's `Templates/`, and the
/// campaign files given, with `connector check-templates`; each problem is reported as an
/// error at its file and line, and the command fails if there is any.
@main
struct CheckTemplates: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let connector = try context.tool(named: "connector")
        let templates = context.package.directoryURL.appendingPathComponent("Templates")
        let process = Process()
        process.executableURL = connector.url
        process.arguments = ["check-templates", templates.path] + arguments.flatMap { ["--campaign", $0] }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        for line in text.split(separator: "\n") {
            // file:line:column: error: message
            let parts = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
            if parts.count == 5, let number = Int(parts[1]), parts[3].trimmingCharacters(in: .whitespaces) == "error" {
                Diagnostics.error(parts[4].trimmingCharacters(in: .whitespaces), file: String(parts[0]), line: number)
            } else {
                print(line)
            }
        }
        if process.terminationStatus != 0 {
            throw CheckFailed()
        }
    }

    struct CheckFailed: Error, CustomStringConvertible {
        var description: String { "check-templates found problems" }
    }
}
