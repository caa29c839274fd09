import Foundation
import Yams

/// A problem in a campaign definition: which file, which field, what is wrong.
public struct CampaignDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or source name) the definition came from.
    public var file: String
    /// The field path, such as `delay.after` or `exceptions[1].purchase`.
    public var path: String
    /// What is wrong and how to fix it.
    public var message: String
    /// Where the field is in the file (1-based), when the reader could tell: the field's
    /// own line, or its nearest enclosing field's for one that is missing.
    public var line: Int?
    /// The column of ``line`` (1-based).
    public var column: Int?

    public init(file: String, path: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { "\(file): \(path.isEmpty ? "(top level)" : path): \(message)" }
}

/// Reads campaigns as code: YAML or JSON files, one campaign per file.
///
/// ```yaml
/// id: cart-reminder
/// status: active
/// published_at: 2026-03-01T00:00:00Z
/// channels: [push]
/// messages:
///   push: { title: "Still thinking it over?", body: "Hi {{${first_name}}}, your cart is saved." }
/// trigger: { kind: push_received, campaign: cart-abandoned }
/// delay: { after: 1d }                 # or { next_weekday: tuesday, at: "09:00" } / { calendar_days: 3, at: "09:00" }
/// exceptions:
///   - { interaction: push_opened, campaign: cart-abandoned }
///   - { purchase: any }
/// re_eligible_after: 7d               # never (default) | always | a duration
/// audience: { attribute: plan, equals: pro }
/// control_group_percent: 10
/// quiet_hours: { start: 22, end: 8 }
/// ```
///
/// Unknown fields are errors (with the nearest known name), so a misspelling never
/// silently drops a setting.
public enum CampaignFileReader {
    /// Parses one campaign from YAML (JSON is YAML too). Errors name `file` and the field.
    public static func campaign(from text: String, file: String) throws(CampaignDefinitionError) -> Campaign {
        let root: Any?
        var composed: Node?
        do {
            // Composed first (aliases share their subtree), then measured as it would
            // expand, then loaded: a "billion laughs" file stops at the limit.
            // Times stay text, read by SupportedTime: YAML's own timestamps turn 2026-02-30
            // into March 2nd without a word.
            let resolver = campaignResolver
            // Yams composes (and hashes keys) recursively, before the walk below can count
            // depth: text that may nest deeper than any campaign does is refused unread.
            guard nestingUpperBound(text) <= maxTextNesting else {
                throw CampaignDefinitionError(file: file, path: "", message: "nests lists and mappings more than \(maxTextNesting) deep: a campaign file is far flatter")
            }
            composed = try Yams.compose(yaml: text, resolver)
            if let composed {
                var budget = (nodes: maxNodes, characters: maxCharacters)
                if let problem = problem(in: composed, depth: 0, &budget) {
                    throw CampaignDefinitionError(file: file, path: "", message: problem)
                }
            }
            root = try Yams.load(yaml: text, resolver)
        } catch let error as CampaignDefinitionError {
            throw error
        } catch {
            throw CampaignDefinitionError(file: file, path: "", message: "not valid YAML or JSON: \(error)")
        }
        let node = CampaignNode(value: root, path: "", file: file)
        do {
            return try node.campaign()
        } catch {
            var located = error
            if let composed, let mark = mark(of: error.path, in: composed) {
                located.line = mark.line
                located.column = mark.column
            }
            throw located
        }
    }

