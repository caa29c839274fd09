import ConnectorCore
import Delivery
import Foundation

/// Renders a campaign's `slack:` message: `text` (required: the notification text, and
/// the whole message when there are no blocks), `blocks` (a Liquid template that renders
/// to a JSON array of Block Kit blocks), `unfurl_links` (`true`/`false`).
///
/// ```yaml
/// channels: [slack]
/// messages:
///   slack:
///     text: "Your cart is waiting, {{ ${first_name} }}"
///     blocks: |
///       [{"type": "section", "text": {"type": "mrkdwn", "text": "*{{ ${first_name} | escape }}*, your cart is waiting"}}]
///     unfurl_links: false
/// ```
public struct SlackAdapter: ChannelAdapter {
    public let channel = Channel.slack

    /// The fields a `slack:` message may have.
    public static let fields: Set<String> = ["text", "blocks", "unfurl_links"]

    public init() {}

    /// Refuses unknown fields and a bad `unfurl_links` when the campaign is loaded or saved.
    public func check(_ content: ChannelContent) throws(RenderError) {
        guard case .custom(let slack) = content else { throw .failed(field: "", message: "not Slack content") }
        for field in slack.fields where !Self.fields.contains(field.path) {
            throw .failed(field: field.path, message: "not a Slack message field; use \(Self.fields.sorted().joined(separator: ", "))")
        }
        guard slack["text"] != nil else { throw .failed(field: "text", message: "a Slack message needs text (its notification text)") }
        if let unfurl = slack["unfurl_links"], unfurl != "true", unfurl != "false" {
            throw .failed(field: "unfurl_links", message: "use true or false")
        }
    }

    public func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
        try check(content)
        guard case .custom(let slack) = content else { throw .failed(field: "", message: "not Slack content") }
        var fields = ["text": try scope.required(slack["text"], field: "text")]
        if let blocks = try scope.optional(slack["blocks"], field: "blocks") {
            // Rendered blocks must be JSON: a broken template output fails this dispatch
            // with the field, rather than reaching Slack as invalid_blocks.
            guard let parsed = try? JSONSerialization.jsonObject(with: Data(blocks.utf8)), parsed is [Any] else {
                throw .failed(field: "blocks", message: "did not render to a JSON array of blocks")
            }
            fields["blocks"] = blocks
        }
        if let unfurl = slack["unfurl_links"] { fields["unfurl_links"] = unfurl }
        return .custom(CustomMessage(channel: .slack, recipient: scope.input.address, fields: fields))
    }
}
