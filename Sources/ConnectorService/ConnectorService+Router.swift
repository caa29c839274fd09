import ConnectorCore
import Foundation
import Hummingbird
import JSONCore

extension ConnectorService {
    /// Every endpoint (`docs/API.md`): the `/v1` API behind keys, tracking links behind
    /// signatures, app-facing endpoints behind the SDK key, provider webhooks behind the
    /// providers' own signatures, and `/health`.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RefusalMetricsMiddleware(metrics: metrics))
        addOperationRoutes(to: router)
        addEventRoutes(to: router)
        addCompatibilityRoutes(to: router)
        addCampaignRoutes(to: router)
        addReadRoutes(to: router)
        addTrackingRoutes(to: router)
        addSDKRoutes(to: router)
        addWebhookRoutes(to: router)
        return router
    }

    /// The request body as text: at most the configured size (413), valid UTF-8 (400).
    func bodyText(_ request: Request) async throws -> String {
        let data = try await bodyData(request)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw APIError(.badUTF8, "the body is not valid UTF-8")
        }
        return text
    }

    /// The request body's bytes, at most the configured size (413); compressed bodies are
    /// refused (415) rather than misread.
    func bodyData(_ request: Request) async throws -> Data {
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw APIError(.unsupported, "Content-Encoding \(encoding) is not accepted: send the body uncompressed")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.limits.maxBody)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.tooLarge, "the body is larger than \(configuration.limits.maxBody) bytes (limits.max_body): send smaller batches")
        }
        return Data(buffer.readableBytesView)
    }

    /// The body parsed as JSON (the engine's reader, with its depth and size limits).
    func bodyJSON(_ request: Request) async throws -> AttributeValue {
        let text = try await bodyText(request)
        do {
            return try AttributeValue(json: text)
        } catch {
            throw APIError(.badJSON, "the body is not JSON: \(error)")
        }
    }

    /// A `?name=` query value.
    func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    /// `?limit=` within 1...1000 (default 100).
    func limit(_ request: Request) throws -> Int {
        guard let text = query(request, "limit") else { return 100 }
        guard let value = Int(text), (1...1000).contains(value) else {
            throw APIError(.invalid, "limit must be a whole number from 1 to 1000", field: "limit")
        }
        return value
    }
}

/// Counts refused requests by code (for `connector_requests_refused_total`).
struct RefusalMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            metrics.refused(error)
            throw error
        }
    }
}
