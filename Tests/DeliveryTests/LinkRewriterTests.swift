import Delivery
import Foundation
import Testing

@Suite("Link rewriting")
struct LinkRewriterTests {
    /// A tracking URL per link, with an `&` to escape.
    static func tracked(_ link: FoundLink) -> String { "https://t.example/c/\(link.index)?d=d_1&i=\(link.index)" }

    static let email = #"""
        <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
        <title>Spring sale &amp; <a href="https://title.example/">more</a></title>
        <style type="text/css">
          a[href^="http"] { color: #0a66c2 !important; }
          /* <a href="http://style.example/"> */
        </style>
        <!--[if mso]><a href="http://mso.example/">Outlook only</a><![endif]-->
        </head>
        <body style="margin:0; padding:0">
        <!-- old header: <a href="http://x">old</a> -->
        <script type="text/javascript">var s = "<a href=http://script.example/>"; if (a < b && c > d) {}</script>
        <table role="presentation" width="100%"><tr><td class="hero">
        <p>Hello Zoë — a < b, and ¡olé!</p>
        <A HREF='https://a.example/?x=1&amp;y=2' Class="btn">Shop now</A>
        <a href=http://unquoted.example/path?q=1 target=_blank>unquoted</a>
        <a class="hero" data-alias="hero-button" href="  https://shop.example/spring?utm_source=email&amp;utm_medium=crm  ">Hero</a>
        <a href="mailto:help@example.com">Mail us</a> <a href="#top">Top</a> <a href="tel:+15555550100">Call</a>
        <a href="//cdn.example/protocol-relative">cdn</a> <a name="anchor">no href</a> <a href="">empty</a>
        <a href="https://unsubscribe.example/u/123" data-no-track>Unsubscribe</a>
        <a data-alias="prefs" DATA-NO-TRACK="true" href="https://prefs.example/">Preferences</a>
        <img src="https://cdn.example/logo.png" alt="logo"/>
        <map name="m"><area shape="rect" coords="0,0,10,10" href="HTTPS://map.example/&#x41;&#66;" data-alias='map &quot;area&quot;'></map>
        </td></tr></table>
        </body>
        </html>
        """#

    @Test("an email's links are found and rewritten; nothing else changes, byte for byte")
    func realisticEmail() {
        let pixel = "https://t.example/o?d=d_1&x=1"
        let (html, links) = LinkRewriter.rewriteHTML(Self.email, pixel: pixel, replace: Self.tracked)
        #expect(links == [
            FoundLink(index: 0, url: "https://a.example/?x=1&y=2"),
            FoundLink(index: 1, url: "http://unquoted.example/path?q=1"),
            FoundLink(index: 2, url: "https://shop.example/spring?utm_source=email&utm_medium=crm", alias: "hero-button"),
            FoundLink(index: 3, url: "HTTPS://map.example/AB", alias: #"map "area""#),
        ])
        // Each rewritten value, as written, and the input's raw text it replaced.
        let rewritten = [
            (#"'https://t.example/c/0?d=d_1&amp;i=0'"#, #"'https://a.example/?x=1&amp;y=2'"#),
            (#""https://t.example/c/1?d=d_1&amp;i=1""#, #"http://unquoted.example/path?q=1"#),
            (#""https://t.example/c/2?d=d_1&amp;i=2""#,
             #""  https://shop.example/spring?utm_source=email&amp;utm_medium=crm  ""#),
            (#""https://t.example/c/3?d=d_1&amp;i=3""#, #""HTTPS://map.example/&#x41;&#66;""#),
        ]
        let pixelTag = #"<img src="https://t.example/o?d=d_1&amp;x=1" width="1" height="1" alt="" style="display:none">"#
        var restored = html
        for (new, old) in rewritten {
            #expect(html.components(separatedBy: new).count == 2, "\(new) once")
            restored = restored.replacingOccurrences(of: new, with: old)
        }
        #expect(html.components(separatedBy: pixelTag).count == 2)
        #expect(html.contains(pixelTag + "</body>\n</html>"))
        restored = restored.replacingOccurrences(of: pixelTag, with: "")
        #expect(restored == Self.email)
    }

    @Test("a replacement's & and quote are escaped for the attribute's quoting")
    func escaping() {
        let html = #"<a href="https://a.example/">a</a><a href='https://b.example/'>b</a><a href=https://c.example/>c</a>"#
        let (out, links) = LinkRewriter.rewriteHTML(html, pixel: nil) { #"https://t.example/?a=1&b="it's"&i=\#($0.index)"# }
        #expect(links.count == 3)
        #expect(out == #"<a href="https://t.example/?a=1&amp;b=&quot;it's&quot;&amp;i=0">a</a>"#
            + #"<a href='https://t.example/?a=1&amp;b="it&#39;s"&amp;i=1'>b</a>"#
            + #"<a href="https://t.example/?a=1&amp;b=&quot;it's&quot;&amp;i=2">c</a>"#)
        #expect(!out.contains("&b=") && !out.contains("&i="))
    }

    @Test("entities in href and data-alias are decoded; unknown ones stay as written")
    func entities() {
        let html = #"<a href="https://a.example/&#x2F;p?q=&quot;x&quot;&amp;r=1&copy;&amp=2&lt" data-alias="A &amp; B &#233;">x</a>"#
        let (_, links) = LinkRewriter.rewriteHTML(html, pixel: nil) { _ in "u" }
        #expect(links == [FoundLink(index: 0, url: #"https://a.example//p?q="x"&r=1&copy;&amp=2<"#, alias: "A & B é")])
    }

    @Test("the pixel goes before the last real </body>, whatever its case, or at the end")
    func pixel() {
        let pixelTag = #"<img src="P" width="1" height="1" alt="" style="display:none">"#
        let html = "<html><body><p>x</p></BODY ><!-- </body> --><script>\"</body>\"</script></html>"
        #expect(LinkRewriter.rewriteHTML(html, pixel: "P") { $0.url }.html
            == "<html><body><p>x</p>\(pixelTag)</BODY ><!-- </body> --><script>\"</body>\"</script></html>")
        #expect(LinkRewriter.rewriteHTML("<p>no body</p>", pixel: "P") { $0.url }.html == "<p>no body</p>" + pixelTag)
        #expect(LinkRewriter.rewriteHTML("<body></body>", pixel: nil) { $0.url }.html == "<body></body>")
    }

    @Test("malformed HTML keeps its text and doesn't crash", arguments: [
        #"<p>Hi <a href="https://x.example/ unterminated"#,
        #"<p>Hi <a href='https://x.example/>no closing quote</a></p>"#,
        "text <a href=",
        "text <a href",
        "a < b and <",
        "<",
        "<a",
        "</",
        "<!--",
        "<!-- unterminated <a href=\"https://x.example/\">x</a>",
        "<!DOCTYPE",
        "<script>no end <a href=\"https://x.example/\">x</a>",
        "<style>a { } </styl <a href=\"https://x.example/\">",
        "<a href=\"https://x.example/\"",
        "&amp; &#; &#x; &#99999999999999; <<<>>> </> <//> <!> <? ?>",
    ])
    func malformed(html: String) {
        let (out, links) = LinkRewriter.rewriteHTML(html, pixel: nil) { "REWRITTEN\($0.index)" }
        #expect(out == html)
        #expect(links.isEmpty)
    }

    @Test("links before malformed markup are rewritten, the rest is left alone")
    func malformedTail() {
        let html = #"<a href="https://ok.example/">ok</a> then <a href='https://x.example/ and <a href="https://y.example/">y</a>"#
        let (out, links) = LinkRewriter.rewriteHTML(html, pixel: "P") { _ in "T" }
        #expect(links == [FoundLink(index: 0, url: "https://ok.example/")])
        #expect(out == #"<a href="T">ok</a> then <a href='https://x.example/ and <a href="https://y.example/">y</a>"#
            + #"<img src="P" width="1" height="1" alt="" style="display:none">"#)
    }

    @Test("odd but valid markup: comments closed early, attributes without spaces, duplicate href")
    func oddMarkup() {
        let html = #"<!--><a href="https://1.example/">1</a><!---><a/href="https://2.example/"/>"#
            + #"<a href="https://3.example/" href="https://not.example/">3</a><a href = "https://4.example/" >4</a>"#
            + "<a\thref\n=\nhttps://5.example/>5</a><textarea><a href=\"https://no.example/\"></textarea>"
        let (out, links) = LinkRewriter.rewriteHTML(html, pixel: nil) { "t\($0.index)" }
        #expect(links.map(\.url) == (1...5).map { "https://\($0).example/" })
        #expect(out == #"<!--><a href="t0">1</a><!---><a/href="t1"/>"#
            + #"<a href="t2" href="https://not.example/">3</a><a href = "t3" >4</a>"#
            + "<a\thref\n=\n\"t4\">5</a><textarea><a href=\"https://no.example/\"></textarea>")
    }

    @Test("arbitrary fragments never crash, and every link found is rewritten once")
    func fuzz() {
        let pieces = [
            "<a href=\"https://a.example/\">", "<a href='http://b.example/?x=1&amp;y=2'>", "<a href=https://c.example/>",
            "</a>", "<!--", "-->", "<script>", "</script>", "<style>", "</style>", "\"", "'", "<", ">", "=", " ",
            "href=", "<area href=\"https://d.example/\" data-alias=\"d\">", "<a data-no-track href=\"https://e.example/\">",
            "&amp;", "é", "😀", "<!DOCTYPE html>", "</body>", "<body>", "text",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<500 {
            var html = ""
            for _ in 0..<30 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                html += pieces[Int(state >> 33) % pieces.count]
            }
            let (out, links) = LinkRewriter.rewriteHTML(html, pixel: nil) { "@@\($0.index)@@" }
            #expect(links.map(\.index) == Array(links.indices))
            #expect(out.components(separatedBy: "@@").count == 2 * links.count + 1)
        }
    }

    @Test("a large body is rewritten in one pass")
    func large() {
        let html = "<body>" + String(repeating: "<p>x</p><a href=\"https://a.example/?q=1&amp;r=2\">a</a>", count: 50_000) + "</body>"
        let (out, links) = LinkRewriter.rewriteHTML(html, pixel: "P") { _ in "T" }
        #expect(links.count == 50_000 && links.last?.index == 49_999)
        #expect(out.hasSuffix("</a><img src=\"P\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none\"></body>"))
        let unterminated = String(repeating: "<a href='x ", count: 50_000) + String(repeating: "<!-- <", count: 50_000)
        #expect(LinkRewriter.rewriteHTML(unterminated, pixel: nil) { _ in "T" }.html == unterminated)
    }

    @Test("bare URLs in text: trailing punctuation stays outside, parentheses balance")
    func text() {
        let text = #"Hi! Go to https://a.example/x. Or https://b.example/y, then (see https://x.example/a_(b)) and "#
            + #"<https://c.example/z>, "https://d.example/q"! Also HTTP://E.example/?a=1&b=2; and (https://f.example/g)."#
        let (out, links) = LinkRewriter.rewriteText(text, startIndex: 3) { "[L\($0.index)]" }
        #expect(links == [
            FoundLink(index: 3, url: "https://a.example/x"),
            FoundLink(index: 4, url: "https://b.example/y"),
            FoundLink(index: 5, url: "https://x.example/a_(b)"),
            FoundLink(index: 6, url: "https://c.example/z"),
            FoundLink(index: 7, url: "https://d.example/q"),
            FoundLink(index: 8, url: "HTTP://E.example/?a=1&b=2"),
            FoundLink(index: 9, url: "https://f.example/g"),
        ])
        #expect(out == #"Hi! Go to [L3]. Or [L4], then (see [L5]) and <[L6]>, "[L7]"! Also [L8]; and ([L9])."#)
    }

    @Test("text edge cases", arguments: [
        ("", "", [String]()),
        ("no links here", "no links here", []),
        ("http:// alone, https://.", "http:// alone, https://.", []),
        ("xhttps://glued.example/ https://ok.example/", "xhttps://glued.example/ [0]", ["https://ok.example/"]),
        ("'https://g.example/a'?!", "'[0]'?!", ["https://g.example/a"]),
        ("https://h.example/ü/é\u{A0}next\tline\nhttps://i.example/[1]].",
         "[0]\u{A0}next\tline\n[1]].", ["https://h.example/ü/é", "https://i.example/[1]"]),
        ("https://j.example/a)b) end", "[0]) end", ["https://j.example/a)b"]),
        ("at end https://k.example", "at end [0]", ["https://k.example"]),
    ])
    func textEdges(text: String, expected: String, urls: [String]) {
        let (out, links) = LinkRewriter.rewriteText(text) { "[\($0.index)]" }
        #expect(out == expected)
        #expect(links.map(\.url) == urls)
        #expect(links.allSatisfy { $0.alias == nil })
    }

    @Test("an email's HTML and text parts number their links without collisions")
    func htmlThenText() {
        let (_, htmlLinks) = LinkRewriter.rewriteHTML(#"<a href="https://a.example/">a</a><a href="https://b.example/">b</a>"#,
                                                      pixel: nil) { $0.url }
        let (_, textLinks) = LinkRewriter.rewriteText("https://a.example/ https://b.example/", startIndex: htmlLinks.count) { $0.url }
        #expect(htmlLinks.map(\.index) == [0, 1] && textLinks.map(\.index) == [2, 3])
    }
}
