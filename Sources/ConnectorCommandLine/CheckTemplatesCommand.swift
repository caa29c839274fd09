import ArgumentParser
import ConnectorCore
import Delivery
import Foundation
import Liquid

/// `connector check-templates [FOLDER...] [--campaign FILE...]`: every declarative provider
/// file (`*.yaml`) and Liquid template (`*.liquid`) under the folders, and every campaign
/// file given, parsed as the service would at load. Problems are printed one a line as
/// `file:line:column: error: message` (the form editors and CI annotate), and the exit
/// status is 1 if there was any. The `check-templates` package plugin runs it.
struct CheckTemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-templates",
        abstract: "Check provider files, Liquid templates and campaign files; print file:line:column: error: message."
    )

    @Argument(help: "Folders to check (provider files *.yaml, templates *.liquid); default: Templates.")
    var folders: [String] = []

    @Option(name: .customLong("campaign"), help: "A campaign file to check (repeatable), or a folder of them.")
    var campaigns: [String] = []

    func run() async throws {
        var problems: [String] = []
        var checked = 0
        for folder in folders.isEmpty ? ["Templates"] : folders {
            guard let walker = FileManager.default.enumerator(at: URL(fileURLWithPath: folder), includingPropertiesForKeys: nil) else {
                problems.append("\(folder):1:1: error: not a folder")
                continue
            }
            for case let url as URL in walker {
                switch url.pathExtension {
                case "yaml", "yml":
                    checked += 1
                    do {
                        _ = try DeclarativeProviderFile(contentsOf: url)
                    } catch {
                        problems.append("\(error.file):\(error.line ?? 1):1: error: \(error.path.isEmpty ? "" : error.path + ": ")\(error.message)")
                    }
                case "liquid":
                    checked += 1
                    guard let source = try? String(contentsOf: url, encoding: .utf8) else {
                        problems.append("\(url.path):1:1: error: not readable as UTF-8")
                        continue
                    }
                    do {
                        _ = try Template(source, dialect: .braze, name: url.lastPathComponent)
                    } catch {
                        problems.append("\(url.path):\(error.line ?? 1):\(error.column ?? 1): error: \(error.kind): \(error.message)")
                    }
                default:
                    continue
                }
            }
        }
        for path in campaigns {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                problems.append("\(path):1:1: error: no such file")
                continue
            }
            if isFolder.boolValue {
                let (definitions, errors) = CampaignFileReader.campaigns(inFolder: URL(fileURLWithPath: path))
                checked += definitions.count + errors.count
                // Campaign errors name the field and, where the reader found it, its line.
                problems += errors.map { "\(URL(fileURLWithPath: path).appendingPathComponent($0.file).path):\($0.line ?? 1):\($0.column ?? 1): error: \($0.path.isEmpty ? "" : $0.path + ": ")\($0.message)" }
            } else {
                checked += 1
                do {
                    _ = try CampaignFileReader.campaign(from: try String(contentsOfFile: path, encoding: .utf8), file: path)
                } catch let error as CampaignDefinitionError {
                    problems.append("\(path):\(error.line ?? 1):\(error.column ?? 1): error: \(error.path.isEmpty ? "" : error.path + ": ")\(error.message)")
                }
            }
        }
        for problem in problems { print(problem) }
        print("\(checked) file\(checked == 1 ? "" : "s") checked, \(problems.count) problem\(problems.count == 1 ? "" : "s")")
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
