/// Rendering nodes into the output buffer.
extension RenderState {
    func render(_ block: Block) throws(LiquidError) {
        for node in block.nodes {
            if interrupt != nil { return }
            if block.dropsWhitespace, case .text = node { continue }
            try countStep()
            try render(node)
        }
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    func render(_ node: Node) throws(LiquidError) {
        switch node {
        case .text(let text):
            try write(text)

        case .output(let expression, let position):
            do { try write(try evaluate(expression).renderedString) } catch { throw error.at(position) }

        case .echo(let expression, let position):
            do { try write(try evaluate(expression).renderedString) } catch { throw error.at(position) }

        case .assign(let name, let expression, let position):
            do { assign(name, try evaluate(expression)) } catch { throw error.at(position) }

        case .capture(let name, let body):
            let saved = output
            output = ""
            do { try render(body) } catch { output = saved; throw error }
            let captured = output
            output = saved
            assign(name, .string(captured))

        case .conditional(let branches, let otherwise, let negateFirst, let position):
            do {
                for (index, branch) in branches.enumerated() {
                    var passes = try test(branch.0)
                    if index == 0 && negateFirst { passes.toggle() }
                    if passes { return try render(branch.1) }
                }
                if let otherwise { try render(otherwise) }
            } catch {
                throw error.at(position)
            }

        case .caseBlock(let subjectExpression, let branches, let position):
            do {
                let subject = try evaluate(subjectExpression)
                // As in Shopify's Liquid, every matching value renders its body (a body can
                // render twice), and 'else' renders when nothing before it matched.
                var matched = false
                for branch in branches {
                    if let values = branch.values {
                        for value in values where try evaluate(value).liquidEquals(subject) {
                            matched = true
                            try render(branch.body)
                        }
                    } else if !matched {
                        try render(branch.body)
                    }
                }
            } catch {
                throw error.at(position)
            }

        case .forLoop(let loop):
            do { try renderFor(loop) } catch { throw error.at(loop.position) }

        case .tableRow(let loop, let columns):
            do { try renderTableRow(loop, columns: columns) } catch { throw error.at(loop.position) }

        case .breakLoop:
            interrupt = .breakLoop

        case .continueLoop:
            interrupt = .continueLoop

        case .increment(let name):
            let value = counters[name] ?? initialCounter(name)
            try write(String(value))
            counters[name] = value.addingReportingOverflow(1).overflow ? value : value + 1  // stays at Int.max

        case .decrement(let name):
            let current = counters[name] ?? initialCounter(name)
            let value = current.subtractingReportingOverflow(1).overflow ? current : current - 1  // stays at Int.min
            counters[name] = value
            try write(String(value))

        case .cycle(let groupExpression, let values, let key):
            let group = try groupExpression.map { (expression: Expression) throws(LiquidError) in try evaluate(expression).renderedString } ?? key
            // Shopify's rule: the group's position picks the value (none past the end),
            // then moves on and wraps at this tag's number of values.
            let position = cycles[group] ?? 0
            if position < values.count { try write(try evaluate(values[position]).renderedString) }
            cycles[group] = position + 1 >= values.count ? 0 : position + 1

        case .include(let inclusion):
            do { try renderInclusion(inclusion) } catch { throw error.at(inclusion.position) }

        case .ifChanged(let body):
            let saved = output
            output = ""
            try render(body)
            let produced = output
            output = saved
            if produced != lastIfChanged {
                lastIfChanged = produced
                try write(produced)
            }

        case .sequence(let block):
            try render(block)

        case .abort(let reasonExpression):
            let reason = try reasonExpression.map { (expression: Expression) throws(LiquidError) in try evaluate(expression).renderedString }
            abortReason = .some(reason)
            throw LiquidError(.abortSignal, reason ?? "")

        case .connectedContent(let call):
            do { try renderConnectedContent(call) } catch { throw error.at(call.position) }
        }
    }

    /// A counter starts at the data's integer of the same name, else 0.
    private func initialCounter(_ name: String) -> Int {
        if case .int(let value)? = globals[name] { return value }
        return 0
    }

    private func loopItems(_ value: LiquidValue) -> [LiquidValue] {
        switch value {
        case .object(let object): return object.pairs.map { .array([.string($0.0), $0.1]) }
        case .string(let text): return text.isEmpty ? [] : [value]
        case .array: return value.asArray
        default: return []  // a range is sliced before it becomes an array (slice(_:))
        }
    }

    private func integer(_ expression: Expression?) throws(LiquidError) -> Int? {
        guard let expression else { return nil }
        switch try evaluate(expression) {
        case .int(let value): return CheckedNumbers.clampedArgument(value)
        case .bigInteger(let value): return CheckedNumbers.clampedArgument(value)
        case .double(let value): return CheckedNumbers.clampedArgument(value)
        case .string(let text):
            guard let value = Int(text.trimmingSpaces()) else { throw LiquidError(.type, "expected an integer, got '\(text)'") }
            return CheckedNumbers.clampedArgument(value)
        case .nil: return nil
        case let other: throw LiquidError(.type, "expected an integer, got \(other.inspected)")
        }
    }

    /// The items a `for` or `tablerow` visits, after offset, limit and reversed. A range's
    /// items are made one at a time as the loop asks for them: a `break` after three items
    /// of `(1..200000)` costs three iterations, as in Shopify's Liquid.
    struct LoopSlice: RandomAccessCollection {
        enum Source { case items([LiquidValue]), range(first: Int) }
        let source: Source
        let count: Int
        let reversed: Bool
        var startIndex: Int { 0 }
        var endIndex: Int { count }
        subscript(position: Int) -> LiquidValue {
            let offset = reversed ? count - 1 - position : position
            switch source {
            case .items(let items): return items[offset]
            case .range(let first): return .int(first + offset)
            }
        }
    }

    private func slice(_ loop: ForLoop) throws(LiquidError) -> LoopSlice {
        let collection = try evaluate(loop.collection)
        let items = loopItems(collection)
        let count: Int
        if case .range(let low, let high) = collection { count = CheckedNumbers.rangeCount(low, high) } else { count = items.count }
        let offset = loop.offsetContinue ? (loopOffsets[loop.name] ?? 0) : max(0, try integer(loop.offset) ?? 0)
        let limit = try integer(loop.limit)
        let start = min(offset, count)
        let end = limit.map { min(count, start + max(0, $0)) } ?? count
        loopOffsets[loop.name] = end
        if case .range(let low, _) = collection {
            return LoopSlice(source: .range(first: low + start), count: end - start, reversed: loop.reversed)
        }
        return LoopSlice(source: .items(Array(items[start..<end])), count: end - start, reversed: loop.reversed)
    }

    private func renderFor(_ loop: ForLoop) throws(LiquidError) {
        let items = try slice(loop)
        guard !items.isEmpty else {
            if let otherwise = loop.otherwise { try render(otherwise) }
            return
        }
        scopes.append(LiquidObject())
        defer { scopes.removeLast() }
        let parent = loopStack.last
        let length = items.count
        for (index, item) in items.enumerated() {
            try countIteration()
            var forloop = LiquidObject([
                ("name", .string(loop.name)), ("length", .int(length)),
                ("index", .int(index + 1)), ("index0", .int(index)),
                ("rindex", .int(length - index)), ("rindex0", .int(length - index - 1)),
                ("first", .bool(index == 0)), ("last", .bool(index == length - 1)),
            ])
            if let parent { forloop["parentloop"] = .object(parent) }
            loopStack.append(forloop)
            scopes[scopes.count - 1]["forloop"] = .object(forloop)
            scopes[scopes.count - 1][loop.variable] = item
            try render(loop.body)
            loopStack.removeLast()
            if let signal = interrupt {
                interrupt = nil
                if signal == .breakLoop { break }
            }
        }
    }

    private func renderTableRow(_ loop: ForLoop, columns: Expression?) throws(LiquidError) {
        let items = try slice(loop)
        let length = items.count
        let columnCount = try integer(columns).map { max(1, $0) } ?? max(1, length)
        scopes.append(LiquidObject())
        defer { scopes.removeLast() }
        try write("<tr class=\"row1\">\n")
        for (index, item) in items.enumerated() {
            try countIteration()
            let column = index % columnCount, row = index / columnCount
            let tablerowloop = LiquidObject([
                ("length", .int(length)), ("index", .int(index + 1)), ("index0", .int(index)),
                ("rindex", .int(length - index)), ("rindex0", .int(length - index - 1)),
                ("first", .bool(index == 0)), ("last", .bool(index == length - 1)),
                ("col", .int(column + 1)), ("col0", .int(column)), ("row", .int(row + 1)),
                ("col_first", .bool(column == 0)), ("col_last", .bool(column == columnCount - 1 || index == length - 1)),
            ])
            scopes[scopes.count - 1]["tablerowloop"] = .object(tablerowloop)
            scopes[scopes.count - 1][loop.variable] = item
            try write("<td class=\"col\(column + 1)\">")
            try render(loop.body)
            try write("</td>")
            if column == columnCount - 1 && index != length - 1 {
                try write("</tr>\n<tr class=\"row\(row + 2)\">")
            }
            if let signal = interrupt {
                interrupt = nil
                if signal == .breakLoop { break }
            }
        }
        try write("</tr>\n")
    }

    private func renderInclusion(_ inclusion: Inclusion) throws(LiquidError) {
        let nameValue = try evaluate(inclusion.name)
        guard case .string(let name) = nameValue else {
            throw LiquidError(.templateNotFound, "a partial name must be a string, got \(nameValue.inspected)")
        }
        guard includeDepth < options.limits.maxDepth else {
            throw LiquidError(.limitExceeded, "partials nested more than \(options.limits.maxDepth) deep (is '\(name)' including itself?)")
        }
        let body = try partial(named: name)
        var locals = LiquidObject()
        for (key, expression) in inclusion.arguments { locals[key] = try evaluate(expression) }
        let variable = inclusion.alias ?? name.split(separator: "/").last.map(String.init) ?? name
        let value = try inclusion.value.map { (expression: Expression) throws(LiquidError) in try evaluate(expression) }

        func renderOnce(_ bindings: LiquidObject, forloop: LiquidObject?) throws(LiquidError) {
            if inclusion.isolated {
                let child = RenderState(globals: globals, options: options, environment: environment,
                                        templateName: name, partialCache: partialCache)
                child.includeDepth = includeDepth + 1
                child.iterations = iterations
                child.steps = steps
                var scope = bindings
                if let forloop { scope["forloop"] = .object(forloop) }
                child.scopes = [scope]
                defer { (iterations, steps) = (child.iterations, child.steps) }  // the budgets are the render's, not the partial's
                try child.render(body)
                partialCache = child.partialCache
                try write(child.output)
            } else {
                scopes.append(bindings)
                includeDepth += 1
                defer {
                    includeDepth -= 1
                    scopes.removeLast()
                }
                try render(body)
            }
        }

        if inclusion.isForLoop, let value, value.isSequence {
            // Each item is counted as it renders (below), so the range is only checked here.
            try checkRangeFits(value)
            let items = value.asArray
            for (index, item) in items.enumerated() {
                try countIteration()
                var bindings = locals
                bindings[variable] = item
                let forloop = LiquidObject([
                    ("length", .int(items.count)), ("index", .int(index + 1)), ("index0", .int(index)),
                    ("rindex", .int(items.count - index)), ("rindex0", .int(items.count - index - 1)),
                    ("first", .bool(index == 0)), ("last", .bool(index == items.count - 1)),
                ])
                try renderOnce(bindings, forloop: inclusion.isolated ? forloop : nil)
            }
        } else {
            var bindings = locals
            if let value { bindings[variable] = value }
            try renderOnce(bindings, forloop: nil)
        }
    }

    private func partial(named name: String) throws(LiquidError) -> Block {
        if let cached = partialCache[name] { return cached }
        guard let source = options.partials(name) else {
            throw LiquidError(.templateNotFound, "no template named '\(name)'")
        }
        do {
            let tokens = try TemplateLexer(source).tokens()
            var parser = TemplateParser(tokens: tokens, environment: environment, maxDepth: options.limits.maxDepth)
            let block = try parser.parseDocument()
            partialCache[name] = block
            return block
        } catch {
            var error = error
            error.templateName = name
            throw error
        }
    }
}
