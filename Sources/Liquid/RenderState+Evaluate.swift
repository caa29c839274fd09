/// Evaluating expressions, filters and conditions.
extension RenderState {
    func evaluate(_ expression: Expression) throws(LiquidError) -> LiquidValue {
        switch expression {
        case .literal(let value):
            return value
        case .range(let low, let high):
            return .range(try rangeBound(evaluate(low)), try rangeBound(evaluate(high)))
        case .path(let segments):
            return try resolve(segments)
        case .braced(let filtered):
            return try evaluate(filtered)
        case .contentBlock(let name):
            return .string(try renderContentBlock(name))
        }
    }

    private func rangeBound(_ value: LiquidValue) throws(LiquidError) -> Int {
        switch value {
        case .int(let number): return CheckedNumbers.clampedArgument(number)
        case .bigInteger(let number): return CheckedNumbers.clampedArgument(number)
        case .double(let number): return CheckedNumbers.clampedArgument(number)
        case .string(let text):
            let trimmed = text.trimmingSpaces()
            return CheckedNumbers.clampedArgument(Int(trimmed).map(Double.init) ?? Double(trimmed) ?? 0)
        case .nil: return 0
        default: throw LiquidError(.type, "a range bound must be a number, got \(value.inspected)")
        }
    }

    private func resolve(_ segments: [PathSegment]) throws(LiquidError) -> LiquidValue {
        var value: LiquidValue
        switch segments[0] {
        case .key(let name):
            guard let found = lookup(name) else {
                if options.strictVariables { throw LiquidError(.undefinedVariable, "'\(name)' is not defined") }
                return .nil
            }
            value = found
        case .index(let expression):
            let key = try evaluate(expression)
            guard case .string(let name) = key, let found = lookup(name) else {
                if options.strictVariables { throw LiquidError(.undefinedVariable, "[\(key.inspected)] is not defined") }
                return .nil
            }
            value = found
        }
        var depth = 1
        while depth < segments.count {
            let next: LiquidValue?
            switch segments[depth] {
            case .key(let name): next = Self.member(of: value, name: name)
            case .index(let expression): next = Self.member(of: value, try evaluate(expression), dotted: false)
            }
            guard let next else {
                if options.strictVariables {
                    throw LiquidError(.undefinedVariable, "'\(Self.describe(segments.prefix(depth + 1)))' is not defined")
                }
                return .nil
            }
            value = next
            depth += 1
        }
        return value
    }

    /// A path as written, for error messages.
    private static func describe(_ segments: ArraySlice<PathSegment>) -> String {
        var text = ""
        for segment in segments {
            switch segment {
            case .key(let name): text += text.isEmpty ? name : ".\(name)"
            case .index(let expression):
                if case .literal(let value) = expression { text += "[\(value.inspected)]" } else { text += "[...]" }
            }
        }
        return text
    }

    /// `value.name`: an object's key, or the special `size`, `first`, `last`.
    static func member(of value: LiquidValue, name: String) -> LiquidValue? {
        if case .object(let object) = value, let found = object[name] { return found }
        return member(of: value, .string(name), dotted: true)
    }

    /// `value.key` or `value[key]`, with the special `size`, `first` and `last`.
    static func member(of value: LiquidValue, _ key: LiquidValue, dotted: Bool) -> LiquidValue? {
        switch (value, key) {
        case (.object(let object), .string(let name)):
            if let found = object[name] { return found }
            switch name {
            case "size": return .int(object.count)
            case "first": return object.pairs.first.map { .array([.string($0.0), $0.1]) }
            default: return nil
            }
        case (.range(let low, let high), .int(let index)):
            let count = CheckedNumbers.rangeCount(low, high)
            let position = index < 0 ? count.addingReportingOverflow(index).partialValue : index
            return position >= 0 && position < count ? .int(low + position) : nil
        case (.range(let low, let high), .string(let name)):
            let count = CheckedNumbers.rangeCount(low, high)
            switch name {
            case "size": return .int(count)
            case "first": return count > 0 ? .int(low) : nil
            case "last": return count > 0 ? .int(high) : nil
            default: return nil
            }
        case (.array, .int(let index)):
            let items = value.asArray
            let position = index < 0 ? items.count + index : index
            return items.indices.contains(position) ? items[position] : nil
        case (.array, .string(let name)):
            let items = value.asArray
            switch name {
            case "size": return .int(items.count)
            case "first": return items.first
            case "last": return items.last
            default: return nil
            }
        case (.string(let text), .string(let name)):
            switch name {
            // Characters as Ruby counts them: Unicode scalars, not grapheme clusters.
            case "size": return .int(text.unicodeScalars.count)
            case "first": return text.unicodeScalars.first.map { .string(String($0)) }
            case "last": return text.unicodeScalars.last.map { .string(String($0)) }
            default: return nil
            }
        default:
            return nil
        }
    }

    func evaluate(_ filtered: FilteredExpression) throws(LiquidError) -> LiquidValue {
        var value = try evaluate(filtered.base)
        for call in filtered.filters {
            var arguments: [LiquidValue] = []
            if !call.arguments.isEmpty {
                arguments.reserveCapacity(call.arguments.count)
                for argument in call.arguments { arguments.append(try evaluate(argument)) }
            }
            var keywords: [String: LiquidValue] = [:]
            if !call.keywordArguments.isEmpty {
                for (key, argument) in call.keywordArguments { keywords[key] = try evaluate(argument) }
            }
            do {
                try countStep()
                value = try call.function(value, FilterArguments(positional: arguments, keywords: keywords, state: self))
                if case .string(let text) = value { try checkValueSize(text.utf8.count, "'\(call.name)'") }
            } catch {
                var error = error
                if error.kind == .filterArgument || error.kind == .type { error.message = "\(call.name): \(error.message)" }
                throw error
            }
        }
        return value
    }

    func test(_ condition: Condition) throws(LiquidError) -> Bool {
        switch condition {
        case .value(let expression):
            return try evaluate(expression).isTruthy
        case .chain(let terms, let operators):
            // Right-grouped: `a and (b or (c ...))`, tested from the left with short cuts.
            for (index, operation) in operators.enumerated() {
                let value = try test(terms[index])
                switch operation {
                case .and: if !value { return false }
                case .or: if value { return true }
                }
            }
            return try test(terms[terms.count - 1])
        case .compare(let leftExpression, let op, let rightExpression):
            let left = try evaluate(leftExpression)
            let right = try evaluate(rightExpression)
            switch op {
            case .equal: return left.liquidEquals(right)
            case .notEqual: return !left.liquidEquals(right)
            case .contains: return left.liquidContains(right)
            case .less, .greater, .lessOrEqual, .greaterOrEqual:
                if case .empty = left { return false }
                if case .blank = left { return false }
                if case .empty = right { return false }
                if case .blank = right { return false }
                guard let order = left.liquidCompare(right) else {
                    if case .nil = left { return false }
                    if case .nil = right { return false }
                    throw LiquidError(.type, "cannot compare \(left.inspected) with \(right.inspected)")
                }
                switch op {
                case .less: return order < 0
                case .greater: return order > 0
                case .lessOrEqual: return order <= 0
                default: return order >= 0
                }
            }
        }
    }
}
