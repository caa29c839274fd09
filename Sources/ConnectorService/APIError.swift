import ConnectorCore
import Foundation
import Hummingbird

/// A refused request: an HTTP status, a stable code (a metric label), text that says
/// what is wrong and how to fix it, and the field (or batch item) at fault. Answered as
/// `{"error": {"code": ..., "message": ..., "field": ...}}`; never carries a secret.
public struct APIError: Error, Sendable, Equatable, HTTPResponseError, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable {
        case unauthorized
        case forbidden
        case notFound = "not_found"
        case badJSON = "bad_json"
        case badUTF8 = "bad_utf8"
        case invalid
        case tooLarge = "too_large"
        case conflict
        case unsupported
        case unavailable
    }

    public var code: Code
    public var message: String
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// No key, or not a key of this service: nothing more is said.
    public static let unauthorized = APIError(.unauthorized, "a valid API key is required (Authorization: Bearer KEY)")
    public static func notFound(_ what: String) -> APIError { APIError(.notFound, what) }

    public var status: HTTPResponse.Status {
        switch code {
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .badJSON, .badUTF8, .invalid: .badRequest
        case .tooLarge: .contentTooLarge
        case .conflict: .conflict
        case .unsupported: .unsupportedMediaType
        case .unavailable: .serviceUnavailable
        }
    }

    public var description: String { "\(code.rawValue): \(field.map { "\($0): " } ?? "")\(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: jsonBody)))
    }

    var jsonBody: Data {
        struct Body: Encodable {
            struct Detail: Encodable {
                var code: String
                var message: String
                var field: String?
            }
            var error: Detail
        }
        return (try? JSONEncoder.api.encode(Body(error: .init(code: code.rawValue, message: message, field: field)))) ?? Data()
    }
}

extension JSONEncoder {
    /// The API's JSON: RFC 3339 times, sorted keys (stable output). Field names are
    /// written as the API spells them (snake_case), never converted: a conversion would
    /// also rename the keys of users' attributes.
    static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// A JSON response of a value built as a JSON tree (keys sorted).
func json(tree value: AttributeValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
}

/// An RFC 3339 time as a JSON value.
func jsonTime(_ date: Date?) -> AttributeValue {
    guard let date else { return .null }
    return .string(date.formatted(.iso8601))
}

/// A JSON response of an `Encodable` value.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONEncoder.api.encode(value)
    return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}
