import ArgumentParser
import Foundation
import Liquid

/// `liquid`: render Liquid templates from the command line.
@main
struct LiquidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liquid",
        abstract: "Render Liquid templates (with Braze's extensions).",
        discussion: """
            liquid render TEMPLATE --data DATA.json [--strict] [--braze]
            liquid --jsonl   (one JSON request per line on stdin, one response per line on stdout)
            """,
        subcommands: [RenderCommand.self]
    )

    @Flag(help: "Serve JSON Lines requests on stdin: {\"id\", \"template\", \"data\", \"mode\", \"dialect\", \"templates\"}.")
    var jsonl = false

    func run() throws {
        guard jsonl else {
            print(LiquidCommand.helpMessage())
            return
        }
        let renderer = JSONLRenderer()
        while let line = readLine(strippingNewline: true) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            FileHandle.standardOutput.write(Data((renderer.respond(to: line) + "\n").utf8))
        }
    }
}

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Render one template file.")

    @Argument(help: "The template file.")
    var template: String

    @Option(help: "A JSON file with the data (for --braze: {\"user\", \"event_properties\", \"campaign\"}).")
    var data: String?

    @Flag(help: "Undefined variables are errors.")
    var strict = false

    @Flag(help: "Parse with Braze's extensions ({{${first_name}}}, abort_message, ...).")
    var braze = false

    func run() throws {
        guard let source = try? String(contentsOfFile: template, encoding: .utf8) else {
            throw ValidationError("cannot read the template file '\(template)'")
        }
        var values = LiquidValue.object(LiquidObject())
        if let data {
            guard let text = try? String(contentsOfFile: data, encoding: .utf8) else {
                throw ValidationError("cannot read the data file '\(data)'")
            }
            do { values = try LiquidValue(json: text) } catch {
                throw ValidationError("\(data): \(error)")
            }
        }
        let folder = URL(fileURLWithPath: template).deletingLastPathComponent()
        let options = RenderOptions(strictVariables: strict, partials: { name in
            // Partials are looked up beside the template, as NAME.liquid.
            guard !name.contains("..") else { return nil }
            return try? String(contentsOf: folder.appendingPathComponent(name + ".liquid"), encoding: .utf8)
        })
        do {
            let parsed = try Template(source, dialect: braze ? .braze : .liquid, name: template)
            switch try parsed.render(values, options: options) {
            case .output(let text):
                FileHandle.standardOutput.write(Data(text.utf8))
            case .aborted(let reason):
                FileHandle.standardError.write(Data("aborted: \(reason ?? "(no reason)")\n".utf8))
                throw ExitCode(3)
            }
        } catch let error as LiquidError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
