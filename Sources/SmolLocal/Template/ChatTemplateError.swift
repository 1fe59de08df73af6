/// Why a chat template could not be parsed or rendered, and where.
///
/// Every error names the template line (1-based) and column (1-based, in Unicode scalars) of the tag
/// or expression that failed, so that a broken template from the Hub can be fixed without guessing.
public struct ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure.
    public enum Kind: Sendable, Equatable {
        /// The template text is not valid Jinja (or uses syntax outside the supported subset).
        case syntax
        /// The template called `raise_exception(message)`; ``ChatTemplateError/message`` is that message.
        case raised
        /// An undefined value was used where jinja2's `Undefined` raises (attribute access, arithmetic, `tojson`).
        case undefined
        /// An operation got values of the wrong type (`"a" + 1`, `1 / 0`, calling a non-callable).
        case type
        /// The template uses a filter, test, method or statement this interpreter does not provide.
        case unsupported
        /// The sandbox refused the operation, as jinja2's `ImmutableSandboxedEnvironment` does
        /// (mutating a list or dict, underscore attributes on a namespace).
        case security
        /// A configured ``TemplateLimits`` bound was reached.
        case limitExceeded(TemplateLimits.Limit)
    }

    /// The class of failure.
    public let kind: Kind
    /// What went wrong; for ``Kind/raised`` exactly the message the template passed.
    public let message: String
    /// The 1-based template line of the failing tag or expression.
    public let line: Int
    /// The 1-based column (in Unicode scalars) on that line.
    public let column: Int

    /// An error of `kind` at `line`, `column`.
    public init(_ kind: Kind, _ message: String, line: Int, column: Int) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
    }

    /// The message with its position, e.g. `line 3, column 5: unexpected 'endfor'`.
    public var description: String {
        "chat template line \(line), column \(column): \(message)"
    }
}

/// A template position: 1-based line and column.
struct SourceLocation: Sendable, Equatable {
    var line: Int
    var column: Int

    static let start = SourceLocation(line: 1, column: 1)
}

/// An error raised while evaluating, before the interpreter has attached the position of the node that failed.
struct EvaluationFailure: Error {
    let kind: ChatTemplateError.Kind
    let message: String

    init(_ kind: ChatTemplateError.Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    func located(at location: SourceLocation) -> ChatTemplateError {
        ChatTemplateError(kind, message, line: location.line, column: location.column)
    }
}
