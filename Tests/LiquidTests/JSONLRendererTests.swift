import Liquid
import Testing

@Suite("liquid --jsonl protocol")
struct JSONLRendererTests {
    let renderer = JSONLRenderer()

    @Test("output, error and aborted responses carry the request id")
    func responses() {
        #expect(renderer.respond(to: #"{"id": 1, "template": "Hi {{ n }}", "data": {"n": "Ada"}}"#) == #"{"id":1,"output":"Hi Ada"}"#)
        #expect(renderer.respond(to: #"{"id": "x", "template": "{{ m }}", "mode": "strict"}"#).hasPrefix(#"{"id":"x","error":"undefined variable"#))
        #expect(renderer.respond(to: #"{"id": 3, "template": "{% abort_message('stop') %}", "dialect": "braze"}"#) == #"{"id":3,"aborted":true,"reason":"stop"}"#)
        #expect(renderer.respond(to: #"{"id": 4, "template": "{% include 'p' %}", "templates": {"p": "part"}}"#) == #"{"id":4,"output":"part"}"#)
    }

    @Test("malformed requests get an error response, not a crash")
    func malformed() {
        #expect(renderer.respond(to: "not json").hasPrefix(#"{"id":null,"error":"invalid request"#))
        #expect(renderer.respond(to: #"{"id": 5}"#) == #"{"id":5,"error":"the request has no \"template\" string"}"#)
        #expect(renderer.respond(to: #"{"id": 6, "template": "", "mode": "loose"}"#).contains("\\\"mode\\\" must be"))
        // A high surrogate before a non-surrogate escape trapped the reader, ending the stream.
        #expect(renderer.respond(to: #"{"id": 7, "template": "\ud800\u0041"}"#).hasPrefix(#"{"id":null,"error":"invalid request"#))
        #expect(renderer.respond(to: #"{"id": 8, "template": "{{ n | abs }}", "data": {"n": -9223372036854775808}}"#) == #"{"id":8,"output":"9223372036854775808"}"#)
    }
}
