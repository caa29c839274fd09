// swift-tools-version:6.1
import Foundation
import PackageDescription

// A package of its own that adds a Slack *channel* to Campaign Connector and builds a
// `slack-connector` executable: the `connector` tool with Slack next to the built-in
// channels. It depends on this repository by path; a package elsewhere would write
// `.package(url: "https://github.com/<owner>/campaign-connector.git", from: "...")` and
// `package: "campaign-connector"`.
//
// CONNECTOR_PACKAGE_PATH points a copy of this package elsewhere at the checkout
// (scripts/test-extensions.sh does). A path dependency's package identity is its
// folder's name (the checkout's):
let connectorPath = Context.environment["CONNECTOR_PACKAGE_PATH"] ?? "../.."
let connector = URL(fileURLWithPath: connectorPath, relativeTo: URL(fileURLWithPath: Context.packageDirectory + "/")).standardizedFileURL
let connectorPackage = connector.lastPathComponent.lowercased()

let package = Package(
    name: "SlackChannel",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SlackChannel", targets: ["SlackChannel"]),
        .executable(name: "slack-connector", targets: ["SlackConnector"]),
    ],
    dependencies: [
        .package(path: connectorPath),
    ],
    targets: [
        // The channel: its adapter (Block Kit from Liquid) and its provider (chat.postMessage).
        .target(
            name: "SlackChannel",
            dependencies: [
                .product(name: "ConnectorCore", package: connectorPackage),
                .product(name: "Delivery", package: connectorPackage),
                .product(name: "CurlTransport", package: connectorPackage),
                .product(name: "ConnectorCommandLine", package: connectorPackage),
            ]
        ),
        // `slack-connector`: every `connector` command, with Slack registered.
        .executableTarget(
            name: "SlackConnector",
            dependencies: ["SlackChannel", .product(name: "ConnectorCommandLine", package: connectorPackage)]
        ),
        .testTarget(
            name: "SlackChannelTests",
            dependencies: [
                "SlackChannel",
                .product(name: "ConnectorCore", package: connectorPackage),
                .product(name: "ConnectorStore", package: connectorPackage),
                .product(name: "Delivery", package: connectorPackage),
                .product(name: "CurlTransport", package: connectorPackage),
                .product(name: "ConnectorService", package: connectorPackage),
                .product(name: "ConnectorTesting", package: connectorPackage),
                .product(name: "ConnectorCommandLine", package: connectorPackage),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
