import Foundation

/// What a campaign sends on a channel a package adds (``Channel/isBuiltIn`` false): the
/// fields of its `messages:` entry, each a Liquid template, by field path.
///
/// A campaign file's
/// ```yaml
/// messages:
///   slack:
///     text: "Hi {{ ${first_name} }}"
///     blocks: '[{"type": "section", "text": {"type": "mrkdwn", "text": "..."}}]'
///     unfurl: false
/// ```
/// reads as the fields `blocks`, `text` and `unfurl` (nested mappings as `a.b`, lists as
/// `a[0]`, numbers and true/false as their text). The channel's ``ChannelAdapter`` decides
/// what the fields mean; like every template they are parsed when the campaign is read.
public struct CustomContent: Codable, Sendable, Equatable {
    /// One template of the content.
    public struct Field: Codable, Sendable, Equatable {
        /// Its path in the `messages:` entry: `text`, `thread.reply_broadcast`, `attachments[0].title`.
        public var path: String
        /// The Liquid template.
        public var template: String

        public init(path: String, template: String) {
            self.path = path
            self.template = template
        }
    }

    public var channel: Channel
    /// The fields, ordered by path.
    public var fields: [Field]

    public init(channel: Channel, fields: [Field]) {
        self.channel = channel
        self.fields = fields.sorted { $0.path < $1.path }
    }

    /// The template of the field at `path`, if the campaign gives one.
    public subscript(path: String) -> String? { fields.first { $0.path == path }?.template }
}
