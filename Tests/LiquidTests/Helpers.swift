import Foundation
import Liquid

/// Parses and renders `source` with `json` data; returns the output (or "ABORTED: reason").
func render(
    _ source: String, _ json: String = "{}", dialect: Dialect = .liquid, strict: Bool = false,
    partials: [String: String] = [:], limits: LiquidLimits = LiquidLimits(),
    now: Date = Date(timeIntervalSince1970: 1_700_000_000)
) throws -> String {
    let template = try Template(source, dialect: dialect, limits: limits)
    let options = RenderOptions(strictVariables: strict, now: { now }, limits: limits, partials: { partials[$0] })
    switch try template.render(try LiquidValue(json: json), options: options) {
    case .output(let text): return text
    case .aborted(let reason): return "ABORTED: \(reason ?? "nil")"
    }
}

/// The LiquidError thrown by `body`, or nil.
func liquidError(_ body: () throws -> Void) -> LiquidError? {
    do {
        try body()
        return nil
    } catch let error as LiquidError {
        return error
    } catch {
        return nil
    }
}
