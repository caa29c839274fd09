import CurlTransport
import Foundation

/// The scripted HTTP sink (Tests/Peers/sink_peer.py): records requests, answers as told.
public final class Sink: Sendable {
    public struct Recorded: Decodable, Sendable {
        public let method: String
        public let path: String
        public let query: String
        public let headers: [[String]]
        public let body_b64: String
        public let time: Double

        public var body: Data { Data(base64Encoded: body_b64) ?? Data() }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers.first { $0.first?.lowercased() == name.lowercased() }?.last }
        public var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    }

    public let peer: Peer
    public let client = CurlClient()

    private init(peer: Peer) { self.peer = peer }

    public static func start() async throws -> Sink { Sink(peer: try await Peer.start("sink_peer.py", needs: "(standard library only)")) }

    public func url(_ path: String) -> String { peer.url(path) }

    /// Answers the next requests to `path` with `responses` (JSON objects), then `fallback`.
    public func script(_ path: String, _ responses: [[String: Any]], fallback: [String: Any]? = nil) async throws {
        var spec: [String: Any] = ["path": path, "responses": responses]
        if let fallback { spec["default"] = fallback }
        var request = HTTPRequest(method: .post, url: peer.url("/_control/script"))
        request.body = Array(try JSONSerialization.data(withJSONObject: spec))
        let response = try await client.execute(request)
        guard response.status == 200 else { throw Peer.StartFailure(description: "the sink refused the script: HTTP \(response.status)") }
    }

    public func requests(_ path: String) async throws -> [Recorded] {
        let response = try await client.execute(HTTPRequest(method: .get, url: peer.url("/_control/requests?path=\(path)")))
        return try JSONDecoder().decode([Recorded].self, from: Data(response.body))
    }

    /// Returns once `count` requests have reached `path` (the readiness signal).
    public func arrived(_ path: String, count: Int = 1) async throws {
        let response = try await client.execute(HTTPRequest(method: .get, url: peer.url("/_control/arrived?path=\(path)&n=\(count)"),
                                                             timeouts: Timeouts(connect: .seconds(5), total: .seconds(70))))
        guard response.status == 200 else { throw Peer.StartFailure(description: "\(count) request(s) never reached \(path)") }
    }

    public func release(_ key: String) async throws {
        _ = try await client.execute(HTTPRequest(method: .get, url: peer.url("/_control/release?key=\(key)")))
    }

    deinit {
        peer.stop()
    }
}
