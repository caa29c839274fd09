import PeerSupport
import CurlTransport
import Foundation

/// Runs `body` with a fresh client and always shuts the client down afterwards.
func withClient<T>(
    _ configuration: CurlClient.Configuration = .init(),
    _ body: (CurlClient) async throws -> T
) async throws -> T {
    let client = CurlClient(configuration: configuration)
    do {
        let result = try await body(client)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}

/// What `http_peer.py /echo` answers.
struct Echo: Decodable {
    let method: String
    let path: String
    let headers: [[String]]
    let body_b64: String

    var body: [UInt8] { Array(Data(base64Encoded: body_b64) ?? Data()) }

    func values(_ name: String) -> [String] {
        headers.filter { $0.first?.lowercased() == name.lowercased() }.compactMap { $0.last }
    }
}

func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse) throws -> T {
    try JSONDecoder().decode(type, from: Data(response.body))
}

/// Expects `body` to throw a ``CurlTransportError`` and returns it.
func expectTransportError(_ body: () async throws -> Void) async -> CurlTransportError? {
    do {
        try await body()
        return nil
    } catch let error as CurlTransportError {
        return error
    } catch {
        return nil
    }
}

/// `count` bytes of a deterministic pattern (different from the peer's).
func patternBytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var x = UInt32(seed) | 1
    for i in 0..<count {
        x = x &* 1_664_525 &+ 1_013_904_223
        bytes[i] = UInt8(truncatingIfNeeded: x >> 24)
    }
    return bytes
}

/// What `http_peer.py /bytes?n=N` sends: bytes 0...255 repeated.
func peerPattern(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0) }
}

extension Peer {
    /// Waits (on a client of its own) until `count` requests are held at `/hold?key=key`:
    /// the readiness signal that they are in flight at the server.
    func waitForHeld(_ key: String, count: Int = 1) async throws {
        let response = try await withClient { try await $0.execute(HTTPRequest(url: url("/arrived?key=\(key)&n=\(count)"))) }
        guard response.status == 200 else { throw Peer.StartFailure(description: "\(count) request(s) never reached /hold?key=\(key): \(response.bodyText)") }
    }

    /// Lets the requests held at `/hold?key=key` answer.
    func release(_ key: String) async throws {
        _ = try await withClient { try await $0.execute(HTTPRequest(url: url("/release?key=\(key)"))) }
    }
}
