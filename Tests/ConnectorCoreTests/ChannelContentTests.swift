import ConnectorCore
import Foundation
import Testing

@Suite("Channel content in campaign files")
struct ChannelContentTests {
    private func campaign(_ channel: String, _ message: String) throws(CampaignDefinitionError) -> Campaign {
        try CampaignFileReader.campaign(from: "id: c\nchannels: [\(channel)]\nmessages:\n  \(channel):\n" + message, file: "c.yaml")
    }

    @Test("R21: an email carries sender, reply-to, subject, preheader, both bodies, headers and link aliases")
    func email() throws {
        let read = try campaign("email", """
                from: { name: "Shop {{ ${first_name} }}", address: shop@example.com }
                reply_to: help@example.com
                subject: "Hi {{ ${first_name} }}"
                preheader: Your cart
                html: "<p>Hi</p>"
                text: Hi
                headers: { X-Campaign: "{{ campaign.${name} }}", List-Id: shop }
                link_aliases: { "https://shop.example/cart": cart }
                track_links: false
            """)
        let expected = EmailContent(fromName: "Shop {{ ${first_name} }}", fromAddress: "shop@example.com", replyTo: "help@example.com",
                                    subject: "Hi {{ ${first_name} }}", preheader: "Your cart", html: "<p>Hi</p>", text: "Hi",
                                    headers: [Header("List-Id", "shop"), Header("X-Campaign", "{{ campaign.${name} }}")],
                                    linkAliases: ["https://shop.example/cart": "cart"], trackLinks: false)
        #expect(read.messages[.email] == .email(expected))
    }

