import BigInt
import Foundation

/// Arithmetic filters. Integers stay integers where Ruby's would (`divided_by` of two
/// integers floors); mixing in a float gives a float. Rounding of halves goes away from
/// zero, as in Shopify's Ruby implementation.
enum MathFilters {
    static let all: [String: Filter] = [
        "plus": { value, arguments throws(LiquidError) in
            try arithmetic(value, arguments, { $0.addingReportingOverflow($1) }, +, +)
        },
        "minus": { value, arguments throws(LiquidError) in
            try arithmetic(value, arguments, { $0.subtractingReportingOverflow($1) }, -, -)
        },
        "times": { value, arguments throws(LiquidError) in
            try arithmetic(value, arguments, { $0.multipliedReportingOverflow(by: $1) }, *, *)
        },
        "divided_by": { value, arguments throws(LiquidError) in
            switch try divisionOperands(value, arguments) {
            case (.int(let a), .int(let b)):
                // Floor division, exactly (through Double it lost digits above 2^53).
                let (quotient, overflow) = a.dividedReportingOverflow(by: b)
                if overflow { return try .integer(-BigInt(a)) }  // Int.min / -1
                return .int(quotient * b != a && (a < 0) != (b < 0) ? quotient - 1 : quotient)
            case (let left, let right):
                if let a = left.exactInteger, let b = right.exactInteger {
                    let (quotient, remainder) = a.quotientAndRemainder(dividingBy: b)
                    return try .integer(!remainder.isZero && (a.sign == .minus) != (b.sign == .minus) ? quotient - 1 : quotient)
                }
                return .double(decimal(left.numericValue ?? 0, right.numericValue ?? 0, /))
            }
        },
        "modulo": { value, arguments throws(LiquidError) in
            switch try divisionOperands(value, arguments) {
            case (.int(let a), .int(let b)):
                let remainder = a.remainderReportingOverflow(dividingBy: b).partialValue  // Int.min % -1 is 0
                return .int(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
            case (let left, let right) where left.exactInteger != nil && right.exactInteger != nil:
                let a = left.exactInteger ?? 0, b = right.exactInteger ?? 1
                let remainder = a % b
                return try .integer(!remainder.isZero && (remainder.sign == .minus) != (b.sign == .minus) ? remainder + b : remainder)
            case (let left, let right):
                let a = left.numericValue ?? 0, b = right.numericValue ?? 0
                var remainder = fmod(a, b)
                if remainder != 0 && (remainder < 0) != (b < 0) { remainder += b }
                // Through decimal text, as Shopify's BigDecimal does: 10.1 % 7 is 3.1.
                let digits = max(fractionDigits(a), fractionDigits(b))
                let scale = pow(10.0, Double(digits))
                return .double((remainder * scale).rounded() / scale)
            }
        },
        "abs": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            switch value.numberForMath {
            case .int(let number): return number == .min ? try .integer(-BigInt(number)) : .int(abs(number))
            case .bigInteger(let number): return try .integer(BigInt(sign: .plus, magnitude: number.value.magnitude))
            case .double(let number): return .double(abs(number))
            default: return .int(0)
            }
        },
        "ceil": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            if case .bigInteger = value.numberForMath { return value.numberForMath }
            return try CheckedNumbers.integral((value.numberForMath.numericValue ?? 0).rounded(.up), "ceil")
        },
        "floor": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            if case .bigInteger = value.numberForMath { return value.numberForMath }
            return try CheckedNumbers.integral((value.numberForMath.numericValue ?? 0).rounded(.down), "floor")
        },
        "round": { value, arguments throws(LiquidError) in
            try arguments.expect(0...1)
            let number = value.numberForMath
            let digits: Int
            switch arguments[0]?.numberForMath {
            case .int(let value)?: digits = value
            case .double(let value)?: digits = CheckedNumbers.clampedArgument(value)
            default: digits = 0
            }
            // Past ±400 places every Double rounds to itself or to 0.
            let places = min(max(digits, -400), 400)
            switch number {
            case .int, .bigInteger:
                if digits >= 0 { return number }
                // A negative precision rounds to tens, hundreds, ...: exactly, halves away from zero.
                // 10^1300 is beyond every integer a template holds: rounding there gives 0.
                if let exact = number.exactInteger {
                    let unit = BigInt(10).power(min(-digits, 1300))
                    let (quotient, remainder) = exact.quotientAndRemainder(dividingBy: unit)
                    let away = BigInt(remainder.magnitude) * 2 >= unit ? (exact.sign == .minus ? -1 : 1) : 0
                    return try .integer((quotient + BigInt(away)) * unit)
                }
            default: break
            }
            let double = number.numericValue ?? 0
            if digits <= 0 && arguments[0] == nil {
                return try CheckedNumbers.integral(double.rounded(.toNearestOrAwayFromZero), "round")
            }
            guard double.isFinite else { return digits <= 0 ? try CheckedNumbers.integral(double, "round") : .double(double) }
            let scale = pow(10.0, Double(places))
            var rounded = (double * scale).rounded(.toNearestOrAwayFromZero) / scale
            if !rounded.isFinite || scale == 0 { rounded = places > 0 ? double : 0 }  // the scale overflowed
            return digits <= 0 ? try CheckedNumbers.integral(rounded, "round") : .double(rounded)
        },
        "at_least": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            let a = value.numberForMath, b = arguments.positional[0].numberForMath
            return (a.liquidCompare(b) ?? 0) >= 0 ? a : b
        },
        "at_most": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            let a = value.numberForMath, b = arguments.positional[0].numberForMath
            return (a.liquidCompare(b) ?? 0) <= 0 ? a : b
        },
    ]

    /// How many decimal places a double has in its short form (at most 15).
    static func fractionDigits(_ value: Double) -> Int {
        var x = abs(value)
        var digits = 0
        while digits < 15 && abs(x - x.rounded()) > 1e-9 * max(1, x) {
            x *= 10
            digits += 1
        }
        return digits
    }

    /// The two numbers of `divided_by`/`modulo`; a zero divisor is an error.
    private static func divisionOperands(_ value: LiquidValue, _ arguments: FilterArguments) throws(LiquidError) -> (LiquidValue, LiquidValue) {
        try arguments.expect(1...1)
        let left = value.numberForMath, right = arguments.positional[0].numberForMath
        guard (right.numericValue ?? 0) != 0 else { throw LiquidError(.filterArgument, "divided by 0") }
        return (left, right)
    }

    private static func arithmetic(
        _ value: LiquidValue, _ arguments: FilterArguments,
        _ intOperation: (Int, Int) -> (partialValue: Int, overflow: Bool), _ doubleOperation: (Double, Double) -> Double,
        _ bigOperation: (BigInt, BigInt) -> BigInt
    ) throws(LiquidError) -> LiquidValue {
        try arguments.expect(1...1)
        switch (value.numberForMath, arguments.positional[0].numberForMath) {
        case (.int(let a), .int(let b)):
            let result = intOperation(a, b)
            // Past 64 bits the result is exact, as Ruby's Bignum: the slow path only on overflow.
            return result.overflow ? try .integer(bigOperation(BigInt(a), BigInt(b))) : .int(result.partialValue)
        case (let a, let b) where a.exactInteger != nil && b.exactInteger != nil:
            // Operands are at most BigInteger.maxBits wide, so even a product is cheap to
            // make before `integer` checks its width.
            return try .integer(bigOperation(a.exactInteger ?? 0, b.exactInteger ?? 0))
        case (let a, let b): return .double(decimal(a.numericValue ?? 0, b.numericValue ?? 0, doubleOperation))
        }
    }

    /// Float math as Shopify's Liquid does it with BigDecimal, so `10.0 | minus: 2.1` is
    /// `7.9`, not `7.8999999999999995`: sums, differences and products are rounded to
    /// the decimal places their operands have between them.
    static func decimal(_ a: Double, _ b: Double, _ operation: (Double, Double) -> Double) -> Double {
        let plain = operation(a, b)
        guard plain.isFinite, abs(plain) < 1e15 else { return plain }
        let places: Int
        switch operation(6, 3) {
        case 9, 3: places = max(fractionDigits(a), fractionDigits(b))
        case 18: places = fractionDigits(a) + fractionDigits(b)
        default: return plain
        }
        guard places < 15 else { return plain }
        let scale = pow(10.0, Double(places))
        let rounded = (plain * scale).rounded() / scale
        return abs(rounded - plain) < 1e-9 * max(1, abs(plain)) ? rounded : plain
    }

}
