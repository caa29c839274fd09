import ArgumentParser
import ConnectorCore
import CurlTransport
import Foundation

/// The CLI's side of the service's HTTP API (`replay`, `sandbox`), through the libcurl
/// client: the base URL, the API key (`--api-key` or `CONNECTOR_API_KEY`), JSON both ways.
struct ServiceClient {
    let baseURL: String
    let apiKey: String
    let client = CurlClient()

    init(url: String, apiKey: String?) throws {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else { throw ValidationError("--url is the service's http(s) address") }
        guard let key = apiKey ?? ProcessInfo.processInfo.environment["CONNECTOR_API_KEY"], !key.isEmpty else {
            throw ValidationError("give the API key with --api-key or CONNECTOR_API_KEY")
        }
        baseURL = base
        self.apiKey = key
    }

    /// A request and its JSON answer; a 4xx/5xx answer's error message is thrown unless
    /// `accepting` lists its status.
    func call(_ method: HTTPMethod, _ path: String, body: String? = nil, accepting: Set<Int> = []) async throws -> (status: Int, json: AttributeValue) {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(apiKey)"]
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        let response = try await client.execute(HTTPRequest(method: method, url: baseURL + path, headers: headers,
                                                            body: body.map { Array($0.utf8) }, httpVersion: .http1_1))
        let value = (try? AttributeValue(json: response.bodyText)) ?? .null
        if !response.isSuccess, !accepting.contains(response.status) {
            var text = response.bodyText
            if case .object(let fields) = value, case .object(let error)? = fields["error"], case .string(let message)? = error["message"] {
                text = message
                if case .string(let field)? = error["field"] { text = "\(field): \(message)" }
            }
            throw ValidationError("\(method.rawValue) \(path): HTTP \(response.status): \(text)")
        }
        return (response.status, value)
    }

    func shutdown() async { await client.shutdown() }
}

/// The options of the commands that talk to a running service: its URL and an API key.
struct ServiceConnection: ParsableArguments {
    @Option(help: "The service's base URL.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "An API key with the scope the command needs (ingest, admin, read); default: CONNECTOR_API_KEY.")
    var apiKey: String?

    func client() throws -> ServiceClient { try ServiceClient(url: url, apiKey: apiKey) }
}
