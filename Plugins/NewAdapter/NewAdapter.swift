import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory new-adapter NAME --channel CHANNEL
/// [--declarative] [--target TARGET] [--test-target TARGET] [--force]`
///
/// Scaffolds a provider for CHANNEL (email, sms, push, or a channel of your own such as
/// `pager`) that works as generated, with a test that runs it against a loopback server:
/// - Swift (default): `Sources/TARGET/<Name>Provider.swift` (an `HTTPProvider` posting JSON,
///   with `register(in:)` for its provider kind), for a channel of your own also
///   `<Name>Adapter.swift` (a `ChannelAdapter` rendering every field), and
///   `Tests/TEST-TARGET/<Name>ProviderTests.swift`;
/// - `--declarative`: `Templates/providers/NAME.yaml` and `Tests/TEST-TARGET/<Name>ProviderFileTests.swift`.
@main
struct NewAdapter: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let channel = extractor.extractOption(named: "channel").last
        let declarative = extractor.extractFlag(named: "declarative") > 0
        let force = extractor.extractFlag(named: "force") > 0
        let targetName = extractor.extractOption(named: "target").last
        let testTargetName = extractor.extractOption(named: "test-target").last
        guard let name = extractor.remainingArguments.first, extractor.remainingArguments.count == 1 else {
            throw Failure("usage: swift package --allow-writing-to-package-directory new-adapter NAME --channel CHANNEL [--declarative] [--target T] [--test-target T] [--force]")
        }
        guard let channel else { throw Failure("--channel is required: email, sms, push, or a channel of your own (lower-case, e.g. pager)") }
        let scaffold = try Scaffold(name: name, channel: channel)

        let modules = context.package.targets.compactMap { $0 as? SwiftSourceModuleTarget }
        let tests = modules.filter { $0.kind == .test }
        guard let testTarget = testTargetName.map({ wanted in tests.first { $0.name == wanted } }) ?? tests.first else {
            throw Failure(testTargetName.map { "no test target named \($0)" } ?? "the package has no test target: add one (Tests/NAMETests) first")
        }
        let testFolder = testTarget.directoryURL
        var files: [(URL, String)] = []
        if declarative {
            let templates = context.package.directoryURL.appendingPathComponent("Templates/providers")
            let file = templates.appendingPathComponent("\(scaffold.kind).yaml")
            files.append((file, scaffold.providerFile))
            let relative = Self.relativePath(from: testFolder, to: file)
            files.append((testFolder.appendingPathComponent("\(scaffold.typeName)ProviderFileTests.swift"), scaffold.providerFileTest(relativePath: relative)))
        } else {
            let libraries = modules.filter { $0.kind == .generic }
            guard let target = targetName.map({ wanted in libraries.first { $0.name == wanted } }) ?? libraries.first else {
                throw Failure(targetName.map { "no library target named \($0)" } ?? "the package has no library target to put the provider in: add one, or use --declarative")
            }
            files.append((target.directoryURL.appendingPathComponent("\(scaffold.typeName)Provider.swift"), scaffold.swiftProvider))
            if !scaffold.isBuiltInChannel {
                files.append((target.directoryURL.appendingPathComponent("\(scaffold.typeName)Adapter.swift"), scaffold.swiftAdapter))
            }
            files.append((testFolder.appendingPathComponent("\(scaffold.typeName)ProviderTests.swift"), scaffold.swiftProviderTest(module: target.name)))
        }
        for (url, _) in files where FileManager.default.fileExists(atPath: url.path) && !force {
            throw Failure("\(url.path) exists; pass --force to replace it")
        }
        for (url, text) in files {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            print("created \(url.path)")
        }

        // What the test target must depend on for the generated test to build.
        let needed = ["ConnectorCore", "ConnectorStore", "ConnectorTesting", "CurlTransport", "Delivery"]
        var present: Set<String> = []
        for dependency in testTarget.dependencies {
            switch dependency {
            case .product(let product): present.insert(product.name)
            case .target(let target): present.insert(target.name)
            @unknown default: break
            }
        }
        let missing = needed.filter { !present.contains($0) }
        if !missing.isEmpty {
            Diagnostics.warning("\(testTarget.name) needs the products \(missing.joined(separator: ", ")) of campaign-connector for the generated test; add them to its dependencies in Package.swift")
        }
        if declarative {
            print("next: configure it with `providers: { \(scaffold.channel): [ { kind: \(scaffold.kind), settings: { api_key: \"${API_KEY}\" } } ] }` and run `swift test --filter \(scaffold.typeName)ProviderFileTests`")
        } else {
            let adapter = scaffold.isBuiltInChannel ? "" : "adapters: [\(scaffold.typeName)Adapter()], "
            print("next: register it in your connector executable: `var kinds = ProviderKinds(); \(scaffold.typeName)Provider.register(in: &kinds)` and "
                  + "`ConnectorCommandLine.main(extensions: ConnectorExtensions(\(adapter)providerKinds: kinds))`; run `swift test --filter \(scaffold.typeName)ProviderTests`")
        }
    }

    /// `to` relative to the folder `from` (both inside the package).
    static func relativePath(from folder: URL, to file: URL) -> String {
        let base = folder.standardizedFileURL.pathComponents, target = file.standardizedFileURL.pathComponents
        var common = 0
        while common < min(base.count, target.count), base[common] == target[common] { common += 1 }
        return (Array(repeating: "..", count: base.count - common) + target[common...]).joined(separator: "/")
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