    /// The position of the field at `path` (`messages.push.buttons[1].text`) in `root`, or
    /// of its deepest existing ancestor. Keys may hold dots (`link_aliases` URLs): at each
    /// mapping the longest key the path continues with is taken.
    static func mark(of path: String, in root: Node) -> Mark? {
        var node = root
        var rest = Substring(path)
        var found = root.mark
        while !rest.isEmpty {
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<close]),
                      let items = node.sequence, items.indices.contains(index) else { break }
                node = items[index]
                rest = rest[rest.index(after: close)...]
            } else {
                if rest.hasPrefix(".") { rest = rest.dropFirst() }
                guard let mapping = node.mapping else { break }
                let candidates = mapping.compactMap { pair -> (key: String, value: Node)? in
                    guard let key = pair.key.string, rest.hasPrefix(key) else { return nil }
                    let after = rest.dropFirst(key.count)
                    return after.isEmpty || after.hasPrefix(".") || after.hasPrefix("[") ? (key, pair.value) : nil
                }
                guard let best = candidates.max(by: { $0.key.count < $1.key.count }) else { break }
                // An unknown or misplaced field is reported where its key is.
                if let keyNode = mapping.first(where: { $0.key.string == best.key })?.key { found = keyNode.mark }
                node = best.value
                rest = rest.dropFirst(best.key.count)
                continue
            }
            found = node.mark
        }
        return found
    }

    /// YAML's rules without timestamps (times stay text, read by SupportedTime: YAML's own
    /// turn 2026-02-30 into March 2nd without a word) and without YAML 1.1's base-60
    /// numbers (`1:30:00`; Yams stops the process when one overflows, found by fuzzing).
    static let campaignResolver: Resolver = {
        let integer = #"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"#
        let float = #"^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"#
        let resolver = Resolver.default.removing(.timestamp)
        return (try? resolver.replacing(.int, with: integer).replacing(.float, with: float)) ?? resolver
    }()

    /// The most values (mappings, lists, scalars) one campaign file may expand to.
    public static let maxNodes = 100_000
    /// The most characters of scalars one campaign file may expand to.
    public static let maxCharacters = 10_000_000
    /// The deepest nesting of lists and mappings in one campaign file, aliases expanded.
    public static let maxDepth = 64
    /// The most nesting the text itself may suggest (indentation, `-`/`?` indicators and
    /// open brackets on a line), checked before YAML is parsed at all.
    public static let maxTextNesting = 200

    /// An upper bound of the nesting of a YAML text, in one pass over its bytes: the
    /// indentation plus the `- `/`? `/`: ` indicators starting a line, plus the brackets
    /// open at that point (quotes are skipped roughly; a bound, not a parse).
    static func nestingUpperBound(_ text: String) -> Int {
        var deepest = 0, brackets = 0, lineStart = true, indicators = 0, indent = 0
        var quote: UInt8?
        for byte in text.utf8 {
            if let open = quote {
                if byte == open || byte == 10 { quote = nil }
                if byte != 10 { continue }
            }
            switch byte {
            case 10: lineStart = true; indicators = 0; indent = 0
            case 32 where lineStart: indent += 1
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"): if lineStart { indicators += 1 }
            case UInt8(ascii: "["), UInt8(ascii: "{"): brackets += 1; lineStart = false
            case UInt8(ascii: "]"), UInt8(ascii: "}"): brackets = max(0, brackets - 1); lineStart = false
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte; lineStart = false
            default: lineStart = false
            }
            deepest = max(deepest, indent + indicators + brackets)
        }
        return deepest
    }

    /// Walks the composed document as loading would expand it, spending the budget, and
    /// says what loading cannot take: more than the budget (the walk stops there, so it is
    /// bounded too), or a key that is not text (Yams would stop the process on it).
    private static func problem(in node: Node, depth: Int, _ budget: inout (nodes: Int, characters: Int)) -> String? {
        // Aliases can stack a named subtree inside another: libyaml's own nesting limit does
        // not see it, and loading recurses once per level.
        guard depth <= maxDepth else { return "nests lists and mappings more than \(maxDepth) deep: a campaign file is far flatter" }
        budget.nodes -= 1
        guard budget.nodes >= 0 else {
            return "expands to more than \(maxNodes) values (YAML aliases repeat what they name): a campaign file is far smaller"
        }
        switch node {
        case .scalar(let scalar):
            budget.characters -= scalar.string.utf8.count
            return budget.characters >= 0 ? nil : "expands to more than \(maxCharacters) characters: a campaign file is far smaller"
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let name) = key else {
                    return "a key at line \((key.mark?.line ?? 0)) is a list or mapping; keys must be text"
                }
                if name.tag.rawValue == Tag.Name.merge.rawValue {
                    let merged: [Node] = value.sequence.map(Array.init) ?? [value]
                    guard merged.allSatisfy({ $0.mapping != nil }) else {
                        return "the merge key '<<' at line \(key.mark?.line ?? 0) must name a mapping or a list of mappings"
                    }
                }
                if let problem = problem(in: key, depth: depth + 1, &budget) ?? problem(in: value, depth: depth + 1, &budget) { return problem }
            }
            return nil
        case .sequence(let sequence):
            for item in sequence { if let problem = problem(in: item, depth: depth + 1, &budget) { return problem } }
            return nil
        case .alias:
            return nil
        }
    }

    /// Reads every `.yaml`, `.yml` and `.json` file of a folder; collects all errors.
    public static func campaigns(inFolder folder: URL) -> (campaigns: [Campaign], errors: [CampaignDefinitionError]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        var campaigns: [Campaign] = []
        var errors: [CampaignDefinitionError] = []
        var files: [CampaignID: String] = [:]
        for name in names where [".yaml", ".yml", ".json"].contains(where: { name.hasSuffix($0) }) {
            let url = folder.appendingPathComponent(name)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                errors.append(CampaignDefinitionError(file: name, path: "", message: "cannot read the file"))
                continue
            }
            do {
                let campaign = try campaign(from: text, file: name)
                if let first = files[campaign.id] {
                    errors.append(CampaignDefinitionError(file: name, path: "id", message: "'\(campaign.id)' is already defined in \(first); ids must be unique"))
                } else {
                    files[campaign.id] = name
                    campaigns.append(campaign)
                }
            } catch {
                errors.append(error)
            }
        }
        return (campaigns, errors)
    }
}
