import Liquid
import Testing

@Suite("Liquid errors and limits")
struct LiquidErrorTests {
    @Test("syntax errors say what and where")
    func syntaxErrorPosition() {
        let error = liquidError { _ = try Template("Hello\n  {{ user.name | }}\nbye") }
        #expect(error?.kind == .syntax)
        #expect(error?.line == 2)
        #expect(error?.column == 3)
        #expect(error?.snippet?.hasPrefix("{{ user.name | }}") == true)
        #expect(error?.description.contains("line 2, column 3") == true)
    }

    @Test("unknown filters and tags are errors in both modes, at parse time")
    func unknownNames() {
        let filter = liquidError { _ = try Template("{{ x | no_such_filter }}") }
        #expect(filter?.kind == .unknownFilter)
        #expect(filter?.message.contains("no_such_filter") == true)
        let tag = liquidError { _ = try Template("a\n{% frobnicate %}") }
        #expect(tag?.kind == .unknownTag)
        #expect(tag?.line == 2)
        let unclosed = liquidError { _ = try Template("{% if x %}open") }
        #expect(unclosed?.kind == .syntax)
        #expect(unclosed?.message.contains("endif") == true)
    }

    @Test("strict mode makes undefined variables errors; lenient renders them empty")
    func strictVariables() throws {
        #expect(try render("[{{ missing }}][{{ user.missing }}]", #"{"user":{}}"#) == "[][]")
        let error = liquidError { _ = try render("ok\n{{ missing }}", strict: true) }
        #expect(error?.kind == .undefinedVariable)
        #expect(error?.line == 2)
        let member = liquidError { _ = try render("{{ user.nickname }}", #"{"user":{}}"#, strict: true) }
        #expect(member?.kind == .undefinedVariable)
    }

    @Test("limits: output size, loop iterations, nesting depth, recursive partials")
    func limits() {
        let output = liquidError { _ = try render("{% for i in (1..1000) %}xxxxxxxxxx{% endfor %}", limits: LiquidLimits(maxOutputBytes: 5000)) }
        #expect(output?.kind == .limitExceeded)
        let loops = liquidError { _ = try render("{% for i in (1..100) %}{% for j in (1..100) %}{% endfor %}{% endfor %}", limits: LiquidLimits(maxLoopIterations: 5000)) }
        #expect(loops?.kind == .limitExceeded)
        let deep = String(repeating: "{% if true %}", count: 10) + String(repeating: "{% endif %}", count: 10)
        let nesting = liquidError { _ = try Template(deep, limits: LiquidLimits(maxDepth: 5)) }
        #expect(nesting?.kind == .limitExceeded)
        let recursion = liquidError { _ = try render("{% include 'me' %}", partials: ["me": "x{% include 'me' %}"]) }
        #expect(recursion?.kind == .limitExceeded)
    }
}
