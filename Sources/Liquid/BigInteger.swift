import BigInt

/// An integer beyond `Int`'s 64 bits, as Ruby's Bignum: what `{{ 9223372036854775807 |
/// plus: 1 }}` gives, or a 20-digit integer in template data.
///
/// Values are made only when 64 bits overflow, so the common path stays on `Int`: a
/// `BigInteger` never holds a value that fits in an `Int` (such a value is
/// ``LiquidValue/int(_:)``), and never one wider than ``maxBits``.
public struct BigInteger: Sendable, Hashable, CustomStringConvertible {
    /// The widest integer a template may make: a `times` in a loop would otherwise double
    /// its size at every turn. Wider is a `limitExceeded` error.
    public static let maxBits = 4096

    let value: BigInt

    /// The value, or nil when it fits in an `Int` or is wider than ``maxBits``.
    init?(exactly value: BigInt) {
        guard Int(exactly: value) == nil, value.magnitude.bitWidth <= Self.maxBits else { return nil }
        self.value = value
    }

    /// Decimal digits with an optional leading `-`; nil for anything else, for a value
    /// that fits in an `Int`, and for one wider than ``maxBits``.
    public init?(_ text: String) {
        guard let value = Self.parse(text) else { return nil }
        self.init(exactly: value)
    }

    /// Parses decimal digits with an optional `-` (BigInt's own parser also takes `+`
    /// and letters in other radixes).
    static func parse(_ text: String) -> BigInt? {
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        // ~1233 digits is 4096 bits: longer text is refused before it is parsed.
        guard !digits.isEmpty, digits.count <= 1240, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return BigInt(text, radix: 10)
    }

    /// The decimal digits, with `-` when negative.
    public var description: String { String(value) }

    /// The nearest Double (infinite beyond Double's range).
    public var doubleValue: Double { Double(value) }
}

extension LiquidValue {
    /// An integer result: `.int` when it fits, ``bigInteger(_:)`` when not, and a
    /// `limitExceeded` error beyond ``BigInteger/maxBits``.
    static func integer(_ value: BigInt) throws(LiquidError) -> LiquidValue {
        if let small = Int(exactly: value) { return .int(small) }
        guard let big = BigInteger(exactly: value) else {
            throw LiquidError(.limitExceeded, "an integer wider than \(BigInteger.maxBits) bits")
        }
        return .bigInteger(big)
    }

    /// The value as an exact integer, when it is one (`.int` or `.bigInteger`).
    var exactInteger: BigInt? {
        switch self {
        case .int(let value): return BigInt(value)
        case .bigInteger(let value): return value.value
        default: return nil
        }
    }
}
