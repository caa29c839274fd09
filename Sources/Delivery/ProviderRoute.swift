import ConnectorCore
import Foundation

/// A configured provider with what the dispatcher keeps for it: whether it is a failover
/// target, its rate limit and its circuit breaker.
public struct ProviderRoute: Sendable {
    /// The provider that sends.
    public let provider: any Provider
    /// Whether a send that failed (retryably) on an earlier provider of the channel may
    /// be tried on this one right away. The first provider of a channel is always used.
    public let failover: Bool
    /// Its send rate, if limited: a send waits for a token.
    public let rateLimit: TokenBucket?
    /// Its circuit breaker: while it is open, the provider is skipped.
    public let breaker: CircuitBreaker

    /// A route to `provider`.
    ///
    /// - Parameters:
    ///   - provider: the provider that sends.
    ///   - failover: whether a send that failed retryably on an earlier provider of the channel
    ///     is tried on this one right away.
    ///   - rateLimit: its send rate; nil for no limit.
    ///   - breaker: its circuit breaker (by default, open after 5 failures for 30 s).
    public init(_ provider: any Provider, failover: Bool = false, rateLimit: TokenBucket? = nil, breaker: CircuitBreaker = CircuitBreaker()) {
        self.provider = provider
        self.failover = failover
        self.rateLimit = rateLimit
        self.breaker = breaker
    }
}

/// The providers of each channel, in order: the first is the primary.
public struct ProviderRoutes: Sendable {
    /// The routes of each channel, in order: the first is the primary.
    public var routes: [Channel: [ProviderRoute]]

    /// The routes of each channel; none by default (see ``sandbox``).
    ///
    /// - Parameters:
    ///   - routes: the routes of each channel, in order.
    public init(_ routes: [Channel: [ProviderRoute]] = [:]) { self.routes = routes }

    /// Everything to the sandbox (in-app messages and content cards to the feed).
    public static var sandbox: ProviderRoutes {
        var routes: [Channel: [ProviderRoute]] = [:]
        for channel in Channel.builtIn {
            let feed = channel == .inAppMessage || channel == .contentCard
            routes[channel] = [ProviderRoute(SandboxProvider(name: feed ? "feed" : "sandbox"))]
        }
        return ProviderRoutes(routes)
    }
}
