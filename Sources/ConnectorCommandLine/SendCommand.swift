import ArgumentParser
import CurlTransport
import Foundation

/// `connector send URL`: one HTTP request through the transport, for checking a
/// provider endpoint or a webhook receiver by hand.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send one HTTP request through the transport and print the response."
    )

    @Argument(help: "The http:// or https:// URL.")
    var url: String

    @Option(name: [.customShort("X"), .long], help: "The method.")
    var method = "GET"

    @Option(name: [.customShort("H"), .long], help: "A header, 'Name: value' (repeatable).")
    var header: [String] = []

    @Option(name: [.short, .long], help: "The body, or @FILE to read it from a file.")
    var data: String?

    @Option(help: "A PEM file of trusted root certificates.")
    var caBundle: String?

    @Flag(help: "Use HTTP/2 without TLS negotiation (h2c prior knowledge).")
    var http2PriorKnowledge = false

    @Option(help: "Total timeout in seconds.")
    var timeout: Double = 30

    func run() async throws {
        var headers = HTTPHeaders()
        for line in header {
            guard let colon = line.firstIndex(of: ":") else {
                throw ValidationError("header '\(line)' must look like 'Name: value'")
            }
            headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body: [UInt8]?
        if let data {
            if data.hasPrefix("@") {
                let path = String(data.dropFirst())
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("cannot read the body file '\(path)'")
                }
                body = Array(contents)
            } else {
                body = Array(data.utf8)
            }
        }
        let client = CurlClient()
        defer { Task { await client.shutdown() } }
        let request = HTTPRequest(
            method: HTTPMethod(rawValue: method.uppercased()), url: url, headers: headers, body: body,
            timeouts: Timeouts(total: .milliseconds(Int(timeout * 1000))),
            httpVersion: http2PriorKnowledge ? .http2PriorKnowledge : .http2,
            tls: caBundle.map { TLSConfiguration(caBundlePath: $0) }
        )
        do {
            let response = try await client.execute(request)
            print("\(response.version) \(response.status)")
            for field in response.headers { print("\(field.name): \(field.value)") }
            print("")
            print(response.bodyText)
            let t = response.timing
            FileHandle.standardError.write(Data("connect \(t.connect), tls \(t.tlsHandshake), first byte \(t.firstByte), total \(t.total)\n".utf8))
            await client.shutdown()
        } catch {
            await client.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\nretryable: \(error.isRetryable)\n".utf8))
            throw ExitCode(1)
        }
    }
}
