/// Binary arithmetic operators, with Python's semantics.
enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
}

/// Comparison operators of a (possibly chained) comparison.
enum CompareOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains = "in", notContains = "not in"
}

/// Positional and keyword arguments of a call, filter or test.
struct Arguments: Sendable {
    var positional: [Expression] = []
    var keywords: [(name: String, value: Expression)] = []
}

/// An expression node. Nodes that can fail carry their location for the error message.
indirect enum Expression: Sendable {
    case constant(TemplateValue)
    case name(String, SourceLocation)
    case list([Expression])
    case tuple([Expression])
    case dict([(key: Expression, value: Expression)], SourceLocation)
    case attribute(Expression, String, SourceLocation)
    case item(Expression, Expression, SourceLocation)
    /// `start:stop:step` inside `[…]`.
    case slice(Expression?, Expression?, Expression?)
    case call(Expression, Arguments, SourceLocation)
    case filter(Expression, String, Arguments, SourceLocation)
    case test(Expression, String, Arguments, SourceLocation)
    case negate(Expression, SourceLocation)
    case positive(Expression, SourceLocation)
    case not(Expression)
    case binary(BinaryOperator, Expression, Expression, SourceLocation)
    case and(Expression, Expression)
    case or(Expression, Expression)
    case compare(Expression, [(op: CompareOperator, operand: Expression)], SourceLocation)
    /// `a ~ b ~ c`.
    case concat([Expression], SourceLocation)
    /// `then if condition else otherwise`; without `else` the result is undefined when the condition fails.
    case conditional(condition: Expression, then: Expression, otherwise: Expression?)
}

/// The left side of `{% set %}`, a `for` target or a `with` binding.
indirect enum AssignTarget: Sendable {
    case name(String)
    case tuple([AssignTarget])
    /// `ns.attribute`, which writes into a namespace.
    case namespaceAttribute(String, String)
}

/// One filter in a `{% filter %}` block or a block `{% set x | filter %}`.
struct FilterCall: Sendable {
    var name: String
    var arguments: Arguments
    var location: SourceLocation
}

/// A `{% for %}` loop.
struct ForLoop: Sendable {
    var target: AssignTarget
    var iterable: Expression
    var condition: Expression?
    var body: [Node]
    var elseBody: [Node]
    var recursive: Bool
    var location: SourceLocation
}

/// A `{% macro %}` definition (also the body of a `{% call %}` block, named `caller`).
struct MacroDefinition: Sendable {
    var name: String
    var parameters: [(name: String, defaultValue: Expression?)]
    var body: [Node]
    var location: SourceLocation
    /// The frame the macro was defined in, whose variables its body sees (set when the definition runs).
    var scopeFrame = 0
}

/// A statement or piece of output.
indirect enum Node: Sendable {
    case text(String)
    case output(Expression, SourceLocation)
    case forLoop(ForLoop)
    case ifChain(branches: [(condition: Expression, body: [Node])], otherwise: [Node], SourceLocation)
    case assign(AssignTarget, Expression, SourceLocation)
    case assignBlock(AssignTarget, filters: [FilterCall], body: [Node], SourceLocation)
    case macro(MacroDefinition)
    case callBlock(call: Expression, caller: MacroDefinition, SourceLocation)
    case filterBlock(filters: [FilterCall], body: [Node], SourceLocation)
    case with(bindings: [(target: AssignTarget, value: Expression)], body: [Node], SourceLocation)
    case loopControl(isBreak: Bool, SourceLocation)
    /// transformers' `{% generation %}` block, which renders its body unchanged.
    case generation([Node])
}
