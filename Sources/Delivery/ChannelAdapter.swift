import ConnectorCore
import Foundation

/// Renders a campaign's content on one channel into a message for one user.
///
/// The built-in adapters cover the six built-in channels (``StandardAdapters``); an
/// adapter of your own adds a channel (`Channel("slack")`, with `ChannelContent.custom`
/// content and a ``ChannelMessage/custom(_:)`` message) or replaces a built-in adapter, by
/// registering for its channel in ``AdapterRegistry``.
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
    /// Checks `content` when a campaign is loaded or saved, so a campaign the adapter
    /// cannot render is refused then, not at send time: unknown or missing fields of a
    /// package channel's `CustomContent`, values out of range. Throw
    /// ``RenderError/failed(field:message:)`` with the field's path. The default accepts
    /// everything (templates are parsed anyway).
    func check(_ content: ChannelContent) throws(RenderError)
}

extension ChannelAdapter {
    /// Accepts everything.
    public func check(_ content: ChannelContent) throws(RenderError) {}
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

    /// The channels it has an adapter for, sorted by name.
    public var channels: [Channel] { adapters.keys.sorted() }
}
