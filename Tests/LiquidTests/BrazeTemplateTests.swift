import Foundation
import Liquid
import Testing

/// Templates as Braze's documentation and Braze users write them, rendered through the
/// library and through `liquid --jsonl` alike (issue 11).
@Suite("Realistic Braze templates")
struct BrazeTemplateTests {
    /// (name, template, data, expected output or "ABORTED: reason")
    static let cases: [(String, String, String, String)] = [
        ("personalised discount, a spender", """
            {% if {{custom_attribute.${total_spend}}} >0 %}Surprise! We added a 15% discount code to your account that automatically applies to your next order.\
            {% else %}Need a sign to update your wardrobe? We added a 15% discount code to your account that will automatically apply to your first order.{% endif %}
            """, #"{"user": {"custom_attributes": {"total_spend": 120.5}}}"#,
         "Surprise! We added a 15% discount code to your account that automatically applies to your next order."),
        ("personalised discount, a new customer", """
            {% if {{custom_attribute.${total_spend}}} >0 %}Surprise! We added a 15% discount code to your account that automatically applies to your next order.\
            {% else %}Need a sign to update your wardrobe? We added a 15% discount code to your account that will automatically apply to your first order.{% endif %}
            """, #"{"user": {"custom_attributes": {}}}"#,
         "Need a sign to update your wardrobe? We added a 15% discount code to your account that will automatically apply to your first order."),
        ("VIP discount by status, with a default name", """
            Happy summer, {{${first_name} | default: "traveler"}}! \
            {% if {{custom_attribute.${vip_status}}} == 'VIP' %}Enjoy your exclusive discount code: VIPSUMMR464.\
            {% elsif {{custom_attribute.${vip_status}}} == 'new' %}Enjoy your welcome discount code: NEWTRAVEL257.\
            {% else %}Enjoy your unique discount code: SUMMRTRVLS240.{% endif %}
            """, #"{"user": {"custom_attributes": {"vip_status": "new"}}}"#,
         "Happy summer, traveler! Enjoy your welcome discount code: NEWTRAVEL257."),
        ("trips list", """
            {% if {{custom_attribute.${upcoming_trips}}} == blank %}{% abort_message('No upcoming trips scheduled') %}{% else %}\
            Hello {{${first_name} | default: 'fellow traveler'}}, here are your upcoming trips:
            <ul>{% for trip in {{custom_attribute.${upcoming_trips}}} %}
              <li>{{trip.destination}}: {{trip.departure_date | default: 'Date not set'}}</li>{% endfor %}
            </ul>{% endif %}
            """, #"{"user": {"first_name": "Ada", "custom_attributes": {"upcoming_trips": [{"destination": "Lisbon", "departure_date": "2026-12-20"}, {"destination": "Oslo"}]}}}"#,
         "Hello Ada, here are your upcoming trips:\n<ul>\n  <li>Lisbon: 2026-12-20</li>\n  <li>Oslo: Date not set</li>\n</ul>"),
        ("trips list with abort", """
            {% if {{custom_attribute.${upcoming_trips}}} == blank %}{% abort_message('No upcoming trips scheduled') %}{% else %}Hello{% endif %}
            """, #"{"user": {"custom_attributes": {"upcoming_trips": []}}}"#, "ABORTED: No upcoming trips scheduled"),
        ("trips list with abort, attribute never set", """
            {% if {{custom_attribute.${upcoming_trips}}} == empty %}{% abort_message('No upcoming trips scheduled') %}{% else %}Hello{% endif %}
            """, #"{"user": {"custom_attributes": {"upcoming_trips": []}}}"#, "ABORTED: No upcoming trips scheduled"),
        ("points balance", """
            {% assign new_points_balance = {{custom_attribute.${current_rewards_balance} | plus: 50}} %}\
            {% if new_points_balance >= 100 %}Make a purchase to bring your rewards points to {{new_points_balance | number_with_delimiter}} and cash in today!\
            {% else %}{% abort_message('not enough points') %}{% endif %}
            """, #"{"user": {"custom_attributes": {"current_rewards_balance": 1250}}}"#,
         "Make a purchase to bring your rewards points to 1,300 and cash in today!"),
        ("points balance, not enough", """
            {% assign new_points_balance = {{custom_attribute.${current_rewards_balance} | plus: 50}} %}\
            {% if new_points_balance >= 100 %}Make a purchase!{% else %}{% abort_message('not enough points') %}{% endif %}
            """, #"{"user": {"custom_attributes": {"current_rewards_balance": 20}}}"#, "ABORTED: not enough points"),
        ("rewards balance past 64 bits stays exact", """
            Hey {{${first_name}}}, earn 50 pts and bring your rewards balance to {{custom_attribute.${current_rewards_balance} | plus: 50}}.
            """, #"{"user": {"first_name": "Marion", "custom_attributes": {"current_rewards_balance": 99999999999999999999}}}"#,
         "Hey Marion, earn 50 pts and bring your rewards balance to 100000000000000000049."),
        ("brands viewed", """
            {% for items in {{custom_attribute.${Brands Viewed}}} limit:5 %}{% if {{items}} contains 'Converse' %}{% assign converse_viewer = true %}{% endif %}{% endfor %}\
            {% if converse_viewer == true %}Sale on Converse!{% else %}{% abort_message() %}{% endif %}
            """, #"{"user": {"custom_attributes": {"Brands Viewed": ["Nike", "Vans", "Converse All Star"]}}}"#, "Sale on Converse!"),
        ("brands viewed, only past the first five", """
            {% for items in {{custom_attribute.${Brands Viewed}}} limit:5 %}{% if {{items}} contains 'Converse' %}{% assign converse_viewer = true %}{% endif %}{% endfor %}\
            {% if converse_viewer == true %}Sale on Converse!{% else %}{% abort_message() %}{% endif %}
            """, #"{"user": {"custom_attributes": {"Brands Viewed": ["A", "B", "C", "D", "E", "Converse"]}}}"#, "ABORTED: nil"),
        ("localized date in the user's time zone", """
            {{${user_id} | default: 'You'}} received a campaign, rendered at {{ "now" | time_zone: ${time_zone} | date: "%Y-%m-%d %H:%M:%S" }}
            """, #"{"user": {"user_id": "u7", "time_zone": "Europe/Paris"}}"#, "u7 received a campaign, rendered at 2023-11-14 23:13:20"),
        ("send window by local hour", """
            {% assign time = 'now' | time_zone: ${time_zone} %}{% assign hour = time | date: '%H' | plus: 0 %}\
            {% if hour > 20 or hour < 8 %}{% abort_message("Outside allowed time window") %}{% endif %}Here's a message that will send between 8 am and 8 pm!
            """, #"{"user": {"time_zone": "America/New_York"}}"#, "Here's a message that will send between 8 am and 8 pm!"),
        ("send window by local hour, at night", """
            {% assign time = 'now' | time_zone: ${time_zone} %}{% assign hour = time | date: '%H' | plus: 0 %}\
            {% if hour > 20 or hour < 8 %}{% abort_message("Outside allowed time window") %}{% endif %}Here's a message!
            """, #"{"user": {"time_zone": "Asia/Tokyo"}}"#, "ABORTED: Outside allowed time window"),
        ("weekday in the user's zone", """
            {% assign today = 'now' | time_zone: ${time_zone} | date: "%A" %}\
            {% if {{today}} == 'Saturday' or {{today}} == 'Sunday' %}It's {{today}}, open the app!{% else %}It's {{today}}, visit the store!{% endif %}
            """, #"{"user": {"time_zone": "Pacific/Auckland"}}"#, "It's Wednesday, visit the store!"),
        ("birthday month", """
            {% assign this_month = 'now' | date: "%B" %}{% assign birth_month = {{${date_of_birth}}} | date: "%B" %}\
            {% if {{this_month}} == {{birth_month}} %}We heard {{this_month}} is a special month!{% else %}{% abort_message("Not their birthday month") %}{% endif %}
            """, #"{"user": {"date_of_birth": "1990-11-02"}}"#, "We heard November is a special month!"),
        ("language by locale", """
            {% if ${language} == 'en' %}Hello{% elsif ${most_recent_locale} == 'pt_BR' %}Olá{% elsif ${language} == 'fr' %}Bonjour{% else %}Hi{% endif %} {{${first_name} | default: 'there'}}
            """, #"{"user": {"language": "pt", "most_recent_locale": "pt_BR", "first_name": "João"}}"#, "Olá João"),
        ("phone formatting", """
            {% assign phone = {{${phone_number}}} | remove: "-" | split: '' %}({{ phone[0] }}{{ phone[1] }}{{ phone[2] }})-{{ phone[3] }}{{ phone[4] }}{{ phone[5] }}-{{ phone[6] }}{{ phone[7] }}{{ phone[8] }}{{ phone[9] }}
            """, #"{"user": {"phone_number": "123-456-7890"}}"#, "(123)-456-7890"),
        ("webhook body with escaped values and a signature", """
            {"message":"{{event_properties.${message} | json_escape}}","sig":"{{event_properties.${message} | hmac_sha256_hex: 'k'}}"}
            """, #"{"event_properties": {"message": "Say \"hi\""}}"#,
         #"{"message":"Say \"hi\"","sig":"ca18539e50324e12f07f06fd64b037fcb2f8d50770a6e66822f7943538847487"}"#),
    ]

    @Test("each renders as on Braze, through the library", arguments: cases)
    func library(_ name: String, _ template: String, _ data: String, _ expected: String) throws {
        #expect(try render(template, data, dialect: .braze) == expected, "\(name)")
    }

    @Test("each renders the same through liquid --jsonl", arguments: cases)
    func jsonLines(_ name: String, _ template: String, _ data: String, _ expected: String) throws {
        let renderer = JSONLRenderer(now: { Date(timeIntervalSince1970: 1_700_000_000) })
        let request = LiquidValue.object(LiquidObject([
            ("id", .string(name)), ("template", .string(template)), ("data", try LiquidValue(json: data)), ("dialect", "braze"),
        ]))
        let response = try LiquidValue(json: renderer.respond(to: request.jsonText))
        guard case .object(let fields) = response else { Issue.record("not an object: \(response)"); return }
        if expected.hasPrefix("ABORTED: ") {
            #expect(fields["aborted"] == .bool(true), "\(name)")
            let reason = String(expected.dropFirst("ABORTED: ".count))
            #expect(fields["reason"] == (reason == "nil" ? .nil : .string(reason)), "\(name)")
        } else {
            #expect(fields["output"] == .string(expected), "\(name): \(response.jsonText)")
        }
    }

    @Test("content blocks and connected_content fixtures over JSON Lines")
    func jsonLinesFixtures() {
        let renderer = JSONLRenderer()
        let request = #"""
            {"id": 1, "dialect": "braze", "template": "{{content_blocks.${Header}}} {% connected_content https://api.example/offer :save offer %}{{offer.code}}",
             "data": {"user": {"first_name": "Ada"}}, "content_blocks": {"Header": "Hi {{${first_name}}},"},
             "connected_content": {"https://api.example/offer": {"status": 200, "body": "{\"code\": \"SAVE10\"}"}}}
            """#
        #expect(renderer.respond(to: request.replacingOccurrences(of: "\n", with: " ")) == #"{"id":1,"output":"Hi Ada, SAVE10"}"#)
        let missing = #"{"id": 2, "dialect": "braze", "template": "{% connected_content https://other.example/x %}", "connected_content": {}}"#
        #expect(renderer.respond(to: missing).contains("no answer for https://other.example/x"))
        let bad = #"{"id": 3, "dialect": "braze", "template": "x", "connected_content": {"https://a.example": "oops"}}"#
        #expect(renderer.respond(to: bad).contains("maps each URL"))
    }
}
