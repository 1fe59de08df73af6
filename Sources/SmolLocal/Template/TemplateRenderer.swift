/// Walks the syntax tree and writes the output; one renderer per `render` call.
///
/// Scoping follows jinja2: a `for` iteration, a macro call and a `with` block each get a fresh frame
/// (so `{% set %}` inside them does not leak out, nor from one iteration to the next), while `if` does not.
/// A macro's frame hangs off the frame the macro was defined in, not off its caller's.
struct TemplateRenderer {
    struct Frame {
        var variables: [String: TemplateValue]
        var parent: Int?
    }

    enum Flow { case normal, breakLoop, continueLoop }

    let limits: TemplateLimits
    let clock: TemplateClock
    /// The work done so far, against ``TemplateLimits/maxWork``.
    let work: TemplateWorkMeter
    var frames: [Frame]
    var namespaces: [TemplateDict] = []
    var output = ""
    var outputBytes = 0
    var iterations = 0
    var callDepth = 0
    /// The `caller` of the `{% call %}` block whose call expression is being evaluated.
    var pendingCaller: MacroDefinition?
    /// The tag being executed, for errors raised by nodes that do not carry their own position.
    var statementLocation = SourceLocation.start
    /// Current runtime recursion, bounded by twice ``TemplateLimits/maxNestingDepth``.
    var runtimeDepth = 0

    init(context: [String: TemplateValue], limits: TemplateLimits, clock: TemplateClock) {
        self.limits = limits
        self.clock = clock
        self.work = TemplateWorkMeter(limit: limits.maxWork)
        self.frames = [Frame(variables: context, parent: nil)]
    }

    // MARK: variables

    func lookup(_ name: String) -> TemplateValue {
        var frame: Int? = frames.count - 1
        while let index = frame {
            if let value = frames[index].variables[name] { return value }
            frame = frames[index].parent
        }
        if Self.builtins.contains(name) { return .function(.builtin(name)) }
        return .undefinedName(name)
    }

    mutating func assign(_ name: String, _ value: TemplateValue) {
        frames[frames.count - 1].variables[name] = value
    }

    mutating func pushFrame(parent: Int?) {
        frames.append(Frame(variables: [:], parent: parent))
    }

    mutating func popFrame() {
        frames.removeLast()
    }

    mutating func bind(_ target: AssignTarget, to value: TemplateValue, at location: SourceLocation)
        throws(ChatTemplateError)
    {
        switch target {
        case .name(let name):
            assign(name, value)
        case .tuple(let targets):
            let elements: [TemplateValue]
            do { elements = try iterate(value) } catch { throw error.located(at: location) }
            guard elements.count == targets.count else {
                // Python 3.11's wording: only the "not enough" message says how many there were.
                let problem = elements.count < targets.count
                    ? "not enough values to unpack (expected \(targets.count), got \(elements.count))"
                    : "too many values to unpack (expected \(targets.count))"
                throw ChatTemplateError(
                    .type, problem,
                    line: location.line, column: location.column)
            }
            for (target, element) in zip(targets, elements) { try bind(target, to: element, at: location) }
        case .namespaceAttribute(let name, let attribute):
            guard case .namespace(let handle) = lookup(name) else {
                throw ChatTemplateError(
                    .type, "cannot assign attribute on non-namespace object", line: location.line,
                    column: location.column)
            }
            guard !attribute.hasPrefix("_") else {
                throw ChatTemplateError(
                    .security,
                    "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attribute)'. Please rename the attribute.",
                    line: location.line, column: location.column)
            }
            namespaces[handle][attribute] = value
        }
    }

    // MARK: output

    mutating func write(_ text: String, at location: SourceLocation) throws(ChatTemplateError) {
        // Captured output (`set` blocks, macro bodies) starts from zero bytes each time, so the output limit
        // alone does not bound how much a loop can copy around.
        try spend(TemplateWorkMeter.steps(bytes: text.utf8.count), at: location)
        outputBytes += text.utf8.count
        guard outputBytes <= limits.maxOutputBytes else {
            throw ChatTemplateError(
                .limitExceeded(.outputSize), "output is larger than \(limits.maxOutputBytes) bytes",
                line: location.line, column: location.column)
        }
        output += text
    }

    /// Renders `body` into a separate buffer and returns what it wrote.
    mutating func capture(_ body: [Node]) throws(ChatTemplateError) -> String {
        let savedOutput = output, savedBytes = outputBytes
        output = ""
        outputBytes = 0
        defer {
            output = savedOutput
            outputBytes = savedBytes
        }
        _ = try render(body)
        return output
    }

