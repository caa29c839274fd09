/// A value a template sees: what the data holds, literals, and what filters make.
///
/// Liquid's rules apply: only `nil` and `false` are falsy; `empty` and `blank` are
/// special literals for comparisons; ranges are lazy integer sequences.
public enum LiquidValue: Sendable, Equatable {
    case `nil`
    case bool(Bool)
    case int(Int)
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
        case .string(let text): return text.count
        case .array(let items): return items.count
        case .object(let object): return object.count
        case .range(let low, let high): return max(0, high - low + 1)
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
public struct LiquidObject: Sendable, Equatable {
    public private(set) var keys: [String]
    private var storage: [String: LiquidValue]

    /// Creates an empty object.
    public init() {
        keys = []
        storage = [:]
    }

    /// Creates an object from ordered pairs; a repeated key keeps its last value.
    public init(_ pairs: [(String, LiquidValue)]) {
        self.init()
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of keys.
    public var count: Int { keys.count }

    /// The value for `key`, or nil.
    public subscript(key: String) -> LiquidValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// The pairs in key order.
    public var pairs: [(String, LiquidValue)] { keys.map { ($0, storage[$0] ?? .nil) } }

    public static func == (lhs: LiquidObject, rhs: LiquidObject) -> Bool {
        lhs.storage == rhs.storage
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
