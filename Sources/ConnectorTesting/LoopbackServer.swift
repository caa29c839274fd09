import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A real HTTP server on 127.0.0.1 for testing a provider: it records every request and
/// answers as scripted, so a test checks the request field by field and every
/// classification of the answer through the real libcurl client.
///
/// ```swift
/// try await LoopbackServer.with { server in
///     server.script(.json(#"{"ok": false, "error": "ratelimited"}"#, status: 429, headers: ["Retry-After": "30"]))
///     let provider = SlackProvider(name: "slack", token: "xoxb-test", baseURL: server.baseURL)
///     // ... send through a Dispatcher or `provider.send(_:context:)`
///     #expect(server.requests.first?.header("Authorization") == "Bearer xoxb-test")
/// }
/// ```
///
/// It listens on a free port picked by the system and is stopped (its port closed) when
/// ``with(answering:_:)`` returns or throws.
public final class LoopbackServer: Sendable {
    /// A request as the server received it.
    public struct Request: Sendable {
        public var method: String
        /// The path with its query, as sent (`/api/chat.postMessage?x=1`).
        public var path: String
        /// Header fields in order, names as sent.
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        /// The first value of the header `name` (any case).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// The body as UTF-8 text.
        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as a JSON object, if it is one.
        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    /// An answer the server gives.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String

        public init(status: Int = 200, headers: [String: String] = [:], body: String = "") {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// A JSON answer.
        public static func json(_ body: String, status: Int = 200, headers: [String: String] = [:]) -> Answer {
            var headers = headers
            headers["Content-Type"] = "application/json"
            return Answer(status: status, headers: headers, body: body)
        }
    }

    let recorder: Recorder
    /// The port it listens on.
    public let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// `http://127.0.0.1:PORT`: the base URL to point a provider at.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(recorder: Recorder, port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.recorder = recorder
        self.group = group
        self.port = port
        self.task = task
    }

    /// Starts a server, runs `body` with it, and stops it whatever `body` does.
    /// - Parameter fallback: the answer once the script is used up (200 with an empty body).
    public static func with<Result: Sendable>(answering fallback: Answer = Answer(),
                                              _ body: (LoopbackServer) async throws -> Result) async throws -> Result {
        let server = try await start(answering: fallback)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Starts a server and returns once it accepts connections. Call ``stop()`` when done
    /// (``with(answering:_:)`` does).
    public static func start(answering fallback: Answer = Answer()) async throws -> LoopbackServer {
        let recorder = Recorder(fallback: fallback)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "loopback-server")
        logger.logLevel = .warning
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in try await recorder.answer(request) },
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "loopback"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            _ = await task.result
            throw StartError(reason: "it stopped before it listened (\(String(describing: await task.result)))")
        }
        return LoopbackServer(recorder: recorder, port: port, group: group, task: task)
    }

    /// Stops the server and waits until it has closed its port.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    /// Answers the next requests with `answers`, in order, then with the fallback.
    public func script(_ answers: Answer...) {
        recorder.state.withLock { $0.script.append(contentsOf: answers) }
    }

    /// The requests received so far, in order.
    public var requests: [Request] { recorder.state.withLock { $0.requests } }

    /// Why a server did not start.
    public struct StartError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "the loopback server did not start: \(reason)" }
    }
}

/// What the server received and what it answers next, shared by the server and its
/// responder.
final class Recorder: Sendable {
    struct State {
        var requests: [LoopbackServer.Request] = []
        var script: [LoopbackServer.Answer] = []
        var fallback: LoopbackServer.Answer
    }

    let state: Mutex<State>

    init(fallback: LoopbackServer.Answer) { state = Mutex(State(fallback: fallback)) }

    /// Records `request` (its whole body) and gives the next scripted answer.
    func answer(_ request: Hummingbird.Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 << 20)
        let recorded = LoopbackServer.Request(
            method: request.method.rawValue, path: request.uri.description,
            headers: request.headers.map { (name: $0.name.rawName, value: $0.value) },
            body: Array(buffer: body))
        let answer = state.withLock { state -> LoopbackServer.Answer in
            state.requests.append(recorded)
            return state.script.isEmpty ? state.fallback : state.script.removeFirst()
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { headers[name] = value }
        }
        return Response(status: .init(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
    }
}
