import BigInt

/// Liquid's `==`, `<`, `contains` and friends.
extension LiquidValue {
    /// Liquid equality: numbers compare by value across int and float, `empty` and
    /// `blank` compare by emptiness/blankness, collections by content.
    func liquidEquals(_ other: LiquidValue) -> Bool {
        switch (self, other) {
        case (.empty, .empty), (.blank, .blank): return true
        case (.empty, .blank), (.blank, .empty): return false
        case (.empty, let value), (let value, .empty): return value.isEmptyValue && !isNilLike(value)
        case (.blank, let value), (let value, .blank): return value.isBlankValue
        case (.int(let a), .int(let b)): return a == b
        case (.int(let a), .double(let b)): return Double(a) == b
        case (.double(let a), .int(let b)): return a == Double(b)
        case (.double(let a), .double(let b)): return a == b
        case (.bigInteger(let a), .bigInteger(let b)): return a == b
        case (.bigInteger, .int), (.int, .bigInteger): return false  // a BigInteger never fits an Int
        case (.bigInteger(let a), .double(let b)), (.double(let b), .bigInteger(let a)):
            return b.isFinite && b.rounded() == b && BigInt(exactly: b) == a.value
        // Ruby compares strings by their bytes: "é" and "e\u{301}" differ, as they do there.
        case (.string(let a), .string(let b)): return ByteOrder.equal(a, b)
        case (.bool(let a), .bool(let b)): return a == b
        case (.nil, .nil): return true
        case (.range(let a, let b), .range(let c, let d)):
            let count = CheckedNumbers.rangeCount(a, b)
            return count == CheckedNumbers.rangeCount(c, d) && (count == 0 || a == c)
        case (.range(let low, let high), .array(let items)), (.array(let items), .range(let low, let high)):
            // Compared item by item only when the counts agree, so a huge range never expands.
            guard CheckedNumbers.rangeCount(low, high) == items.count else { return false }
            return items.indices.allSatisfy { LiquidValue.int(low + $0).liquidEquals(items[$0]) }  // low + index <= high
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.liquidEquals($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.pairs.allSatisfy { key, value in b[key].map { value.liquidEquals($0) } ?? false }
        default: return false
        }
    }

    private func isNilLike(_ value: LiquidValue) -> Bool {
        if case .nil = value { return true }
        return false
    }

    /// Liquid ordering for `<`, `>`, `<=`, `>=`: numbers and strings; nil when the two
    /// cannot be ordered (then the comparison is an error, or false against `empty`/`blank`).
    func liquidCompare(_ other: LiquidValue) -> Int? {
        switch (self, other) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.int, .double), (.double, .int), (.double, .double):
            guard let a = numericValue, let b = other.numericValue else { return nil }
            return a < b ? -1 : (a > b ? 1 : 0)
        case (.bigInteger, .int), (.int, .bigInteger), (.bigInteger, .bigInteger):
            guard let a = exactInteger, let b = other.exactInteger else { return nil }
            return a < b ? -1 : (a > b ? 1 : 0)
        case (.bigInteger, .double), (.double, .bigInteger):
            guard let a = numericValue, let b = other.numericValue else { return nil }
            return a < b ? -1 : (a > b ? 1 : 0)
        case (.string(let a), .string(let b)):
            // By bytes, as Ruby orders strings (UTF-8's byte order is code point order).
            return ByteOrder.compare(a, b)
        default: return nil
        }
    }

    /// The value as a Double when it is a number.
    var numericValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .bigInteger(let value): return value.doubleValue
        default: return nil
        }
    }

    /// Liquid `contains`: substring of a string, element of an array, key of an object.
    func liquidContains(_ needle: LiquidValue) -> Bool {
        guard needle.isTruthy else { return false }  // `contains nil/false` is false, as in Ruby
        switch self {
        case .string(let text):
            if case .string(let part) = needle { return text.contains(part) || part.isEmpty }
            return text.contains(needle.renderedString)
        case .range(let low, let high):
            switch needle {
            case .int(let number): return low <= number && number <= high
            case .double(let number): return number.rounded() == number && Double(low) <= number && number <= Double(high)
            default: return false
            }
        case .array(let items):
            return items.contains { $0.liquidEquals(needle) }
        case .object(let object):
            if case .string(let key) = needle { return object[key] != nil }
            return false
        default:
            return false
        }
    }
}
