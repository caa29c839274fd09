import Foundation
import Liquid
import Testing

/// Braze's own filters, with the examples Braze documents (issue 11; docs/LIQUID.md's table).
@Suite("Braze filters")
struct BrazeFilterTests {
    @Test("hashes and HMACs give Braze's documented outputs", arguments: [
        ("{{'hey' | md5}}", "6057f13c496ecf7fd777ceb9e79ae285"),
        ("{{'hey' | sha1}}", "7f550a9f4c44173a37664d938f1355f0f92a47a7"),
        ("{{'hey' | sha2}}", "fa690b82061edfd2852629aeba8a8977b57e40fcb77d1a7a28b26cba62591204"),
        ("{{'blah' | base64_encode}}", "YmxhaA=="),
        ("{{'hey' | hmac_sha1_hex: 'secret_key'}}", "2a3969bed25bfeefb00aca4063eb9590b4df8f0e"),
        ("{{'hey' | hmac_sha1: 'secret_key'}}", "2a3969bed25bfeefb00aca4063eb9590b4df8f0e"),
        ("{{'hey' | hmac_sha1_base64: 'secret_key'}}", "KjlpvtJb/u+wCspAY+uVkLTfjw4="),
        ("{{'hey' | hmac_sha256_hex: 'secret_key'}}", "8df897f8da3d7992fe57c8dbc6f27578cfbf2dcc4d0fbb4000b8c924841d508e"),
        ("{{'hey' | hmac_sha256: 'secret_key'}}", "8df897f8da3d7992fe57c8dbc6f27578cfbf2dcc4d0fbb4000b8c924841d508e"),
        ("{{'hey' | hmac_sha256_base64: 'secret_key'}}", "jfiX+No9eZL+V8jbxvJ1eM+/LcxND7tAALjJJIQdUI4="),
        // hashes of non-ASCII text are of its UTF-8 bytes
        ("{{'café' | md5}}", "07117fe4a1ebd544965dc19573183da2"),
    ])
    func hashes(template: String, expected: String) throws {
        #expect(try render(template, dialect: .braze) == expected)
    }

    @Test("url_escape keeps URL syntax; url_param_escape escapes all but unreserved characters", arguments: [
        ("{{'hey<>hi' | url_escape}}", "hey%3C%3Ehi"),
        ("{{'hey<&>hi' | url_param_escape}}", "hey%3C%26%3Ehi"),
        ("{{'<p>Health & Love potions</p>' | url_escape}}", "%3Cp%3EHealth%20&%20Love%20potions%3C/p%3E"),
        ("{{'a/b?c=d&e=f#g' | url_escape}}", "a/b?c=d&e=f%23g"),
        ("{{'+12125551212' | url_param_escape}}", "%2B12125551212"),
        ("{{'john@example.com' | url_param_escape}}", "john%40example.com"),
        ("{{'a/b?c=d&e=f#g' | url_param_escape}}", "a%2Fb%3Fc%3Dd%26e%3Df%23g"),
        ("{{'google search' | url_param_escape}}", "google%20search"),
        ("{{'café' | url_escape}}", "caf%C3%A9"),
        ("{{ 'google search' | url_encode }}", "google+search"),
    ])
    func urlEscapes(template: String, expected: String) throws {
        #expect(try render(template, dialect: .braze) == expected)
    }

    @Test("number_with_delimiter and money", arguments: [
        ("{{ 123456 | number_with_delimiter }}", "123,456"),
        ("{{ 123 | number_with_delimiter }}", "123"),
        ("{{ 1234567.891 | number_with_delimiter }}", "1,234,567.891"),
        ("{{ -1234 | number_with_delimiter }}", "-1,234"),
        ("{{ '98765' | number_with_delimiter }}", "98,765"),
        ("{{ 'n/a' | number_with_delimiter }}", "n/a"),
        ("{{ 12345678901234567890 | number_with_delimiter }}", "12,345,678,901,234,567,890"),
        ("{{ 1234567 | number_with_delimiter: delimiter: '.', separator: ',' }}", "1.234.567"),
        ("${{ 145 | money }}", "$145.00"),
        ("${{ 145 | divided_by: 100.00 | money }}", "$1.45"),
        ("${{ 17.8 | money }}", "$17.80"),
        ("{% assign my_int = '350000.25' | plus: 0 %}{{ my_int | money }}", "350000.25"),
    ])
    func numbers(template: String, expected: String) throws {
        #expect(try render(template, dialect: .braze) == expected)
    }

