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
        /// ``TemplateLimits/maxWork``.
        case work
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
    /// The most work one render may do, in steps: an element that a list or dict operation builds or walks,
    /// or 16 bytes of a string built, compared or written, is one step; an expression evaluated, block
    /// rendered or loop iteration is 4; a macro call 96 more.
    ///
    /// The other limits bound each thing separately, but within them a template can still do exponential or
    /// quadratic work (a macro calling itself twice per level, 40 levels deep; 100,000 loop iterations that
    /// each build a 100,000-element range), which would run for minutes. One budget over everything bounds
    /// the time of any render; the default ends a runaway template in about a second on a slow machine,
    /// while real templates with thousands of messages and tools use a small fraction of it.
    public var maxWork: Int

    /// Limits with the given bounds; the defaults suit real chat templates.
    public init(
        maxLoopIterations: Int = 100_000,
        maxCallDepth: Int = 64,
        maxNestingDepth: Int = 200,
        maxOutputBytes: Int = 16 << 20,
        maxCollectionLength: Int = 1_000_000,
        maxWork: Int = 32_000_000
    ) {
        self.maxLoopIterations = maxLoopIterations
        self.maxCallDepth = maxCallDepth
        self.maxNestingDepth = maxNestingDepth
        self.maxOutputBytes = maxOutputBytes
        self.maxCollectionLength = maxCollectionLength
        self.maxWork = maxWork
    }

    /// The default limits.
    public static let `default` = TemplateLimits()
}
