import ConnectorCore
import Delivery
import Foundation
import Testing

@Suite("Channel adapters: every channel rendered from a campaign file (R21)")
struct AdapterTests {
    static let file = """
        id: F
        name: Spring sale
        channels: [email, sms, push, webhook, in_app_message, content_card]
        messages:
          email:
            from: { name: "Shop", address: shop@example.com }
            subject: "{{ ${first_name} }}, 15% off"
            preheader: Only today
            html: |
              <html><body><p>Hi {{ ${first_name} | default: 'there' }}</p>
              <a href="https://shop.example/sale?u={{ ${user_id} }}&amp;x=1" data-alias="hero">Shop</a>
              <a href="https://shop.example/help">Help</a>
              <a href="mailto:help@example.com">Mail</a>
              </body></html>
            text: "Shop at https://shop.example/sale and https://shop.example/help."
            headers: { X-Campaign: "{{ campaign.${name} }}" }
            link_aliases: { "https://shop.example/help": help }
          sms:
            body: "{{ ${first_name} }}: 15% off at https://shop.example/s"
          push:
            title: "Hi {{ ${first_name} }}"
            body: "{% if custom_attribute.${plan} == 'pro' %}Pro price{% else %}15% off{% endif %}"
            deep_link: "app://sale/{{ campaign.${dispatch_id} }}"
            buttons: [{ id: shop, text: "Shop {{ ${first_name} }}", deep_link: "app://shop" }, { id: later, text: Later, close: true }]
            story_pages: [{ image: "https://img.example/1.png", title: "Page {{ 1 | plus: 1 }}" }]
            data: { coupon: "FIFTEEN-{{ ${user_id} | upcase }}" }
          webhook:
            url: "https://hooks.example/users/{{ ${user_id} | url_param_escape }}"
            headers: { X-Plan: "{{ custom_attribute.${plan} }}" }
            body: '{"user": {{ ${user_id} | as_json_string }}}'
          in_app_message:
            layout: slide_up
            body: "More features, {{ ${first_name} }}"
            expires_after: 1d
          content_card:
            title: "For {{ ${first_name} }}"
            image: "https://img.example/c.png"
            kind: captioned_image
            pinned: true
        trigger: { kind: push_opened, campaign: T }
        """

    let campaign: Campaign
    let user = User(id: "ada lovelace", attributes: ["first_name": .string("Ada"), "plan": .string("pro")],
                    addresses: [.email: "ada@example.com", .sms: "+15550100", .push: "tok-ada"])

    init() throws { campaign = try CampaignFileReader.campaign(from: Self.file, file: "F.yaml") }

    var dispatchID: String { dispatch(.email).id }

    func dispatch(_ channel: Channel) -> Dispatch {
        Dispatch(entry: WaitingEntry(followUp: "F", campaignVersion: 1, userID: user.id, triggerEventID: "e1", triggerTime: deliveryStart,
                                     dueAt: deliveryStart),
                 channel: channel, campaignVersion: 1, createdAt: deliveryStart)
    }