    @Test("property_accessor reads a key computed at render time")
    func propertyAccessor() throws {
        let data = #"{"hash": {"a": 42, "b": 0}, "user": {"custom_attributes": {"tier": "b"}}}"#
        #expect(try render("{{hash | property_accessor: 'a'}}", data, dialect: .braze) == "42")
        #expect(try render("{{hash | property_accessor: custom_attribute.${tier}}}", data, dialect: .braze) == "0")
        #expect(try render("[{{hash | property_accessor: 'missing'}}]", data, dialect: .braze) == "[]")
    }

    @Test("json_escape, json_parse and as_json_string")
    func json() throws {
        #expect(try render(#"{"message":"{{ m | json_escape }}"}"#, #"{"m": "He said \"hi\"\\\n"}"#, dialect: .braze)
                == #"{"message":"He said \"hi\"\\\n"}"#)
        let parse = #"{% assign my_data_string = '[{"id":"1","store_name":"demo-store"}]' %}{% assign my_data = my_data_string | json_parse %}{% for item in my_data %}{{ item.id }}:{{ item.store_name }}{% endfor %}"#
        #expect(try render(parse, dialect: .braze) == "1:demo-store")
        #expect(try render("{{ list | as_json_string }}", #"{"list": [{"a": 1}, "x"]}"#, dialect: .braze) == #"[{"a":1},"x"]"#)
        #expect(liquidError { _ = try render("{{ 'not json' | json_parse }}", dialect: .braze) }?.kind == .filterArgument)
    }

    @Test("time_zone shows the instant on that zone's clock, for date to format")
    func timeZone() throws {
        let data = #"{"user": {"time_zone": "America/Los_Angeles", "custom_attributes": {"date_attribute": "2021-08-04T09:00:00Z"}}}"#
        #expect(try render("{{custom_attribute.${date_attribute} | time_zone: 'America/Los_Angeles' | date: '%a %b %e %T' }}", data, dialect: .braze)
                == "Wed Aug  4 02:00:00")
        #expect(try render("{{custom_attribute.${date_attribute} | time_zone: ${time_zone} | date: '%H:%M %z' }}", data, dialect: .braze)
                == "02:00 -0700")
        #expect(try render("{{custom_attribute.${date_attribute} | time_zone: {{${time_zone}}} }}", data, dialect: .braze)
                == "2021-08-04 02:00:00 -0700")
        #expect(try render("{{custom_attribute.${date_attribute} | time_zone: '+05:30' | date: '%H:%M' }}", data, dialect: .braze) == "14:30")
        #expect(try render("{{custom_attribute.${date_attribute} | time_zone: -5 | date: '%H:%M' }}", data, dialect: .braze) == "04:00")
        // winter: Pacific Standard Time
        #expect(try render("{{ '2021-01-04T09:00:00Z' | time_zone: 'America/Los_Angeles' | date: '%H %z' }}", dialect: .braze) == "01 -0800")
        // `now` from the injected clock (1_700_000_000 is 2023-11-14 22:13:20 UTC)
        #expect(try render("{% assign hour = 'now' | time_zone: 'Asia/Tokyo' | date: '%H' | plus: 0 %}{{ hour }}", dialect: .braze) == "7")
        let error = liquidError { _ = try render("{{ 'now' | time_zone: 'Mars/Olympus' }}", dialect: .braze) }
        #expect(error?.kind == .filterArgument)
        #expect(error?.message.contains("IANA") == true)
    }

    @Test("output braces as a filter argument inside an output (Braze's gift-card balance)")
    func bracesAsArgument() throws {
        let data = #"{"user": {"custom_attributes": {"current_rewards_balance": 20, "giftcard_balance": 15}}}"#
        let template = "{% assign balance = {{custom_attribute.${current_rewards_balance}}} %}You have ${{custom_attribute.${giftcard_balance} | plus: {{balance}}}} to spend!"
        #expect(try render(template, data, dialect: .braze) == "You have $35 to spend!")
        let nested = #"{% assign marketplace = {{{{interest}} | split: "" | reverse | join: "" | truncate: 4, "" }} %}{{marketplace}}"#
        #expect(try render(nested, #"{"interest": "Outdoors"}"#, dialect: .braze) == "sroo")
    }
}
