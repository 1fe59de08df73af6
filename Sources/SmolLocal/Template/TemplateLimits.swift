/// Bounds that keep an untrusted chat template from running away.
///
/// Templates come from model repositories and are untrusted code: a huge `range`, a macro that calls
/// itself or a string multiplied by a billion must end quickly with a ``ChatTemplateError`` of kind
/// ``ChatTemplateError/Kind/limitExceeded(_:)``, never hang or exhaust memory. The defaults are far
/// above what real chat templates need (thousands of messages with tool calls) and still end in well
/// under a second.
public struct TemplateLimits: Sendable, Equatable {
    /// Which bound was reached.
    public enum Limit: Sendable, Equatable {
        /// ``TemplateLimits/maxLoopIterations``.
        case loopIterations
        /// ``TemplateLimits/maxCallDepth``.
        case callDepth
        /// ``TemplateLimits/maxNestingDepth``.
        case nestingDepth
        /// ``TemplateLimits/maxOutputBytes``.
        case outputSize
        /// ``TemplateLimits/maxCollectionLength``.
        case collectionLength
    }

    /// The most `for` iterations one render may run, counted over all loops together.
    public var maxLoopIterations: Int
    /// The deepest chain of macro calls (a macro calling itself counts once per level).
    public var maxCallDepth: Int
    /// The deepest nesting of expressions and blocks the parser accepts, and of lists and dicts in values.
    /// Runtime recursion (expressions within expressions, blocks, macro bodies) is bounded at twice this, which
    /// keeps a debug build inside a 512 KiB thread stack.
    public var maxNestingDepth: Int
    /// The most UTF-8 bytes the rendered text, or any single string built while rendering, may have.
    public var maxOutputBytes: Int
    /// The most elements a list built while rendering (`range`, `*`, `+`) may have.
    public var maxCollectionLength: Int

    /// Limits with the given bounds; the defaults suit real chat templates.
    public init(
        maxLoopIterations: Int = 100_000,
        maxCallDepth: Int = 64,
        maxNestingDepth: Int = 200,
        maxOutputBytes: Int = 16 << 20,
        maxCollectionLength: Int = 1_000_000
    ) {
        self.maxLoopIterations = maxLoopIterations
        self.maxCallDepth = maxCallDepth
        self.maxNestingDepth = maxNestingDepth
        self.maxOutputBytes = maxOutputBytes
        self.maxCollectionLength = maxCollectionLength
    }

    /// The default limits.
    public static let `default` = TemplateLimits()
}
