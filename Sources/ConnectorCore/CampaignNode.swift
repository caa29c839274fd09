import Foundation

/// A value in a definition with its field path, for precise errors.
struct CampaignNode {
    let value: Any?
    let path: String
    let file: String

    func fail(_ message: String) -> CampaignDefinitionError {
        CampaignDefinitionError(file: file, path: path, message: message)
    }

    func child(_ key: String) -> CampaignNode {
        CampaignNode(value: (value as? [String: Any])?[key], path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    var isMissing: Bool { value == nil || value is NSNull }

    func object() throws(CampaignDefinitionError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw fail("expected a mapping of fields") }
        return object
    }

    /// Refuses fields other than `known` (a misspelt `exeptions:` must not silently
    /// leave a follow-up without its exceptions), suggesting the nearest known name.
    func allowOnly(_ known: [String]) throws(CampaignDefinitionError) {
        guard let object = value as? [String: Any] else { return }
        for key in object.keys.sorted() where !known.contains(key) {
            // Suggestions only for names of a plausible length: the distance is quadratic.
            let nearest = key.count > 64 ? nil : known.min { Self.distance(key, $0) < Self.distance(key, $1) }
            let hint = nearest.map { Self.distance(key, $0) <= max(2, key.count / 3) ? "; did you mean '\($0)'?" : "." } ?? "."
            let shown = key.count > 64 ? key.prefix(64) + "..." : key
            let place = CampaignNode(value: nil, path: path.isEmpty ? String(shown) : "\(path).\(shown)", file: file)
            throw place.fail("unknown field '\(shown)'\(hint) Known here: \(known.joined(separator: ", "))")
        }
    }

    /// Levenshtein distance, for suggestions.
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    func string() throws(CampaignDefinitionError) -> String {
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        throw fail(isMissing ? "is required" : "expected text")
    }

    /// A whole number within `range` (every count in a campaign has one).
    func int(in range: ClosedRange<Int>) throws(CampaignDefinitionError) -> Int {
        let number: Int
        if let value = value as? Int {
            number = value
        } else if let text = value as? String, let value = Int(text) {
            number = value
        } else {
            throw fail(isMissing ? "is required" : "expected a whole number")
        }
        guard range.contains(number) else { throw fail("\(number) is out of range: use \(range.lowerBound) to \(range.upperBound)") }
        return number
    }

    /// A finite number (`.nan` and `.inf` are YAML numbers, but no threshold).
    func double() throws(CampaignDefinitionError) -> Double {
        let number: Double
        if let value = value as? Double { number = value } else if let value = value as? Int { number = Double(value) } else {
            throw fail(isMissing ? "is required" : "expected a number")
        }
        guard number.isFinite else { throw fail("expected a finite number, got \(number)") }
        return number
    }

    /// A non-empty identifier without surrounding white space.
    func identifier() throws(CampaignDefinitionError) -> String {
        let text = try string()
        guard !text.isEmpty, text.trimmingCharacters(in: .whitespacesAndNewlines) == text else {
            throw fail(text.isEmpty ? "must not be empty" : "'\(text)' has white space at its start or end")
        }
        return text
    }

    func bool() throws(CampaignDefinitionError) -> Bool {
        guard let flag = value as? Bool else { throw fail("expected true or false") }
        return flag
    }

    func list() throws(CampaignDefinitionError) -> [CampaignNode] {
        guard let items = value as? [Any] else { throw fail("expected a list") }
        return items.enumerated().map { CampaignNode(value: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    func date() throws(CampaignDefinitionError) -> Date {
        do {
            if let date = value as? Date { return try SupportedTime.check(date, as: "\(date)") }
            if let text = value as? String { return try SupportedTime.parse(text) }
        } catch {
            throw fail(error.description)
        }
        throw fail("expected an RFC 3339 time such as 2026-03-01T09:00:00Z")
    }

    /// The longest duration a campaign may name: ten years.
    static let longestDuration = 3650 * 86_400

    /// `90s`, `15m`, `36h`, `2d`, `1w` or plain seconds, from 0 up to ten years.
    func duration() throws(CampaignDefinitionError) -> Int {
        let seconds = try unboundedDuration()
        guard (0...Self.longestDuration).contains(seconds) else {
            throw fail("\(seconds < 0 ? "a duration cannot be negative" : "a duration can be at most 3650d (ten years)")")
        }
        return seconds
    }

    private func unboundedDuration() throws(CampaignDefinitionError) -> Int {
        if let seconds = value as? Int { return seconds }
        guard let text = value as? String, let unit = text.last, let amount = Int(text.dropLast()) else {
            throw fail("expected a duration such as 90s, 15m, 36h, 2d or 1w")
        }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        case "w": scale = 7 * 86_400
        default: throw fail("'\(text)' is not a duration: use 90s, 15m, 36h, 2d or 1w")
        }
        let (seconds, overflow) = amount.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw fail("'\(text)' is too long: a duration can be at most 3650d (ten years)") }
        return seconds
    }

    /// `"09:00"` -> (9, 0).
    func timeOfDay() throws(CampaignDefinitionError) -> (Int, Int) {
        let text = try string()
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute) else {
            throw fail("'\(text)' is not a time of day: use HH:MM, e.g. \"09:00\"")
        }
        return (hour, minute)
    }

    func interactionKind() throws(CampaignDefinitionError) -> InteractionKind {
        let name = try string()
        guard let kind = InteractionKind(rawValue: name) else {
            throw fail("unknown interaction '\(name)'; expected one of: \(InteractionKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }
}
