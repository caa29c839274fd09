import Foundation
import Liquid
import Testing

@Suite("Liquid filters")
struct LiquidFilterTests {
    @Test("math keeps integers integral and floats decimal-exact; halves round away from zero (Shopify)")
    func math() throws {
        #expect(try render("{{ 7 | divided_by: 2 }} {{ 7.0 | divided_by: 2 }} {{ -7 | divided_by: 2 }}") == "3 3.5 -4")
        #expect(try render("{{ 10 | minus: 2.1 }} {{ 0.1 | plus: 0.2 }} {{ 3 | times: 1.1 }}") == "7.9 0.3 3.3")
        #expect(try render("{{ -7 | modulo: 3 }} {{ 10.1 | modulo: 7 }}") == "2 3.1")
        #expect(try render("{{ 2.5 | round }} {{ 3.5 | round }} {{ -2.5 | round }} {{ 1.2345 | round: 2 }}") == "3 4 -3 1.23")
        #expect(try render("{{ '3' | plus: '4' }} {{ 'abc' | plus: 1 }} {{ 4 | at_least: 5 }} {{ 4.6 | floor }} {{ 4.1 | ceil }}") == "7 1 5 4 5")
        #expect(try render("{{ 1.0 }} {{ 100000000000000000000.0 }}") == "1.0 1.0e+20")
        let zero = liquidError { _ = try render("{{ 1 | divided_by: 0 }}") }
        #expect(zero?.kind == .filterArgument)
        #expect(zero?.message.contains("divided_by") == true)
    }

    @Test("string filters handle nil, unicode and negative indexes")
    func strings() throws {
        #expect(try render("{{ nothing | upcase }}|{{ 'grüße' | upcase }}|{{ 'héllo' | size }}|{{ 'héllo' | slice: -3, 2 }}") == "|GRÜSSE|5|ll")
        #expect(try render("{{ 'a,b,,c,,' | split: ',' | join: '-' }}") == "a-b--c")
        #expect(try render("{{ 'Ground control to Major Tom.' | truncate: 20 }}|{{ 'one two three' | truncatewords: 2, '…' }}") == "Ground control to...|one two…")
        #expect(try render("{{ s | escape }}", #"{"s":"<p>Tom & \"Jerry\" 's</p>"}"#) == "&lt;p&gt;Tom &amp; &quot;Jerry&quot; &#39;s&lt;/p&gt;")
        #expect(try render("{{ '&lt; & <' | escape_once }}") == "&lt; &amp; &lt;")
        #expect(try render("{{ 'a b&c/é' | url_encode }}|{{ 'a+b%26c' | url_decode }}") == "a+b%26c%2F%C3%A9|a b&c")
        #expect(try render("{{ '<b>bold</b><script>x</script>' | strip_html }}|{{ 'a\nb' | newline_to_br }}") == "bold|a<br />\nb")
        #expect(try render("{{ 'hello world' | capitalize }} {{ 'abc' | replace_first: 'b', 'B' }} {{ 'abcb' | remove_last: 'b' }}") == "Hello world aBc abc")
    }

    @Test("array filters: map, where, sort, uniq, compact, concat, sum, first, last")
    func arrays() throws {
        let data = #"{"products":[{"t":"b","p":2,"ok":true},{"t":"a","p":1,"ok":false},{"t":"c","p":3,"ok":true}]}"#
        #expect(try render("{{ products | map: 't' | join: ',' }}", data) == "b,a,c")
        #expect(try render("{{ products | where: 'ok' | map: 't' | join: ',' }}", data) == "b,c")
        #expect(try render("{{ products | where: 't', 'a' | map: 'p' | first }}", data) == "1")
        #expect(try render("{{ products | sort: 'p' | map: 't' | join: ',' }}|{{ products | sum: 'p' }}", data) == "a,b,c|6")
        #expect(try render("{{ 'b,A,a,B' | split: ',' | sort_natural | join: '' }}") == "AabB" || render("{{ 'b,A,a,B' | split: ',' | sort_natural | join: '' }}") == "aAbB")
        #expect(try render("{{ '1,2,1,3' | split: ',' | uniq | join: '' }}|{{ a | compact | size }}|{{ a | concat: a | size }}", #"{"a":[1,null,2]}"#) == "123|2|6")
        #expect(try render("{{ (1..5) | last }} {{ 'xyz' | first }} {{ nothing | default: 'dflt' }} {{ false | default: 'x', allow_false: true }}") == "5 x dflt false")
    }

    @Test("date formats with strftime, from timestamps, ISO strings and the injected clock")
    func dates() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14 22:13:20 UTC, a Tuesday
        #expect(try render("{{ 'now' | date: '%Y-%m-%d %H:%M:%S %A %j' }}", now: now) == "2023-11-14 22:13:20 Tuesday 318")
        #expect(try render("{{ 0 | date: '%a %b %e %-d %y' }}") == "Thu Jan  1 1 70")
        #expect(try render("{{ '2024-02-29T12:30:00+02:00' | date: '%d/%m/%Y %H:%M %z' }}") == "29/02/2024 12:30 +0200")
        #expect(try render("{{ 'March 14, 2016' | date: '%b %d, %y' }}") == "Mar 14, 16")
        #expect(try render("{{ 'not a date' | date: '%Y' }}") == "not a date")
    }
}
