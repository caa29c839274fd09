/// How a request authenticates to the server.
///
/// Descriptions never contain the secret parts, so an authentication value can be
/// logged or printed in an error safely.
public enum HTTPAuthentication: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// HTTP Basic (`Authorization: Basic base64(user:password)`).
    case basic(username: String, password: String)
    /// A bearer token (`Authorization: Bearer TOKEN`).
    case bearer(String)
    /// AWS Signature Version 4, computed by libcurl (`CURLOPT_AWS_SIGV4`).
    case awsSigV4(AWSSigV4Credentials)

    public var description: String {
        switch self {
        case .basic(let username, _): return "basic(username: \(username), password: <redacted>)"
        case .bearer: return "bearer(<redacted>)"
        case .awsSigV4(let credentials): return "awsSigV4(\(credentials))"
        }
    }

    public var debugDescription: String { description }
}

/// The key, scope and service for an AWS Signature Version 4 request.
public struct AWSSigV4Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key id (not secret; it names the key).
    public var accessKeyID: String
    /// The secret access key.
    public var secretAccessKey: String
    /// A session token for temporary credentials, sent as `x-amz-security-token`.
    public var sessionToken: String?
    /// The region, for example `us-east-1`.
    public var region: String
    /// The service's signing name, for example `ses` or `sns`.
    public var service: String

    /// Creates SigV4 credentials for one service in one region.
    public init(
        accessKeyID: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        region: String,
        service: String
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// The value of `CURLOPT_AWS_SIGV4`: `aws:amz:REGION:SERVICE`.
    var curlProviderString: String { "aws:amz:\(region):\(service)" }

    public var description: String {
        "AWSSigV4Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>, region: \(region), service: \(service))"
    }

    public var debugDescription: String { description }
}
