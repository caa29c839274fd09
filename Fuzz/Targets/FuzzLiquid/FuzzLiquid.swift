import Foundation
import Liquid
import FuzzSupport

/// libFuzzer target: parse and render one template (Braze dialect, then plain Liquid). An input with a NUL
/// byte is a template, then JSON data after the NUL; a `{% include 'p' %}` finds the
/// template itself, so recursive partials are explored too. Tight limits keep each input
/// fast; a render or parse error is fine, a trap, hang or memory blow-up is a finding.
func fuzzLiquid(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let source = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
    let json = split < bytes.count ? String(decoding: UnsafeBufferPointer(rebasing: bytes[(split + 1)...]), as: UTF8.self) : "{}"
    let limits = LiquidLimits(maxOutputBytes: 1 << 16, maxLoopIterations: 10_000, maxDepth: 32, maxValueBytes: 1 << 18, maxSteps: 50_000)
    let values = (try? LiquidValue(json: json)) ?? .object(LiquidObject())
    for dialect in [Dialect.braze, .liquid] {
        guard let template = try? Template(source, dialect: dialect, limits: limits) else { continue }
        // Content blocks and connected_content answers are the template itself and the
        // JSON data, so recursion and :rerender are explored too.
        let options = RenderOptions(now: { Date(timeIntervalSince1970: 1_700_000_000) }, limits: limits, partials: { _ in source },
                                    contentBlocks: { _ in source },
                                    connectedContent: { request in ConnectedContentResponse(status: request.retry ? 503 : 200, body: request.url.hasSuffix("t") ? source : json) })
        _ = try? template.render(values, options: options)
    }
    return 0
}

@_cdecl("FuzzLiquid_main")
func fuzzLiquidMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzLiquid)
}
