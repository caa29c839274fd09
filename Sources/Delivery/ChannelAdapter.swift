import ConnectorCore
import Foundation

/// Renders a campaign's content on one channel into a message for one user.
///
/// The built-in adapters cover the six channels (``StandardAdapters``); an adapter of
/// your own replaces one by registering for its channel in ``AdapterRegistry``.
///
/// ```swift
/// struct ShoutingSMS: ChannelAdapter {
///     let channel = Channel.sms
///     func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
///         guard case .sms(let sms) = content else { throw .failed(field: "", message: "not SMS content") }
///         let body = try scope.required(sms.body, field: "body").uppercased()
///         return .sms(SMSMessage(from: nil, to: scope.input.address, body: body))
///     }
/// }
/// ```
public protocol ChannelAdapter: Sendable {
    /// The channel it renders for.
    var channel: Channel { get }
    /// Renders `content` for the dispatch and user of `scope`. Throw
    /// ``RenderError/aborted(reason:)`` (what `abort_message` does) to skip the send.
    func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage
}

/// The adapters in use, by channel.
public struct AdapterRegistry: Sendable {
    private var adapters: [Channel: any ChannelAdapter]

    /// The built-in adapters of every channel.
    public init() {
        adapters = [:]
        for adapter in StandardAdapters.all { adapters[adapter.channel] = adapter }
    }

    /// Uses `adapter` for its channel instead of the one registered before.
    public mutating func register(_ adapter: any ChannelAdapter) {
        adapters[adapter.channel] = adapter
    }

    /// The adapter of `channel`.
    public func adapter(for channel: Channel) -> (any ChannelAdapter)? { adapters[channel] }
}
