import BigInt

/// Number conversions and arithmetic on values that come from templates and data, which
/// must never trap: Swift stops the process on an integer overflow or on converting a
/// Double that does not fit, and one hostile template must not stop a service.
enum CheckedNumbers {
    /// The largest magnitude an integer argument (a length, offset, count) is taken at:
    /// far beyond any string or array, and small enough that sums of two never overflow.
    static let argumentBound = 1 << 52

    /// `value` clamped to ±``argumentBound``.
    static func clampedArgument(_ value: Int) -> Int {
        min(max(value, -argumentBound), argumentBound)
    }

    /// `value` rounded toward zero, clamped to ±``argumentBound``; 0 for NaN.
    static func clampedArgument(_ value: Double) -> Int {
        guard !value.isNaN else { return 0 }
        return Int(min(max(value, -Double(argumentBound)), Double(argumentBound)))
    }

    /// An integral Double as an integer: `.int` when it fits in an Int, else a
    /// ``BigInteger`` (Ruby's Bignum); an error for infinity and NaN, as Ruby raises
    /// FloatDomainError.
    static func integral(_ value: Double, _ filter: String) throws(LiquidError) -> LiquidValue {
        guard value.isFinite else { throw LiquidError(.filterArgument, "\(filter) of \(value) is not a number") }
        if let exact = Int(exactly: value) { return .int(exact) }
        return try LiquidValue.integer(BigInt(value))
    }

    /// A big integer as an argument (a length, offset, count): clamped to ±``argumentBound``.
    static func clampedArgument(_ value: BigInteger) -> Int {
        value.value.sign == .minus ? -argumentBound : argumentBound
    }

    /// The number of integers in `low...high` (0 when `high < low`), `Int.max` when that
    /// does not fit.
    static func rangeCount(_ low: Int, _ high: Int) -> Int {
        guard high >= low else { return 0 }
        let (difference, overflow) = high.subtractingReportingOverflow(low)
        guard !overflow, difference < Int.max else { return Int.max }
        return difference + 1
    }
}
