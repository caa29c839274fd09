/// Transport Layer Security settings for outgoing connections.
///
/// Verification is on by default: the peer's certificate must chain to a trusted
/// root and name the host. Turn it off only for tests against self-signed peers, and
/// prefer ``caBundlePath`` for those.
public struct TLSConfiguration: Sendable, Equatable {
    /// Whether the peer's certificate chain and host name are verified. Default `true`.
    public var verifyPeer: Bool
    /// A PEM file of trusted root certificates to use instead of the system's.
    public var caBundlePath: String?
    /// A PEM client certificate (chain), for mutual TLS.
    public var clientCertificatePath: String?
    /// The PEM private key of ``clientCertificatePath``.
    public var clientKeyPath: String?
    /// The pass phrase of ``clientKeyPath``, if it is encrypted. Never logged.
    public var clientKeyPassword: String?

    /// Creates a TLS configuration; the defaults verify against the system's roots.
    public init(
        verifyPeer: Bool = true,
        caBundlePath: String? = nil,
        clientCertificatePath: String? = nil,
        clientKeyPath: String? = nil,
        clientKeyPassword: String? = nil
    ) {
        self.verifyPeer = verifyPeer
        self.caBundlePath = caBundlePath
        self.clientCertificatePath = clientCertificatePath
        self.clientKeyPath = clientKeyPath
        self.clientKeyPassword = clientKeyPassword
    }

    /// Verify peers against the system's trusted roots, no client certificate.
    public static let `default` = TLSConfiguration()
}
