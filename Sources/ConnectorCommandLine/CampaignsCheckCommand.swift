import ArgumentParser
import ConnectorCore
import Foundation

/// `connector check-campaigns DIR`: reads a folder of campaign files and reports every
/// error and warning a publish would (for a campaigns-as-code pipeline: exit status 1 on
/// any error).
struct CampaignsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-campaigns",
        abstract: "Check a folder of campaign files (YAML/JSON): field errors, unknown targets, loops, publish order."
    )

    @Argument(help: "The folder of campaign files.")
    var folder: String

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("no folder at \(url.path)")
        }
        let (campaigns, fileErrors) = CampaignFileReader.campaigns(inFolder: url)
        let issues = CampaignValidator.validate(campaigns)
            + CampaignValidator.publishWarningsForActive(among: campaigns)
        for error in fileErrors { print("error: \(error)") }
        for issue in issues { print(issue) }
        let errors = fileErrors.count + issues.filter { $0.severity == .error }.count
        let warnings = issues.count - issues.filter { $0.severity == .error }.count
        print("\(campaigns.count) campaigns read: \(errors) error(s), \(warnings) warning(s)")
        if errors > 0 { throw ExitCode(1) }
    }
}