    func render(_ channel: Channel, tracking: Tracking? = testTracking) throws -> ChannelMessage {
        let dispatch = dispatch(channel)
        let address = user.addresses[channel] ?? user.id.rawValue
        let scope = RenderScope(input: RenderInput(dispatch: dispatch, user: user, campaign: campaign, address: address, now: deliveryStart),
                                tracking: tracking)
        let adapter = try #require(AdapterRegistry().adapter(for: channel))
        return try adapter.render(try #require(campaign.messages[channel]), in: scope)
    }

    @Test("email: fields rendered, every http(s) link a signed click URL with its alias, the pixel and unsubscribe URL added")
    func email() throws {
        guard case .email(let email) = try render(.email) else { Issue.record("not an email"); return }
        #expect(email.subject == "Ada, 15% off" && email.fromName == "Shop" && email.to == "ada@example.com")
        #expect(email.headers == [Header("X-Campaign", "Spring sale")])
        #expect(email.links.map(\.url) == ["https://shop.example/sale?u=ada lovelace&x=1", "https://shop.example/help",
                                           "https://shop.example/sale", "https://shop.example/help"])
        #expect(email.links.map(\.alias) == ["hero", "help", nil, "help"])
        let html = try #require(email.html)
        #expect(!html.contains("https://shop.example") && html.contains("mailto:help@example.com"))
        #expect(html.contains("Only today</div>"), "the preheader is hidden at the top of the body")
        // Every click URL verifies and stands for its link.
        let tokens = try #require(testTracking).tokens
        let clicks = html.components(separatedBy: "https://t.example.com/c/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(clicks.compactMap { tokens.verify($0) } == [TrackedLink(dispatchID: dispatchID, linkIndex: 0, alias: "hero", url: "https://shop.example/sale?u=ada lovelace&x=1"),
                                                            TrackedLink(dispatchID: dispatchID, linkIndex: 1, alias: "help", url: "https://shop.example/help")])
        #expect(html.contains("https://t.example.com/o/"), "open pixel")
        #expect(email.text?.contains("https://t.example.com/c/") == true && email.text?.contains("shop.example") == false)
        #expect(email.listUnsubscribe?.hasPrefix("https://t.example.com/u/") == true)
    }

    @Test("email without tracking keeps its links as written")
    func emailUntracked() throws {
        guard case .email(let email) = try render(.email, tracking: nil) else { Issue.record("not an email"); return }
        #expect(email.html?.contains("https://shop.example/sale?u=ada lovelace&amp;x=1") == true)
        #expect(email.listUnsubscribe == nil && email.links.count == 4)
    }

    @Test("SMS: links become signed short links; the segment count is reported")
    func sms() throws {
        guard case .sms(let sms) = try render(.sms) else { Issue.record("not SMS"); return }
        #expect(sms.body.hasPrefix("Ada: 15% off at https://t.example.com/s/") && sms.to == "+15550100")
        #expect(sms.links == [FoundLink(index: 0, url: "https://shop.example/s")])
        #expect(sms.segments.encoding == .gsm7 && sms.segments.segments == 1)
    }

    @Test("push: attributes, custom attributes, the dispatch id, buttons, story pages and data")
    func push() throws {
        guard case .push(let push) = try render(.push) else { Issue.record("not a push"); return }
        #expect(push.title == "Hi Ada" && push.body == "Pro price" && push.token == "tok-ada")
        #expect(push.deepLink?.hasPrefix("app://sale/d_") == true)
        #expect(push.buttons == [RenderedButton(id: "shop", text: "Shop Ada", action: .deepLink("app://shop")),
                                 RenderedButton(id: "later", text: "Later", action: .close)])
        #expect(push.storyPages.map(\.title) == ["Page 2"] && push.data == ["coupon": "FIFTEEN-ADA LOVELACE"])
    }

    @Test("webhook, in-app message and content card")
    func others() throws {
        guard case .webhook(let hook) = try render(.webhook) else { Issue.record("not a webhook"); return }
        #expect(hook.url == "https://hooks.example/users/ada%20lovelace" && hook.body == #"{"user": "ada lovelace"}"#)
        #expect(hook.headers == [Header("X-Plan", "pro")] && hook.method == "POST")
        guard case .inAppMessage(let message) = try render(.inAppMessage) else { Issue.record("not in-app"); return }
        #expect(message.body == "More features, Ada" && message.layout == .slideUp && message.expiresAt == deliveryStart.addingTimeInterval(86_400))
        guard case .contentCard(let card) = try render(.contentCard) else { Issue.record("not a card"); return }
        #expect(card.title == "For Ada" && card.kind == .captionedImage && card.pinned)
    }

    @Test("R21: abort_message skips the send with its reason; an empty required field fails with its path")
    func abortAndFailure() throws {
        let text = "id: F\nchannels: [push, webhook]\nmessages:\n  push: { body: \"{% if ${plan} == 'pro' %}{% abort_message('pro users pay full price') %}{% endif %}x\" }\n  webhook: { url: '{{ ${missing} }}' }\n"
        let campaign = try CampaignFileReader.campaign(from: text, file: "F.yaml")
        let dispatch = dispatch(.push)
        let scope = RenderScope(input: RenderInput(dispatch: dispatch, user: user, campaign: campaign, address: "tok", now: deliveryStart))
        #expect(throws: RenderError.aborted(reason: "pro users pay full price")) {
            try PushAdapter().render(try #require(campaign.messages[.push]), in: scope)
        }
        #expect(throws: RenderError.failed(field: "url", message: "rendered empty; the message needs it")) {
            try WebhookAdapter().render(try #require(campaign.messages[.webhook]), in: scope)
        }
    }
}
