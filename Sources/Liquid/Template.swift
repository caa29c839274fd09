/// Which flavour of Liquid a template is written in.
public enum Dialect: String, Sendable {
    /// Standard Liquid (Shopify's language).
    case liquid
    /// Liquid with Braze's extensions: `{{${first_name}}}`, `custom_attribute.${name}`,
    /// `event_properties.${name}`, `campaign.${name}`, `abort_message`,
    /// `url_param_escape`, `json_escape`.
    case braze
}

/// The outcome of a render.
public enum RenderResult: Sendable, Equatable {
    /// The rendered text.
    case output(String)
    /// The template called `abort_message` (Braze): send nothing. Not an error.
    case aborted(reason: String?)

    /// The text, or nil when aborted.
    public var text: String? {
        if case .output(let text) = self { return text }
        return nil
    }
}

/// A parsed Liquid template: parse once, render many times, from any task.
///
/// ```swift
/// let template = try Template("Hi {{ user.first_name | default: 'there' }}!")
/// let result = try template.render(["user": ["first_name": "Ada"]])
/// ```
///
/// Parsing finds syntax errors, unknown tags and unknown filters, with line and column.
/// Templates cannot reach the file system or the network; partials come from the
/// caller through ``RenderOptions/partials``.
public struct Template: Sendable {
    /// The template's name, used in error messages.
    public let name: String?
    /// The dialect it was parsed as.
    public let dialect: Dialect
    let root: Block
    let environment: ParseEnvironment
    let source: String

    /// Parses `source`.
    public init(_ source: String, dialect: Dialect = .liquid, name: String? = nil, limits: LiquidLimits = LiquidLimits()) throws(LiquidError) {
        self.name = name
        self.dialect = dialect
        self.source = source
        environment = ParseEnvironment(filters: StandardFilters.all, dialect: dialect)
        do {
            let tokens = try TemplateLexer(source).tokens()
            var parser = TemplateParser(tokens: tokens, environment: environment, maxDepth: limits.maxDepth)
            root = try parser.parseDocument()
        } catch {
            var error = error.withSnippet(from: source)
            if error.templateName == nil { error.templateName = name }
            throw error
        }
    }

    /// Renders with `data` as the top-level variables (an object; anything else is
    /// treated as no variables).
    public func render(_ data: LiquidValue = .object(LiquidObject()), options: RenderOptions = RenderOptions()) throws(LiquidError) -> RenderResult {
        let globals: LiquidObject
        if case .object(let object) = data { globals = object } else { globals = LiquidObject() }
        let state = RenderState(globals: globals, options: options, environment: environment, templateName: name)
        do {
            try state.render(root)
        } catch {
            if error.kind == .abortSignal, let reason = state.abortReason { return .aborted(reason: reason) }
            var error = error.templateName == nil || error.templateName == name ? error.withSnippet(from: source) : error
            if error.templateName == nil { error.templateName = name }
            throw error
        }
        return .output(state.output)
    }
}
