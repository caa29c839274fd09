import Liquid
import Testing

/// Integers beyond 64 bits behave as Ruby's Bignum; string lengths count what Ruby counts.
@Suite("Ruby's numbers and string sizes")
struct RubyNumberTests {
    @Test("plus, minus and times past Int64 are exact", arguments: [
        ("{{ 9223372036854775807 | plus: 1 }}", "9223372036854775808"),
        ("{{ -9223372036854775808 | minus: 1 }}", "-9223372036854775809"),
        ("{{ 9223372036854775807 | times: 9223372036854775807 }}", "85070591730234615847396907784232501249"),
        ("{{ 4294967296 | times: 4294967296 }}", "18446744073709551616"),
        // back to 64 bits when the result fits again
        ("{{ 9223372036854775807 | plus: 1 | minus: 1 }}", "9223372036854775807"),
        // a literal past 64 bits is an integer, not a float
        ("{{ 123456789012345678901234567890 }}", "123456789012345678901234567890"),
        ("{{ 123456789012345678901234567890 | plus: 0.5 }}", "1.2345678901234568e+29"),
    ])
    func arithmetic(template: String, expected: String) throws {
        #expect(try render(template) == expected)
    }

    @Test("divided_by, modulo and abs of big integers floor as Ruby does", arguments: [
        ("{{ 100000000000000000000 | divided_by: 3 }}", "33333333333333333333"),
        ("{{ -100000000000000000000 | divided_by: 3 }}", "-33333333333333333334"),
        ("{{ 100000000000000000000 | modulo: 7 }}", "2"),
        ("{{ -100000000000000000000 | modulo: 7 }}", "5"),
        ("{{ -9223372036854775808 | abs }}", "9223372036854775808"),
        ("{{ -9223372036854775808 | divided_by: -1 }}", "9223372036854775808"),
        ("{{ -100000000000000000000 | abs }}", "100000000000000000000"),
        ("{{ 100000000000000000051 | round: -2 }}", "100000000000000000100"),
        ("{{ 100000000000000000000.0 | ceil }}", "100000000000000000000"),
        ("{{ 100000000000000000000 | at_least: 5 }}", "100000000000000000000"),
        ("{{ 100000000000000000000 | at_most: 5 }}", "5"),
    ])
    func division(template: String, expected: String) throws {
        #expect(try render(template) == expected)
    }

    @Test("a JSON integer with 20 digits stays exact, in output, comparisons, sums and JSON")
    func jsonIntegers() throws {
        let data = #"{"points": 12345678901234567890, "ids": [18446744073709551615, 18446744073709551615, 1]}"#
        #expect(try render("{{ points }}", data) == "12345678901234567890")
        #expect(try render("{{ points | plus: 10 }}", data) == "12345678901234567900")
        #expect(try render("{% if points > 9223372036854775807 %}big{% endif %}", data) == "big")
        #expect(try render("{% if points == 12345678901234567890 %}same{% endif %}", data) == "same")
        #expect(try render("{% if points == 12345678901234567891 %}same{% else %}differs{% endif %}", data) == "differs")
        #expect(try render("{{ ids | uniq | size }}", data) == "2")
        #expect(try render("{{ ids | sum }}", data) == "36893488147419103231")
        #expect(try render("{{ ids | sort | first }}", data) == "1")
        #expect(try LiquidValue(json: data).jsonText == #"{"points":12345678901234567890,"ids":[18446744073709551615,18446744073709551615,1]}"#)
        #expect(try render("{{ '99999999999999999999' | plus: 1 }}") == "100000000000000000000")
    }

    @Test("a template cannot grow an integer without bound")
    func bounded() throws {
        let template = "{% assign x = 2 %}{% for i in (1..20) %}{% assign x = x | times: x %}{% endfor %}{{ x }}"
        #expect(liquidError { _ = try render(template) }?.kind == .limitExceeded)
        // 2^4095 is still allowed
        let fits = "{% assign x = 1 %}{% for i in (1..4095) %}{% assign x = x | times: 2 %}{% endfor %}{{ x | size }}"
        #expect(throws: Never.self) { try render(fits) }
    }

