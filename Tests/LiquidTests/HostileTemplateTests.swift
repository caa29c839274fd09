import Foundation
import Liquid
import Testing

/// Templates and data at the edges of Int64 and Double, deep nesting and runaway growth:
/// each renders or fails with a clear error, and never stops the process (every case
/// here trapped, overflowed the stack, hung or asked for gigabytes before).
@Suite("Hostile templates")
struct HostileTemplateTests {
    static let intMax = "9223372036854775807", intMin = "-9223372036854775808"
    /// The exact integer of the Double 1e300, as Ruby's `1e300.floor` gives it.
    static let oneE300 = "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"

    /// (name, template, JSON data, expected output)
    static let rendered: [(String, String, String, String)] = [
        ("divided_by floors exactly, beyond 2^53", "{{ n | divided_by: 3 }}|{{ -7 | divided_by: 2 }}|{{ 7 | divided_by: -2 }}",
         #"{"n": 9007199254740993}"#, "3002399751580331|-4|-4"),
        ("divided_by: Int.max by 1, Int.min by -1", "{{ a | divided_by: 1 }}|{{ b | divided_by: -1 }}",
         #"{"a": \#(intMax), "b": \#(intMin)}"#, "9223372036854775807|9223372036854775808"),
        ("modulo: Int.min by -1", "{{ n | modulo: -1 }}", #"{"n": \#(intMin)}"#, "0"),
        ("abs of Int.min", "{{ n | abs }}", #"{"n": \#(intMin)}"#, "9223372036854775808"),
        ("ceil, floor and round beyond Int", "{{ x | ceil }}|{{ y | floor }}|{{ y | round }}",
         #"{"x": 1e19, "y": 1e300}"#, "10000000000000000000|\(oneE300)|\(oneE300)"),
        ("round with extreme precision", "{{ 1.25 | round: 400 }}|{{ 1234.5 | round: -400 }}|{{ 1234 | round: -1000 }}|{{ 2.5 | round: p }}",
         #"{"p": 1e300}"#, "1.25|0|0|2.5"),
        ("truncate and slice with Int.min and Int.max", "{{ 'abcdef' | truncate: a }}|{{ 'abcde' | slice: a, b }}|{{ 'abcde' | slice: 1, b }}",
         #"{"a": \#(intMin), "b": \#(intMax)}"#, "...||bcde"),
        ("sum past Int.max", "{{ a | sum }}", #"{"a": [\#(intMax), 1]}"#, "9223372036854775808"),
        ("increment and decrement stay at the limits", "{% increment c %},{% increment c %}|{% decrement d %},{% decrement d %}",
         #"{"c": \#(intMax), "d": \#(intMin)}"#, "\(intMax),\(intMax)|\(intMin),\(intMin)"),
        ("for: offset + limit at Int.max, a limit of 1e300", "{% for i in (1..5) offset: 1 limit: m %}{{ i }}{% endfor %}|{% for i in (1..3) limit: x %}{{ i }}{% endfor %}",
         #"{"m": \#(intMax), "x": 1e300}"#, "2345|123"),
        ("a range to Int.max is lazy in a loop; first, last, size and contains need no items",
         "{% for i in (0..\(intMax)) limit: 3 %}{{ i }}{% endfor %}|{{ r.size }}|{{ r.last }}|{{ r | first }}|{% if r contains 999999999999 %}yes{% endif %}",
         #"{}"#, ""),
        ("a loop over a long range that breaks early costs only its iterations, as in Shopify's Liquid",
         "{% for i in (1..200000) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in (1..150000) reversed limit: 2 %}{{ i }},{% endfor %}",
         "{}", "12|2,1,"),
        ("range bounds from huge text are clamped", "{% for i in ('1e300'..'1e301') limit: 2 %}{{ i }},{% endfor %}", "{}", "4503599627370496,"),
        ("date passes a time past year 9999 through", "{{ 9300000000000000000 | date: '%Y' }}|{{ x | date: '%Y' }}|{{ 0 | date: '%Y' }}",
         #"{"x": -1e300}"#, "9300000000000000000|-1.0e+300|1970"),
        // Found by fuzzing: Foundation's DateFormatter trapped on a combining mark.
        ("date of text with a combining mark passes through", "{{ s | date: '%b %d' }}|{{ 'March 14, 2016' | date: '%b %d' }}",
         #"{"s": "1\u065esMarch 14, 2016"}"#, "1\u{065E}sMarch 14, 2016|Mar 14"),
        ("16,500 'and' terms and 16,500 'or' terms", "{% if " + Array(repeating: "true", count: 16_500).joined(separator: " and ")
            + " %}and{% endif %}{% if " + Array(repeating: "false", count: 16_499).joined(separator: " or ") + " or true %}or{% endif %}",
         "{}", "andor"),
    ]

    @Test("numbers at the edges render", arguments: rendered)
    func edgesRender(_ name: String, _ template: String, _ data: String, _ expected: String) throws {
        var template = template
        if name.hasPrefix("a range to Int.max") {
            // `r` is the range itself, assigned once.
            template = "{% assign r = (1..1000000000000) %}" + template
            #expect(try render(template, data) == "012|1000000000000|1000000000000|1|yes")
            return
        }
        #expect(try render(template, data) == expected, "\(name)")
    }

    /// (name, template, JSON data, the error kind, a phrase of its message)
    static let refused: [(String, String, String, LiquidError.Kind, String)] = [
        ("ceil of infinity", "{{ x | times: 10 | ceil }}", #"{"x": 1e308}"#, .filterArgument, "ceil of inf is not a number"),
        ("a loop over (1..1e9)", "{% for i in (1..1000000000) %}{% endfor %}", "{}", .limitExceeded, "loops ran more than 100000"),
        ("(1..1e8) joined", "{{ (1..100000000) | join }}", "{}", .limitExceeded, "more items than the 100000 loop iterations"),
        // Found by fuzzing: a long text split into characters made an array of hundreds of
        // thousands for `sort` (seconds of work); what split makes counts as iterations.
        ("a long text split into characters and sorted",
         "{% assign s = 'abcdefghij' %}{% for i in (1..14) %}{% assign s = s | append: s %}{% endfor %}{{ s | split: '' | sort | size }}", "{}",
         .limitExceeded, "'split' made 163840 items"),
        ("a string doubled 40 times", "{% assign s = 'ab' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}", "{}",
         .limitExceeded, "'append' would make a string of 8388608 bytes"),
        ("replace with an empty target on a long text",
         "{{ s | replace: '', r }}", #"{"s": "\#(String(repeating: "x", count: 200_000))", "r": "\#(String(repeating: "y", count: 100))"}"#,
         .limitExceeded, "'replace' would make a string"),
        ("15,000 nested parentheses", "{{ " + String(repeating: "(", count: 15_000) + "1..2" + String(repeating: ")", count: 15_000) + " }}",
         "{}", .limitExceeded, "nested more than 64 deep"),
        ("300 nested liquid tags", "{% liquid " + String(repeating: "liquid ", count: 300) + "echo 1 %}", "{}", .limitExceeded, "nested more than 64 deep"),
    ]

    @Test("runaway templates fail with a clear error", arguments: refused)
    func runawayRefused(_ name: String, _ template: String, _ data: String, _ kind: LiquidError.Kind, _ phrase: String) {
        let error = liquidError { _ = try render(template, data) }
        #expect(error?.kind == kind, "\(name): \(String(describing: error))")
        #expect(error?.message.contains(phrase) == true, "\(name): \(error?.message ?? "no error")")
    }

    @Test("a partial that includes itself twice per level stops at the step limit, with include and with render", arguments: ["include", "render"])
    func exponentialPartials(_ tag: String) throws {
        var nested = "{}"
        for _ in 0..<40 { nested = #"{"c": \#(nested)}"# }
        let partial = "{% if p.c %}{% \(tag) 'p', p: p.c %}{% \(tag) 'p', p: p.c %}{% endif %}x"
        let limits = LiquidLimits(maxSteps: 20_000)
        let error = liquidError { _ = try render("{% \(tag) 'p', p: d %}", #"{"d": \#(nested)}"#, partials: ["p": partial], limits: limits) }
        #expect(error?.kind == .limitExceeded && error?.message.contains("more than 20000 steps") == true, "\(String(describing: error))")
        // Within the budget the same partial renders: 2^6 leaves at depth 6.
        var shallow = "{}"
        for _ in 0..<6 { shallow = #"{"c": \#(shallow)}"# }
        #expect(try render("{% \(tag) 'p', p: d %}", #"{"d": \#(shallow)}"#, partials: ["p": partial], limits: limits).count == 127)
    }
}

/// Inputs that used to take time quadratic in their size: each is linear now. The time
/// limit is far above what linear work needs here, and far below what the old code took.
@Suite("Linear-time filters and tags")
struct LinearTimeTests {
    @Test("strip_html over 200,000 '<' with no '>', and over unclosed '<script' tags", .timeLimit(.minutes(1)))
    func stripHTML() throws {
        let text = String(repeating: "<", count: 200_000)
        #expect(try render("{{ t | strip_html | size }}", #"{"t": "\#(text)"}"#) == "200000")
        let scripts = String(repeating: "<script>a", count: 30_000)
        // As Ruby's: an unclosed script element is not a block, its tag alone is removed.
        #expect(try render("{{ t | strip_html | size }}", #"{"t": "\#(scripts)"}"#) == "30000")
        #expect(try render("{{ 'a<b>c</b><script>x</script>d<!-- e -->f' | strip_html }}") == "acdf")
    }

    @Test("a comment holding 40,000 tags, and 5,000 nested comments", .timeLimit(.minutes(1)))
    func comments() throws {
        let tags = String(repeating: "{% if x %}y{% endif %}", count: 20_000)
        #expect(try render("a{% comment %}\(tags){% endcomment %}b") == "ab")
        let nested = String(repeating: "{% comment %}", count: 5_000) + "z" + String(repeating: "{% endcomment %}", count: 5_000)
        #expect(try render("a\(nested)b") == "ab")
    }

    @Test("uniq of 100,000 distinct values, and with a property", .timeLimit(.minutes(1)))
    func uniq() throws {
        let items = (0..<100_000).map { "\($0 % 50_000)" }.joined(separator: ",")
        #expect(try render("{{ a | uniq | size }}", #"{"a": [\#(items)]}"#) == "50000")
        // 1 and 1.0 stay apart, as in Ruby; equal strings and objects collapse.
        #expect(try render(#"{{ a | uniq | join: "," }}"#, #"{"a": [1, 1.0, "1", 1, "1", null, null, true, true]}"#) == "1,1.0,1,,true")
        #expect(try render("{{ a | uniq: 'k' | map: 'v' | join: ',' }}", #"{"a": [{"k": 1, "v": "a"}, {"k": 1, "v": "b"}, {"k": 2, "v": "c"}]}"#) == "a,c")
    }
}
