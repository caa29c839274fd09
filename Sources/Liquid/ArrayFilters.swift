import BigInt

/// Filters on arrays (ranges count as arrays), plus `default`, `size`, `first`, `last`.
enum ArrayFilters {
    static let all: [String: Filter] = [
        "default": { value, arguments throws(LiquidError) in
            try arguments.expect(0...1)
            let fallback = arguments[0] ?? .string("")
            let allowFalse = arguments.keywords["allow_false"]?.isTruthy ?? false
            if case .bool(false) = value, allowFalse { return value }
            if !value.isTruthy || value.isEmptyValue { return fallback }
            return value
        },
        "size": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            if case .object(let object) = value, let size = object["size"] { return size }
            return .int(value.size)
        },
        "first": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            switch value {
            case .object(let object): return object.pairs.first.map { .array([.string($0.0), $0.1]) } ?? .nil
            case .string(let text): return text.unicodeScalars.first.map { .string(String($0)) } ?? .nil
            case .array, .range: return RenderState.member(of: value, .string("first"), dotted: true) ?? .nil
            default: return .nil
            }
        },
        "last": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            switch value {
            case .string(let text): return text.unicodeScalars.last.map { .string(String($0)) } ?? .nil
            case .array, .range: return RenderState.member(of: value, .string("last"), dotted: true) ?? .nil
            default: return .nil
            }
        },
        "join": { value, arguments throws(LiquidError) in
            try arguments.expect(0...1)
            guard value.isSequence else { return value }
            let separator = arguments[0]?.text ?? " "
            return .string(try joined(arguments.flattened(value), separator: separator, arguments))
        },
        "reverse": { value, arguments throws(LiquidError) in
            try arguments.expect(0...0)
            guard value.isSequence else { return value }
            return .array(try arguments.items(value).reversed())
        },
        "concat": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            guard arguments.positional[0].isSequence else {
                throw LiquidError(.filterArgument, "expected an array argument, got \(arguments.positional[0].inspected)")
            }
            return .array(try arguments.flattened(value) + arguments.items(arguments.positional[0]))
        },
        "compact": { value, arguments throws(LiquidError) in
            try arguments.expect(0...1)
            let items = try arguments.items(value)
            if let property = arguments[0] {
                return .array(items.filter { item in
                    if case .nil = RenderState.member(of: item, property, dotted: true) ?? .nil { return false }
                    return true
                })
            }
            return .array(items.filter { if case .nil = $0 { return false } else { return true } })
        },
        "uniq": { value, arguments throws(LiquidError) in
            try arguments.expect(0...1)
            // Numbers, strings, booleans and nil are looked up in a set (linear in all);
            // arrays and objects are compared with the others of their kind.
            var seenScalars: Set<UniqueKey> = []
            var seenOthers: [LiquidValue] = []
            var result: [LiquidValue] = []
            for item in try arguments.items(value) {
                let key = arguments[0].map { RenderState.member(of: item, $0, dotted: true) ?? .nil } ?? item
                if let scalar = UniqueKey(key) {
                    if seenScalars.insert(scalar).inserted { result.append(item) }
                } else if !seenOthers.contains(where: { $0.liquidEquals(key) && $0.kindMatches(key) }) {
                    seenOthers.append(key)
                    result.append(item)
                }
            }
            return .array(result)
        },
        "map": { value, arguments throws(LiquidError) in
            try arguments.expect(1...1)
            let property = arguments.positional[0]
            if case .object = value { return RenderState.member(of: value, property, dotted: true) ?? .nil }
            var result: [LiquidValue] = []
            for item in try arguments.flattened(value) {
                switch item {
                case .object: result.append(RenderState.member(of: item, property, dotted: true) ?? .nil)
                case .nil: result.append(.nil)
                default: throw LiquidError(.filterArgument, "map needs an array of objects, got \(item.inspected)")
                }
            }
            return .array(result)
        },
        "where": { value, arguments throws(LiquidError) in
            try arguments.expect(1...2)
            return try select(value, arguments, keep: true).map { .array($0) } ?? .nil
        },
        "reject": { value, arguments throws(LiquidError) in
            try arguments.expect(1...2)
            return try select(value, arguments, keep: false).map { .array($0) } ?? .nil
        },
        "has": { value, arguments throws(LiquidError) in
            try arguments.expect(1...2)
            return try select(value, arguments, keep: true, firstOnly: true).map { .bool(!$0.isEmpty) } ?? .nil
        },
        "find": { value, arguments throws(LiquidError) in
            try arguments.expect(1...2)
            return try select(value, arguments, keep: true, firstOnly: true)?.first ?? .nil
        },
        "find_index": { value, arguments throws(LiquidError) in
            try arguments.expect(1...2)
            guard let found = try select(value, arguments, keep: true, firstOnly: true)?.first else { return .nil }
            // `select` has counted a range's items already.
            return value.asArray.firstIndex { $0 == found }.map { .int($0) } ?? .nil
        },
        "sort": { value, arguments throws(LiquidError) in
            try arguments.expect(0...1)
            return .array(try sorted(arguments.items(value), by: arguments[0], natural: false))
        },
        "sort_natural": { value, arguments throws(LiquidError) in
            try arguments.expect(0...1)
            return .array(try sorted(arguments.items(value), by: arguments[0], natural: true))
        },
        "sum": { value, arguments throws(LiquidError) in
            try arguments.expect(0...1)
            var integer = 0
            var big: BigInt?  // the integer total, once it no longer fits in an Int
            var double = 0.0
            var isDouble = false
            for item in try arguments.flattened(value) {
                if arguments[0] != nil, case .object = item {} else if arguments[0] != nil {
                    throw LiquidError(.filterArgument, "sum by a property needs objects, got \(item.inspected)")
                }
                let element = arguments[0].map { RenderState.member(of: item, $0, dotted: true) ?? .nil } ?? item
                switch element.numberForMath {
                case .int(let number):
                    if let total = big { big = total + BigInt(number); continue }
                    let (total, overflow) = integer.addingReportingOverflow(number)
                    if overflow { big = BigInt(integer) + BigInt(number) } else { integer = total }
                case .bigInteger(let number): big = (big ?? BigInt(integer)) + number.value
                case .double(let number): double += number; isDouble = true
                default: break
                }
            }
            if let big { return isDouble ? .double(double + Double(big)) : try LiquidValue.integer(big) }
            return isDouble ? .double(double + Double(integer)) : .int(integer)
        },
    ]

    /// Items whose `property` is truthy (one argument) or equals `target` (two), as the
    /// newer Shopify filters (`where`, `reject`, `find`, `find_index`, `has`) select:
    /// strings match by substring, numbers by equality. A nil item, a nil property or a
    /// string input with a target make the whole result nil; a number item with a
    /// string property is an error.
    private static func select(_ value: LiquidValue, _ arguments: FilterArguments, keep: Bool, firstOnly: Bool = false) throws(LiquidError) -> [LiquidValue]? {
        let property = arguments.positional[0]
        let target = arguments[1]
        let items: [LiquidValue]
        switch value {
        case .object: items = [value]
        case .array, .range: items = try arguments.flattened(value)
        case .string: items = [value]
        case .nil: return nil
        default: throw LiquidError(.filterArgument, "expected an array, got \(value.inspected)")
        }
        var result: [LiquidValue] = []
        for item in items {
            let matches: Bool
            switch item {
            case .object:
                let field = RenderState.member(of: item, property, dotted: true) ?? .nil
                if let target, target != .nil {
                    matches = field.liquidEquals(target) || (field.isSequence && field.liquidContains(target))
                } else {
                    matches = field.isTruthy
                }
            case .string(let text):
                guard case .string(let needle) = property else { return nil }
                if let target {
                    guard case .string(let wanted) = target else { return nil }
                    matches = text.contains(needle) && text.contains(wanted)
                } else {
                    matches = text.contains(needle)
                }
            case .int, .bigInteger, .double:
                guard property.numericValue != nil else {
                    throw LiquidError(.filterArgument, "cannot match \(item.inspected) against \(property.inspected)")
                }
                matches = item.liquidEquals(property)
            default:
                return nil
            }
            if matches == keep {
                result.append(item)
                if firstOnly { break }
            }
        }
        return result
    }

    private static func sorted(_ items: [LiquidValue], by property: LiquidValue?, natural: Bool) throws(LiquidError) -> [LiquidValue] {
        let property = property == .nil ? nil : property
        func key(_ item: LiquidValue) -> LiquidValue {
            guard let property else { return item }
            return RenderState.member(of: item, property, dotted: true) ?? .nil
        }
        var failure: LiquidError?
        let result = items.sorted { left, right in
            let a = key(left), b = key(right)
            // nil sorts last.
            if case .nil = a { return false }
            if case .nil = b { return true }
            if natural {
                return a.renderedString.lowercased() < b.renderedString.lowercased()
            }
            if let order = a.liquidCompare(b) { return order < 0 }
            failure = LiquidError(.filterArgument, "cannot sort \(a.inspected) with \(b.inspected)")
            return false
        }
        if let failure { throw failure }
        return result
    }
}