    @Test("R21: a push carries buttons with their actions, story pages, data, badge, TTL, priority and platform overrides")
    func push() throws {
        let read = try campaign("push", """
                title: Sale
                body: "15% off, {{ ${first_name} }}"
                deep_link: "app://sale"
                buttons:
                  - { id: shop, text: Shop, deep_link: "app://shop" }
                  - { id: web, text: Web, url: "https://shop.example" }
                  - { id: later, text: Later, close: true }
                story_pages:
                  - { image: "https://img.example/1.png", title: One }
                data: { coupon: FIFTEEN }
                badge: 2
                ttl: 1d
                priority: normal
                apns: { interruption-level: time-sensitive }
                fcm: { android: { notification: { channel_id: sales } } }
            """)
        guard case .push(let push) = read.messages[.push] else { Issue.record("no push content"); return }
        #expect(push.buttons == [MessageButton(id: "shop", text: "Shop", action: .deepLink("app://shop")),
                                 MessageButton(id: "web", text: "Web", action: .url("https://shop.example")),
                                 MessageButton(id: "later", text: "Later", action: .close)])
        #expect(push.storyPages == [StoryPage(image: "https://img.example/1.png", title: "One")])
        #expect(push.data == ["coupon": "FIFTEEN"] && push.badge == 2 && push.timeToLive == 86_400 && push.priority == .normal)
        #expect(push.apns == ["interruption-level": .string("time-sensitive")])
        #expect(push.fcm["android"] == .object(["notification": .object(["channel_id": .string("sales")])]))
    }

    @Test("in-app messages and content cards carry their layout, buttons, dismissal, pinning and expiry")
    func inAppAndCards() throws {
        let message = try campaign("in_app_message", "    layout: slide_up\n    body: More features\n    buttons: [{ id: go, text: Go, deep_link: 'app://f' }]\n    dismiss_after: 8s\n    expires_after: 2d\n")
        #expect(message.messages[.inAppMessage] == .inAppMessage(InAppMessageContent(
            layout: .slideUp, body: "More features", buttons: [MessageButton(id: "go", text: "Go", action: .deepLink("app://f"))],
            dismissal: .automatic(seconds: 8), expiresAfter: 172_800)))
        let card = try campaign("content_card", "    kind: captioned_image\n    title: New\n    image: 'https://img.example/c.png'\n    pinned: true\n")
        #expect(card.messages[.contentCard] == .contentCard(ContentCardContent(kind: .captionedImage, title: "New", image: "https://img.example/c.png", pinned: true)))
        let hook = try campaign("webhook", "    method: put\n    url: 'https://hooks.example/{{ ${user_id} }}'\n    headers: { X-Key: abc }\n    body: '{}'\n")
        #expect(hook.messages[.webhook] == .webhook(WebhookContent(method: "PUT", url: "https://hooks.example/{{ ${user_id} }}", headers: [Header("X-Key", "abc")], body: "{}")))
    }

    @Test("content errors name the field path (down to a button) and, for templates, line:column", arguments: [
        ("push", "    body: x\n    buttons:\n      - { id: a, text: A, close: true }\n      - { id: b, text: '{% if %}', url: 'https://x' }\n",
         "c.yaml: messages.push.buttons[1].text: 1:"),
        ("push", "    body: x\n    buttons: [{id: a, text: A, close: true}, {id: b, text: B, close: true}, {id: c, text: C, close: true}, {id: d, text: D, close: true}]\n",
         "messages.push.buttons: at most 3 buttons, got 4"),
        ("push", "    body: x\n    buttons: [{ id: a, text: A, url: 'https://x', close: true }]\n", "needs exactly one action"),
        ("push", "    body: x\n    buttons: [{ id: a, text: A, close: true }, { id: a, text: B, close: true }]\n", "'a' is already the id of another button"),
        ("email", "    subject: Hi\n", "messages.email: an email needs an html or a text body"),
        ("email", "    subject: Hi\n    text: x\n    from: { name: A, adress: a@example.com }\n", "messages.email.from.adress: unknown field 'adress'; did you mean 'address'?"),
        ("email", "    subject: Hi\n    text: x\n    headers: { 'Bad Name': x }\n", "is not a header name"),
        ("in_app_message", "    layout: html\n    body: x\n", "the html layout needs an html field"),
        ("in_app_message", "    layout: sideways\n    body: x\n", "'sideways' is not a layout"),
        ("content_card", "    kind: banner\n    title: x\n", "a banner card needs an image"),
        ("webhook", "    method: TRACE\n    url: 'https://x'\n", "'TRACE' is not a webhook method"),
        ("sms", "    body: '{{ x'\n", "messages.sms.body: 1:1:"),
        ("slack", "    text: ok\n    attachments: [{ title: '{% if %}' }]\n", "messages.slack.attachments[0].title: 1:"),
        ("slack", "    text: ~\n", "messages.slack.text: has no value"),
    ])
    func errors(channel: String, message: String, expected: String) {
        do {
            _ = try campaign(channel, message)
            Issue.record("accepted: \(message)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test("a package's channel (slack) reads as template fields by path: nested mappings, lists, numbers and flags")
    func customChannel() throws {
        let read = try campaign("slack", """
                text: "Hi {{ ${first_name} }}"
                blocks: '[{"type": "section"}]'
                unfurl: false
                thread: { broadcast: true, depth: 2 }
                attachments: [{ title: A }, { title: "{{ campaign.${name} }}" }]
            """)
        guard case .custom(let content)? = read.messages[Channel("slack")] else {
            Issue.record("not custom content: \(String(describing: read.messages))")
            return
        }
        #expect(content.channel.rawValue == "slack" && !content.channel.isBuiltIn)
        #expect(content.fields.map(\.path) == ["attachments[0].title", "attachments[1].title", "blocks", "text", "thread.broadcast", "thread.depth", "unfurl"])
        #expect(content["text"] == "Hi {{ ${first_name} }}" && content["unfurl"] == "false" && content["thread.depth"] == "2")
        #expect(ChannelContent.custom(content).templates.map(\.path) == content.fields.map(\.path))
        // Kept as JSON (campaign versions) and read back the same.
        let json = try JSONEncoder().encode(ChannelContent.custom(content))
        #expect(try JSONDecoder().decode(ChannelContent.self, from: json) == .custom(content))
    }

    @Test("channel names: built-in ones are fixed values, others must be well formed", arguments: [
        ("Slack", false), ("slack", true), ("9lives", false), ("team_chat2", true), ("", false), ("a-b", false),
        (String(repeating: "a", count: 41), false), (String(repeating: "a", count: 40), true),
    ])
    func channelNames(name: String, valid: Bool) throws {
        #expect((Channel(rawValue: name) != nil) == valid)
        if !valid {
            #expect(throws: CampaignDefinitionError.self) {
                try CampaignFileReader.campaign(from: "id: c\nchannels: ['\(name)']\n", file: "c.yaml")
            }
        }
        #expect(Channel(rawValue: "email") == .email && Channel.builtIn.count == 6 && Channel.builtIn.allSatisfy(\.isBuiltIn))
    }

    @Test("R16: a user is reachable on a package's channel only with an address there and not unsubscribed")
    func customReachability() {
        let slack = Channel("slack")
        var user = User(id: UserID("u"))
        #expect(!user.isReachable(on: slack))
        #expect(user.isReachable(on: .webhook) && user.isReachable(on: .contentCard) && !user.isReachable(on: .email))
        user.addresses[slack] = "U024BE7LH"
        #expect(user.isReachable(on: slack))
        user.subscriptions[slack] = .unsubscribed
        #expect(!user.isReachable(on: slack))
    }
}
