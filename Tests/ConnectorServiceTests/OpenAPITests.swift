import CurlTransport
import Foundation
import PeerSupport
import Testing
import Yams

/// docs/openapi.yaml against the running service: every operation it lists is routed
/// (answered by the service's own handlers, never by the router's bare 404), so the file
/// cannot describe an endpoint that does not exist.
@Suite("OpenAPI description matches the service's routes")
struct OpenAPITests {
    @Test("every path and method in docs/openapi.yaml reaches a handler")
    func everyOperationIsRouted() async throws {
        let text = try String(contentsOf: Peer.repositoryRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(paths.count >= 28, "\(paths.count) paths")
        let service = try await ServiceUnderTest(campaigns: [:])
        var checked = 0
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            let operations = (item as? [String: Any] ?? [:]).keys.filter { ["get", "post", "put", "delete"].contains($0) }
            #expect(!operations.isEmpty, "\(path) has no operation")
            let concrete = path.replacingOccurrences(of: "{action}", with: "publish").replacingOccurrences(of: "{name}", with: "none")
                .replacingOccurrences(of: "{token}", with: "not-a-token").replacingOccurrences(of: "{id}", with: "nobody")
            for operation in operations.sorted() {
                let method = HTTPMethod(rawValue: operation.uppercased())
                // No key and an empty object: each handler answers with its own refusal.
                let answer = try await service.call(method, concrete, method == .get || method == .delete ? nil : "{}", key: nil)
                let routed = answer.status != 404 || answer.bodyText.contains("\"error\"")
                #expect(routed, "\(operation.uppercased()) \(path) is not routed (\(answer.status), \(answer.bodyText.prefix(80)))")
                checked += 1
            }
        }
        #expect(checked >= 33)
        #expect(await service.stop() == .exited(0))
    }
}
