import Liquid
import Testing

/// Realistic Braze-style message templates.
@Suite("Braze personalization syntax")
struct BrazeTests {
    let user = #"""
        {"user": {"first_name": "Ada", "email": "ada@example.com",
                  "custom_attributes": {"plan": "pro", "Favorite Color": "teal",
                                        "address": {"city": "Berlin"}, "wishlist": ["tent", "stove"]}},
         "event_properties": {"cart_total": 42.5, "item": "Tent"},
         "campaign": {"name": "Spring sale", "api_id": "c-1"}}
        """#

    @Test("greeting with a default")
    func greeting() throws {
        #expect(try render("Hi {{${first_name} | default: 'there'}}!", user, dialect: .braze) == "Hi Ada!")
        #expect(try render("Hi {{${first_name} | default: 'there'}}!", #"{"user":{}}"#, dialect: .braze) == "Hi there!")
    }

    @Test("custom attributes, with spaces and dotted paths; event properties; campaign")
    func attributes() throws {
        #expect(try render("{{custom_attribute.${Favorite Color}}} {{custom_attribute.${address.city}}}", user, dialect: .braze) == "teal Berlin")
        #expect(try render("{{event_properties.${item}}} {{event_properties.${cart_total}}} {{campaign.${name}}}", user, dialect: .braze) == "Tent 42.5 Spring sale")
    }

    @Test("an offer by plan")
    func offerByPlan() throws {
        let template = "{% if custom_attribute.${plan} == 'pro' %}20% off for pros{% else %}10% off{% endif %}"
        #expect(try render(template, user, dialect: .braze) == "20% off for pros")
    }

    @Test("a loop over a custom-attribute array")
    func loop() throws {
        let template = "{% for item in custom_attribute.${wishlist} %}{{ item | capitalize }}{% unless forloop.last %}, {% endunless %}{% endfor %}"
        #expect(try render(template, user, dialect: .braze) == "Tent, Stove")
    }

    @Test("abort_message when a value is missing: aborted with the reason, not an error")
    func abort() throws {
        let template = "{% if ${phone} == blank %}{% abort_message('no phone number') %}{% endif %}Text {{${phone}}}"
        #expect(try render(template, user, dialect: .braze) == "ABORTED: no phone number")
        #expect(try render("{% abort_message() %}", user, dialect: .braze) == "ABORTED: nil")
        #expect(try render(template, #"{"user":{"phone":"+15550100"}}"#, dialect: .braze) == "Text +15550100")
    }

    @Test("url_param_escape and json_escape")
    func escapes() throws {
        #expect(try render("{{ 'a b&c' | url_param_escape }}") == "a%20b%26c")
        #expect(try render("{\"t\":\"{{ x | json_escape }}\"}", #"{"x":"say \"hi\"\n"}"#) == #"{"t":"say \"hi\"\n"}"#)
    }

    @Test("${...} outside the braze dialect is a clear error")
    func dialectRequired() {
        let error = liquidError { _ = try render("{{${first_name}}}", user) }
        #expect(error?.kind == .syntax)
        #expect(error?.message.contains("braze dialect") == true)
    }
}

/// Braze's output braces inside tags (issue 11): the inner expression's value, filters included.
@Suite("Braze: output braces inside tags")
struct BrazeBracesInTagsTests {
    let data = #"""
        {"user": {"first_name": "Ada",
                  "custom_attributes": {"balance": 150, "points": 20, "Brands Viewed": ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark"],
                                        "tier": "gold", "empty list": []}}}
        """#

    @Test("the value inside braces in if, for, assign, case, unless and contains", arguments: [
        ("{% if {{custom_attribute.${balance}}} > 0 %}You have {{custom_attribute.${balance}}} points{% endif %}", "You have 150 points"),
        ("{% if {{custom_attribute.${balance}}} > 500 %}big{% else %}small{% endif %}", "small"),
        ("{% for item in {{custom_attribute.${Brands Viewed}}} limit:5 %}{{item}}{% unless forloop.last %}, {% endunless %}{% endfor %}",
         "Acme, Globex, Initech, Umbrella, Hooli"),
        ("{% assign total = {{custom_attribute.${points} | plus: 50}} %}{{total}}", "70"),
        ("{% assign total = {{custom_attribute.${points}}} | plus: 50 %}{{total | times: 2}}", "140"),
        ("{% if {{custom_attribute.${Brands Viewed}}} contains 'Acme' %}acme fan{% endif %}", "acme fan"),
        ("{% if {{custom_attribute.${Brands Viewed}}} | size > 5 %}many{% endif %}", "many"),
        ("{% if {{custom_attribute.${Brands Viewed} | size}} > 5 %}many{% endif %}", "many"),
        ("{% case {{custom_attribute.${tier}}} %}{% when 'gold' %}Gold!{% else %}Hi{% endcase %}", "Gold!"),
        ("{% unless {{custom_attribute.${empty list}}} == empty %}some{% else %}none{% endunless %}", "none"),
        ("{% if {{${first_name}}} == 'Ada' and {{custom_attribute.${balance}}} >= 150 %}both{% endif %}", "both"),
        ("{% for brand in {{custom_attribute.${Brands Viewed}}} | sort | reverse limit:2 %}{{brand}};{% endfor %}", "Umbrella;Stark;"),
    ])
    func bracesMeanTheValue(template: String, expected: String) throws {
        #expect(try render(template, data, dialect: .braze) == expected)
    }

    @Test("in the liquid dialect, braces inside a tag are an error that names the braze dialect")
    func liquidDialect() {
        let error = liquidError { _ = try render("{% if {{x}} > 0 %}y{% endif %}", "{}") }
        #expect(error?.kind == .syntax)
        #expect(error?.message.contains("braze dialect") == true)
    }

    @Test("unclosed braces inside a tag are a syntax error with the position")
    func unclosed() {
        let error = liquidError { _ = try render("line\n{% if {{custom_attribute.${balance} > 0 %}y{% endif %}", data, dialect: .braze) }
        #expect(error?.kind == .syntax)
        #expect(error?.line == 2)
        #expect(error?.message.contains("'}}'") == true)
    }
}
