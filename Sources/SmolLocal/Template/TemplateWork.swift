/// The work one render has done, charged against ``TemplateLimits/maxWork``.
///
/// A class, not a field of the renderer, because filters, tests and `iterate` are non-mutating functions
/// of the renderer and still must pay for the elements they walk. Each render creates its own meter and
/// uses it from one thread only.
final class TemplateWorkMeter {
    /// The budget.
    let limit: Int
    /// The steps spent so far.
    private(set) var used = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// What is left of the budget.
    var remaining: Int { max(limit - used, 0) }

    /// One step is about what copying or comparing one element costs (some 25 ns); evaluating an
    /// expression, rendering a block or starting a loop iteration costs several, a macro call (a frame, an
    /// output capture, argument binding) about a hundred. Measured on the doubling-macro and range templates,
    /// so that both kinds of runaway template stop after about the same time.
    static let expressionSteps = 4
    /// The steps of one macro call, on top of its expressions.
    static let callSteps = 96

    /// Spends `steps`, or fails with ``TemplateLimits/Limit/work`` when the budget is exhausted.
    @inline(__always)
    func charge(_ steps: Int) throws(EvaluationFailure) {
        used &+= steps
        if used > limit || steps < 0 { throw Self.exhausted(limit) }
    }

    static func exhausted(_ limit: Int) -> EvaluationFailure {
        EvaluationFailure(
            .limitExceeded(.work),
            "the template did more than \(limit) steps of work (runaway recursion or loops building large values?)")
    }

    /// Steps for a string of `bytes` UTF-8 bytes: one per 16 bytes, at least one.
    static func steps(bytes: Int) -> Int { 1 + bytes >> 4 }

    /// The cost of touching `value` once, without descending into it: its element count, or its size for
    /// a string. O(1): a native string knows its UTF-8 length.
    static func shallowSize(_ value: TemplateValue) -> Int {
        switch value {
        case .string(let text): return steps(bytes: text.utf8.count)
        case .list(let elements), .tuple(let elements), .iterator(let elements): return 1 + elements.count
        case .dict(let dict): return 1 + dict.count
        default: return 1
        }
    }

    /// The cost of walking all of `value` (comparing it, say), counted only up to `cap` so that measuring
    /// costs no more than the budget that is left. Each element visited costs as much as an expression: the
    /// walk itself (and the comparison or conversion it stands for) copies and retains every element.
    static func deepSize(_ value: TemplateValue, cap: Int) -> Int {
        switch value {
        case .list, .tuple, .iterator, .dict: break
        default: return shallowSize(value)  // the common case (names, numbers, short strings) allocates nothing
        }
        var total = 0
        var pending = [value]
        while let next = pending.popLast() {
            total += shallowSize(next) + expressionSteps
            // Stop before queueing more elements than the cap could ever pay for.
            if total > cap { break }
            switch next {
            case .list(let elements), .tuple(let elements), .iterator(let elements):
                pending.append(contentsOf: elements)
            case .dict(let dict):
                pending.append(contentsOf: dict.keys)
                pending.append(contentsOf: dict.values)
            default:
                break
            }
        }
        return total
    }
}
