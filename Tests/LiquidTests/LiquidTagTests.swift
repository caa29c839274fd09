import Liquid
import Testing

@Suite("Liquid tags")
struct LiquidTagTests {
    @Test("if / elsif / else with and, or, contains and comparisons")
    func conditionals() throws {
        let source = "{% if plan == 'pro' and seats > 5 %}big{% elsif plan contains 'pro' or trial %}pro-ish{% else %}free{% endif %}"
        #expect(try render(source, #"{"plan":"pro","seats":10}"#) == "big")
        #expect(try render(source, #"{"plan":"proton","seats":1}"#) == "pro-ish")
        #expect(try render(source, #"{"plan":"free","trial":true}"#) == "pro-ish")
        #expect(try render(source, #"{"plan":"free"}"#) == "free")
        // Right to left: false and (false or true) is false.
        #expect(try render("{% if false and false or true %}y{% else %}n{% endif %}") == "n")
        #expect(try render("{% unless x %}none{% endunless %}") == "none")
    }

    @Test("case / when with comma and or lists")
    func caseWhen() throws {
        let source = "{% case tier %}{% when 'gold', 'platinum' %}VIP{% when 'silver' or 'bronze' %}member{% else %}guest{% endcase %}"
        #expect(try render(source, #"{"tier":"platinum"}"#) == "VIP")
        #expect(try render(source, #"{"tier":"bronze"}"#) == "member")
        #expect(try render(source, #"{"tier":"none"}"#) == "guest")
    }

    @Test("for with limit, offset, reversed, ranges, forloop, break, continue and else")
    func forLoops() throws {
        #expect(try render("{% for i in (1..10) limit: 3 offset: 2 reversed %}{{ i }}{% endfor %}") == "543")
        #expect(try render("{% for i in (1..4) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ forloop.index }}/{{ forloop.length }}{% unless forloop.last %},{% endunless %}{% endfor %}") == "1/4,3/4,")
        #expect(try render("{% for x in empty_list %}{{ x }}{% else %}nothing{% endfor %}", #"{"empty_list":[]}"#) == "nothing")
        #expect(try render("{% for pair in h %}{{ pair[0] }}={{ pair[1] }};{% endfor %}", #"{"h":{"b":1,"a":2}}"#) == "b=1;a=2;", "objects loop in key order")
        #expect(try render("{% for a in (1..2) %}{% for b in (1..2) %}{{ forloop.parentloop.index }}{{ b }} {% endfor %}{% endfor %}") == "11 12 21 22 ")
    }

    @Test("assign, capture, increment, decrement, cycle, echo, liquid, raw, comments")
    func otherTags() throws {
        #expect(try render("{% assign n = 'Ada' | upcase %}{% capture c %}Hi {{ n }}{% endcapture %}{{ c }}") == "Hi ADA")
        #expect(try render("{% increment a %}{% increment a %}{% decrement b %}{% decrement b %}") == "01-1-2")
        #expect(try render("{% for i in (1..4) %}{% cycle 'odd', 'even' %} {% endfor %}") == "odd even odd even ")
        #expect(try render("{% liquid\nassign x = 2\nif x > 1\n  echo 'big'\nendif\n%}") == "big")
        #expect(try render("{% raw %}{{ not parsed }}{% endraw %}") == "{{ not parsed }}")
        #expect(try render("a{% comment %}{{ gone }}{% endcomment %}b{% # inline %}c") == "abc")
    }

    @Test("whitespace control trims to the neighbouring tag, newlines included")
    func whitespaceControl() throws {
        #expect(try render("<p>\n  {%- if true -%}\n  yes\n  {%- endif -%}\n</p>") == "<p>yes</p>")
        #expect(try render("a  {{- 'b' -}}  c") == "abc")
    }

    @Test("tablerow lays out rows and columns")
    func tablerow() throws {
        #expect(try render("{% tablerow i in (1..3) cols: 2 %}{{ i }}{% endtablerow %}") ==
            "<tr class=\"row1\">\n<td class=\"col1\">1</td><td class=\"col2\">2</td></tr>\n<tr class=\"row2\"><td class=\"col1\">3</td></tr>\n")
    }

    @Test("include shares scope, render isolates it; partials come from the caller")
    func partials() throws {
        let partials = ["greet": "Hi {{ name }}{% assign leaked = 1 %}", "item": "[{{ item }}]"]
        #expect(try render("{% assign name = 'Ada' %}{% include 'greet' %} {{ leaked }}", partials: partials) == "Hi Ada 1")
        #expect(try render("{% assign name = 'Ada' %}{% render 'greet' %}|{{ leaked }}", partials: partials) == "Hi |")
        #expect(try render("{% render 'item' for items %}", #"{"items":[1,2]}"#, partials: partials) == "[1][2]")
        #expect(try render("{% render 'greet', name: 'Bo' %}", partials: partials) == "Hi Bo")
        let missing = liquidError { _ = try render("{% include 'nope' %}") }
        #expect(missing?.kind == .templateNotFound)
    }

    @Test("a parsed template renders from many tasks at once")
    func concurrentRendering() async throws {
        let template = try Template("{% for i in (1..3) %}{{ name }}{{ i }}{% endfor %}")
        let outputs = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for n in 0..<64 {
                group.addTask {
                    let result = try template.render(.object(LiquidObject([("name", .string("u\(n)-"))])))
                    return (n, result.text ?? "")
                }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        #expect(outputs.count == 64)
        #expect(outputs.allSatisfy { $0.value == "u\($0.key)-1u\($0.key)-2u\($0.key)-3" })
    }
}