    // MARK: statements

    mutating func render(_ nodes: [Node]) throws(ChatTemplateError) -> Flow {
        try enterNesting()
        defer { runtimeDepth -= 1 }
        for node in nodes {
            let flow = try render(node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    mutating func render(_ node: Node) throws(ChatTemplateError) -> Flow {
        switch node {
        case .text(let text):
            try write(text, at: statementLocation)
        case .output(let expression, let location):
            statementLocation = location
            let value = try evaluate(expression)
            try write(string(value), at: location)
        case .forLoop(let loop):
            try renderFor(loop)
        case .ifChain(let branches, let otherwise, let location):
            statementLocation = location
            for branch in branches where try evaluate(branch.condition).isTruthy {
                return try render(branch.body)
            }
            return try render(otherwise)
        case .assign(let target, let expression, let location):
            statementLocation = location
            try bind(target, to: try evaluate(expression), at: location)
        case .assignBlock(let target, let filters, let body, let location):
            var value = TemplateValue.string(try capture(body))
            for filter in filters { value = try applyFilter(filter.name, to: value, filter.arguments, at: filter.location) }
            try bind(target, to: value, at: location)
        case .macro(var macro):
            macro.scopeFrame = frames.count - 1
            assign(macro.name, .function(.macro(macro)))
        case .callBlock(let call, var caller, _):
            caller.scopeFrame = frames.count - 1
            pendingCaller = caller
            defer { pendingCaller = nil }
            let value = try evaluate(call)
            try write(string(value), at: caller.location)
        case .filterBlock(let filters, let body, let location):
            var value = TemplateValue.string(try capture(body))
            for filter in filters { value = try applyFilter(filter.name, to: value, filter.arguments, at: filter.location) }
            try write(string(value), at: location)
        case .with(let bindings, let body, let location):
            var values: [TemplateValue] = []
            for binding in bindings { values.append(try evaluate(binding.value)) }
            pushFrame(parent: frames.count - 1)
            defer { popFrame() }
            for (binding, value) in zip(bindings, values) { try bind(binding.target, to: value, at: location) }
            return try render(body)
        case .loopControl(let isBreak, _):
            return isBreak ? .breakLoop : .continueLoop
        case .generation(let body):
            return try render(body)
        }
        return .normal
    }

    mutating func renderFor(_ loop: ForLoop) throws(ChatTemplateError) {
        let location = loop.location
        statementLocation = location
        if loop.recursive {
            throw ChatTemplateError(.unsupported, "recursive for loops are not supported", line: location.line, column: location.column)
        }
        let iterable = try evaluate(loop.iterable)
        var items: [TemplateValue]
        do { items = try iterate(iterable) } catch { throw error.located(at: location) }
        if let condition = loop.condition {
            var kept: [TemplateValue] = []
            for item in items {
                try countIteration(at: location)
                pushFrame(parent: frames.count - 1)
                defer { popFrame() }
                try bind(loop.target, to: item, at: location)
                if try evaluate(condition).isTruthy { kept.append(item) }
            }
            items = kept
        }
        guard !items.isEmpty else {
            _ = try render(loop.elseBody)
            return
        }
        // Without `recursive`, jinja2's loop.depth is always 1.
        var state = LoopState(index0: 0, items: items, depth0: 0)
        // One frame, emptied at the start of each iteration: nothing set in an iteration survives it.
        pushFrame(parent: frames.count - 1)
        defer { popFrame() }
        for (index, item) in items.enumerated() {
            try countIteration(at: location)
            state.index0 = index
            frames[frames.count - 1].variables.removeAll(keepingCapacity: true)
            assign("loop", .loop(state))
            try bind(loop.target, to: item, at: location)
            if try render(loop.body) == .breakLoop { break }
        }
    }

    /// Charges `steps` to the render's work budget, failing at `location` when it is spent.
    func spend(_ steps: Int, at location: SourceLocation) throws(ChatTemplateError) {
        do { try work.charge(steps) } catch { throw error.located(at: location) }
    }

    mutating func countIteration(at location: SourceLocation) throws(ChatTemplateError) {
        try spend(TemplateWorkMeter.expressionSteps, at: location)
        iterations += 1
        guard iterations <= limits.maxLoopIterations else {
            throw ChatTemplateError(
                .limitExceeded(.loopIterations), "more than \(limits.maxLoopIterations) loop iterations",
                line: location.line, column: location.column)
        }
    }
}
