/// A filter: the value on its left and its arguments in, a new value out.
typealias Filter = @Sendable (LiquidValue, FilterArguments) throws(LiquidError) -> LiquidValue

/// The evaluated arguments of one filter call.
struct FilterArguments {
    var positional: [LiquidValue]
    var keywords: [String: LiquidValue]
    let state: RenderState

    /// Checks the number of positional arguments.
    func expect(_ range: ClosedRange<Int>) throws(LiquidError) {
        guard range.contains(positional.count) else {
            let wanted = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw LiquidError(.filterArgument, "expected \(wanted) argument(s), got \(positional.count)")
        }
    }

    /// The value's items (a range's counted against the loop limit first).
    func items(_ value: LiquidValue) throws(LiquidError) -> [LiquidValue] { try state.items(value) }

    /// The value's items with nested arrays flattened (ranges counted first).
    func flattened(_ value: LiquidValue) throws(LiquidError) -> [LiquidValue] { try state.flattened(value) }

    subscript(index: Int) -> LiquidValue? {
        positional.indices.contains(index) ? positional[index] : nil
    }
}

/// The filters every template can use: Liquid's standard ones, the newer array filters
/// (`find`, `has`, `reject`, ...) and Braze's escapes.
enum StandardFilters {
    static let all: [String: Filter] = {
        var filters: [String: Filter] = [:]
        filters.merge(StringFilters.all) { $1 }
        filters.merge(MathFilters.all) { $1 }
        filters.merge(ArrayFilters.all) { $1 }
        filters["date"] = DateFilter.date
        filters.merge(BrazeFilters.all) { $1 }
        return filters
    }()
}

extension LiquidValue {
    /// The value as a number for math filters: numbers as they are, numeric strings
    /// parsed, anything else 0.
    var numberForMath: LiquidValue {
        switch self {
        case .int, .double, .bigInteger: return self
        case .string(let text):
            let trimmed = text.trimmingSpaces()
            if let integer = Int(trimmed) { return .int(integer) }
            if let big = BigInteger(trimmed) { return .bigInteger(big) }
            if let double = Double(trimmed), !trimmed.lowercased().contains("n") { return .double(double) }
            // A leading number ("3 apples") counts, as Ruby's to_f does not, so: 0.
            return .int(0)
        default:
            return .int(0)
        }
    }

    /// The text of the value for string filters (nil is "").
    var text: String { renderedString }
}
