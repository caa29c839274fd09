/// A value a template sees: what the data holds, literals, and what filters make.
///
/// Liquid's rules apply: only `nil` and `false` are falsy; `empty` and `blank` are
/// special literals for comparisons; ranges are lazy integer sequences.
public enum LiquidValue: Sendable, Equatable {
    case `nil`
    case bool(Bool)
    case int(Int)
    /// An integer beyond 64 bits (Ruby's Bignum), only where an `Int` overflowed. Boxed
    /// (`indirect`): the common values stay as small as before.
    indirect case bigInteger(BigInteger)
    case double(Double)
    case string(String)
    case array([LiquidValue])
    case object(LiquidObject)
    /// An inclusive integer range, `(start..end)`; empty when `end < start`.
    case range(Int, Int)
    /// The `empty` literal.
    case empty
    /// The `blank` literal.
    case blank

    /// Liquid truthiness: everything but `nil` and `false` is true.
    public var isTruthy: Bool {
        switch self {
        case .nil, .bool(false): return false
        default: return true
        }
    }

    /// The value as an array, for loops and array filters (a range expands; a string,
    /// number or object is a one-element array; nil is empty).
    var asArray: [LiquidValue] {
        switch self {
        case .array(let items): return items
        case .range(let low, let high): return low <= high ? (low...high).map { .int($0) } : []
        case .nil, .empty, .blank: return []
        default: return [self]
        }
    }

    /// Whether the value is an array or range.
    var isSequence: Bool {
        switch self {
        case .array, .range: return true
        default: return false
        }
    }

    /// The value's number of items or characters, as `size` reports it.
    var size: Int {
        switch self {
        case .string(let text): return text.unicodeScalars.count
        case .array(let items): return items.count
        case .object(let object): return object.count
        case .range(let low, let high): return CheckedNumbers.rangeCount(low, high)
        default: return 0
        }
    }

    /// Whether the value equals the `empty` literal.
    var isEmptyValue: Bool {
        switch self {
        case .string(let text): return text.isEmpty
        case .array(let items): return items.isEmpty
        case .object(let object): return object.count == 0
        case .range(let low, let high): return high < low
        case .empty: return true
        default: return false
        }
    }

    /// Whether the value equals the `blank` literal.
    var isBlankValue: Bool {
        switch self {
        case .nil, .bool(false), .blank: return true
        case .string(let text): return text.allSatisfy(\.isWhitespace)
        case .array(let items): return items.isEmpty
        case .object(let object): return object.count == 0
        case .empty: return true
        default: return false
        }
    }
}

/// An ordered string-keyed map (JSON objects keep their key order for loops).
///
/// Small objects (most: loop variables, records) are a plain array searched in order,
/// which is faster to build and to read than a hash table; larger ones add an index.
public struct LiquidObject: Sendable, Equatable {
    private var entries: [(key: String, value: LiquidValue)] = []
    private var index: [String: Int]?
    private static let indexThreshold = 12

    /// Creates an empty object.
    public init() {}

    /// Creates an object from ordered pairs; a repeated key keeps its last value.
    public init(_ pairs: [(String, LiquidValue)]) {
        entries.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of keys.
    public var count: Int { entries.count }

    /// The keys in order.
    public var keys: [String] { entries.map(\.key) }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return entries.firstIndex { $0.key == key }
    }

    /// The value for `key`, or nil.
    public subscript(key: String) -> LiquidValue? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let at = position(of: key) {
                if let newValue {
                    entries[at].value = newValue
                } else {
                    entries.remove(at: at)
                    rebuildIndex()
                }
            } else if let newValue {
                entries.append((key, newValue))
                if index != nil {
                    index?[key] = entries.count - 1
                } else if entries.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    private mutating func rebuildIndex() {
        guard entries.count > Self.indexThreshold else { index = nil; return }
        var map: [String: Int] = [:]
        map.reserveCapacity(entries.count)
        for (offset, entry) in entries.enumerated() { map[entry.key] = offset }
        index = map
    }

    /// The pairs in key order.
    public var pairs: [(String, LiquidValue)] { entries.map { ($0.key, $0.value) } }

    public static func == (lhs: LiquidObject, rhs: LiquidObject) -> Bool {
        lhs.count == rhs.count && lhs.entries.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension LiquidValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: LiquidValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, LiquidValue)...) { self = .object(LiquidObject(elements)) }
}