    @Test("size, slice, truncate, split and first count Unicode scalars, as Ruby counts characters", arguments: [
        // "é" written as e + combining acute accent: two characters in Ruby
        ("{{ 'e\u{301}te\u{301}' | size }}", "5"),
        ("{{ 'e\u{301}te\u{301}' | slice: 1, 2 }}", "\u{301}t"),
        ("{{ 'e\u{301}te\u{301}' | slice: -1 }}", "\u{301}"),
        ("{{ 'e\u{301}te\u{301}' | truncate: 4, '' }}", "e\u{301}te"),
        ("{{ 'e\u{301}x' | split: '' | join: '|' }}", "e|\u{301}|x"),
        ("{{ 'e\u{301}x' | split: '' | reverse | join: '' }}", "x\u{301}e"),
        ("{{ 'e\u{301}x' | first }}", "e"),
        ("{{ 'xe\u{301}' | last }}", "\u{301}"),
        // a flag is two regional indicators; an emoji with a skin tone two scalars
        ("{{ '🇫🇷' | size }}", "2"),
        ("{{ '👍🏽' | size }}", "2"),
        ("{{ 'straße' | upcase }}", "STRASSE"),
        ("{{ 'ÉCOLE' | downcase }}", "école"),
        ("{{ 'élan vital' | capitalize }}", "Élan vital"),
    ])
    func stringSizes(template: String, expected: String) throws {
        #expect(try render(template) == expected)
    }

    @Test("a variable's size, first and last count Unicode scalars")
    func members() throws {
        let data = #"{"name": "Ze\#u{301}"}"#
        #expect(try render("{{ name.size }} {{ name.first }} {{ name.last }}", data) == "3 Z \u{301}")
    }

    @Test("strings compare by their bytes, as Ruby's do")
    func byteEquality() throws {
        // precomposed é and e + combining accent look alike but are different strings in Ruby
        #expect(try render("{% if 'é' == 'e\u{301}' %}same{% else %}differs{% endif %}") == "differs")
        #expect(try render("{% if 'é' == 'é' %}same{% endif %}") == "same")
        #expect(try render("{% if 'Z' < 'a' %}yes{% endif %}") == "yes")
    }
}

@Suite("Value layout")
struct ValueLayoutTests {
    /// Big integers are boxed: every value a template handles stays 17 bytes (a string or an
    /// array and the case), as before they existed; unboxed, BigInt made every value 33.
    @Test("a LiquidValue is as small with big integers as without")
    func valueSize() {
        #expect(MemoryLayout<LiquidValue>.size <= 17)
    }
}

/// The written date forms `date` reads by hand (DateFormatter was about a millisecond a
/// call: found by fuzzing as a loop of `date` that took minutes).
@Suite("Written dates")
struct WrittenDateTests {
    @Test("each form reads as the instant it names", arguments: [
        ("March 14, 2024", "2024-03-14 00:00 +0000"),
        ("Mar 14, 2024 09:30", "2024-03-14 09:30 +0000"),
        ("14 March 2024", "2024-03-14 00:00 +0000"),
        ("Thu, 14 Mar 2024 09:30:00 +0100", "2024-03-14 09:30 +0100"),
        ("Thursday, 14 Mar 2024 09:30:15 GMT", "2024-03-14 09:30 +0000"),
        ("14 Mar 2024 23:59 -05:00", "2024-03-14 23:59 -0500"),
        ("2024/03/14", "2024-03-14 00:00 +0000"),
        ("03/14/2024", "2024-03-14 00:00 +0000"),
        ("Sept 1, 2024", "2024-09-01 00:00 +0000"),
        ("February 29, 2024", "2024-02-29 00:00 +0000"),
    ])
    func forms(text: String, expected: String) throws {
        #expect(try render("{{ d | date: '%Y-%m-%d %H:%M %z' }}", #"{"d": "\#(text)"}"#) == expected)
    }

    @Test("what is not one of the forms passes through", arguments: [
        "February 30, 2024", "13/01/2024", "Mar 14", "12 apples", "x", "March 14, 2024 25:00", "Fooday, 14 Mar 2024",
        "14 Mar 2024 09:30 +9999", "2024/3/14/1",
    ])
    func notDates(text: String) throws {
        #expect(try render("{{ d | date: '%Y' }}", #"{"d": "\#(text)"}"#) == text)
    }
}