/// The items' text joined, after checking the size it will have.
private func joined(_ items: [LiquidValue], separator: String, _ arguments: FilterArguments) throws(LiquidError) -> String {
    let parts = items.map(\.renderedString)
    let size = parts.reduce(0) { $0 + $1.utf8.count } + max(0, parts.count - 1) * separator.utf8.count
    try arguments.state.checkValueSize(size, "'join'")
    return parts.joined(separator: separator)
}

/// A scalar as `uniq` tells values apart: by kind and value (`1` and `1.0` stay apart,
/// as Ruby's `uniq` keeps them).
private enum UniqueKey: Hashable {
    case `nil`, bool(Bool), int(Int), bigInteger(BigInteger), double(Double), string(String)

    init?(_ value: LiquidValue) {
        switch value {
        case .nil: self = .nil
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .bigInteger(let number): self = .bigInteger(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .string(text)
        default: return nil
        }
    }
}

extension LiquidValue {
    /// The items of nested arrays, depth first (Ruby's `flatten`).
    var flattened: [LiquidValue] {
        var result: [LiquidValue] = []
        func visit(_ value: LiquidValue) {
            if value.isSequence { value.asArray.forEach(visit) } else { result.append(value) }
        }
        if isSequence { asArray.forEach(visit) } else if case .nil = self {} else { result.append(self) }
        return result
    }

    /// Whether two values are of the same kind (so `1` and `1.0` stay apart in `uniq`).
    func kindMatches(_ other: LiquidValue) -> Bool {
        switch (self, other) {
        case (.int, .int), (.bigInteger, .bigInteger), (.double, .double), (.string, .string), (.bool, .bool), (.nil, .nil),
             (.array, .array), (.object, .object), (.range, .range):
            return true
        default:
            return false
        }
    }
}
