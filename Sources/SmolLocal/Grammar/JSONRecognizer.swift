/// Recognizes the byte prefixes of documents a ``JSONGrammar`` allows, one byte at a time.
///
/// The state is a stack of ``GrammarFrame``s in caller-owned memory (the live state, or the per-depth
/// scratch of a token-trie walk), so stepping never allocates. The language is built so that every
/// accepted prefix can still be completed into a valid document (no dead ends): that is what lets the
/// token mask promise that the output parses and validates.
///
/// Whitespace is bounded: at most one space (0x20) where JSON allows whitespace between tokens, one
/// before the document, none after it, and no newlines or tabs, so a model cannot loop on whitespace.
struct JSONRecognizer {
    let grammar: JSONGrammar

    static let documentNode: Int32 = -1

    enum Step {
        case consumed, reject
        /// The top frame's value is complete and the byte was its last.
        case completeConsumed
        /// The top frame's value ended before this byte, which belongs to the enclosing frame.
        case completeRetry
    }

    /// The stack at the start of a document.
    func start(_ stack: UnsafeMutablePointer<GrammarFrame>) -> Int {
        stack[0] = GrammarFrame(node: Self.documentNode, phase: grammar.prefix.isEmpty ? 1 : 0)
        return 1
    }

    /// Feeds `byte`; false when no valid document continues this way (the stack is then meaningless).
    func step(_ s: UnsafeMutablePointer<GrammarFrame>, _ depth: inout Int, _ byte: UInt8) -> Bool {
        var result = stepTop(s, &depth, byte)
        while true {
            switch result {
            case .consumed: return true
            case .reject: return false
            case .completeConsumed:
                depth -= 1
                childDone(&s[depth - 1], s[depth])
                return true
            case .completeRetry:
                depth -= 1
                childDone(&s[depth - 1], s[depth])
                result = stepTop(s, &depth, byte)
            }
        }
    }

    /// Whether the document may end here (end-of-sequence allowed).
    func canEnd(_ s: UnsafePointer<GrammarFrame>, _ depth: Int) -> Bool {
        let document = s[0]
        if document.phase == 4 { return depth == 1 }
        // A bare top-level number or literal that could still grow may also stop here.
        guard grammar.suffix.isEmpty, document.phase == 2, depth == 2 else { return false }
        return endsHere(s[1])
    }

    /// Whether nothing but the end can follow.
    func isFinished(_ s: UnsafePointer<GrammarFrame>, _ depth: Int) -> Bool { depth == 1 && s[0].phase == 4 }

    private func endsHere(_ f: GrammarFrame) -> Bool {
        let node = grammar.nodes[Int(f.node)]
        switch node.kind {
        case .number, .integer:
            if f.phase == 5 { return true }
            return (f.phase == 2 || f.phase == 3) && integerValid(node, f.bits, negative: f.flags & 2 != 0)
        case .literals:
            return grammar.literals[Int(f.count)].count == Int(f.small)
        default:
            return false
        }
    }

    // MARK: - Dispatch

    @inline(__always)
    private func stepTop(_ s: UnsafeMutablePointer<GrammarFrame>, _ depth: inout Int, _ b: UInt8) -> Step {
        let top = depth - 1
        let f = s[top]
        if f.node < 0 { return stepDocument(s, &depth, b) }
        let node = grammar.nodes[Int(f.node)]
        switch node.kind {
        case .object: return stepObject(s, &depth, node, b)
        case .map: return stepMap(s, &depth, node, b)
        case .array: return stepArray(s, &depth, node, b)
        case .string: return stepString(&s[top], node, b)
        case .number, .integer: return stepNumber(&s[top], node, b)
        case .literals: return stepLiterals(&s[top], node, b)
        case .tagged: return stepTagged(s, &depth, node, b)
        case .union: return .reject  // never on the stack: resolved when pushed
        }
    }

    /// Pushes a value of `node` whose first byte is `b` and feeds it that byte.
    @inline(__always)
    private func push(_ s: UnsafeMutablePointer<GrammarFrame>, _ depth: inout Int, _ node: Int32, _ b: UInt8) -> Step {
        var target = node
        if grammar.nodes[Int(node)].kind == .union {
            target = grammar.dispatch[Int(grammar.nodes[Int(node)].first) + Int(b)]
            if target < 0 { return .reject }
        }
        s[depth] = GrammarFrame(node: target)
        if grammar.nodes[Int(target)].kind == .literals {
            let n = grammar.nodes[Int(target)]
            s[depth].count = n.first
            s[depth].extra = n.first + n.count
        } else if grammar.nodes[Int(target)].kind == .object {
            s[depth].count = -1
        }
        depth += 1
        return stepTop(s, &depth, b)
    }

    /// Called on the enclosing frame when a value ends.
    private func childDone(_ parent: inout GrammarFrame, _ child: GrammarFrame) {
        parent.flags &= ~1
        if parent.node < 0 {
            parent.phase = grammar.suffix.isEmpty ? 4 : 3
            parent.small = 0
            return
        }
        let node = grammar.nodes[Int(parent.node)]
        switch node.kind {
        case .object: parent.phase = 6
        case .map: parent.phase = parent.phase == 2 ? 3 : 6
        case .array: parent.phase = 3
        case .tagged:
            // The tag's literal chose the alternative: continue as that object, its first property written.
            let tagNode = grammar.nodes[Int(node.second)]
            let target = grammar.tagTargets[Int(node.first) + Int(child.count - tagNode.first)]
            parent = GrammarFrame(node: target, phase: 6, count: 0)
        default: break
        }
    }

    @inline(__always)
    private func space(_ f: inout GrammarFrame, _ b: UInt8) -> Bool {
        guard b == 0x20, f.flags & 1 == 0 else { return false }
        f.flags |= 1
        return true
    }

    // MARK: - Document

    private func stepDocument(_ s: UnsafeMutablePointer<GrammarFrame>, _ depth: inout Int, _ b: UInt8) -> Step {
        switch s[0].phase {
        case 0, 3:
            let bytes = s[0].phase == 0 ? grammar.prefix : grammar.suffix
            let position = Int(s[0].small)
            guard bytes[position] == b else { return .reject }
            s[0].small += 1
            if Int(s[0].small) == bytes.count {
                s[0].small = 0
                s[0].phase = s[0].phase == 0 ? 1 : 4
            }
            return .consumed
        case 1:
            if grammar.prefix.isEmpty, space(&s[0], b) { return .consumed }
            s[0].phase = 2
            return push(s, &depth, grammar.root, b)
        default:
            return .reject
        }
    }

    // MARK: - Objects

    /// Phases: 0 `{`; 1 after `{`; 2 in a key (`small`: bytes matched, `bits`: keys still possible);
    /// 3 before `:`; 4 after `:`; 5 in a value; 6 after a value; 7 after `,`. `count`: the last property
    /// written (-1 before any).
    private func stepObject(_ s: UnsafeMutablePointer<GrammarFrame>, _ depth: inout Int, _ node: GrammarNode,
                            _ b: UInt8) -> Step {
        let top = depth - 1
        switch s[top].phase {
        case 0:
            guard b == 0x7B else { return .reject }
            s[top].phase = 1
            return .consumed
        case 1, 7:
            if space(&s[top], b) { return .consumed }
            if b == 0x7D, s[top].phase == 1, requiredDone(node, s[top].count) { return .completeConsumed }
            guard b == 0x22 else { return .reject }
            let allowed = grammar.candidates[Int(node.second) + Int(s[top].count) + 1]
            guard allowed != 0 else { return .reject }
            s[top].bits = allowed
            s[top].small = 0
            s[top].phase = 2
            return matchKey(&s[top], node, b)
        case 2:
            return matchKey(&s[top], node, b)
        case 3:
            guard b == 0x3A else { return .reject }
            s[top].phase = 4
            s[top].flags &= ~1
            return .consumed
        case 4:
            if space(&s[top], b) { return .consumed }
            s[top].phase = 5
            let value = grammar.properties[Int(node.first) + Int(s[top].count)].value
            return push(s, &depth, value, b)
        case 6:
            if space(&s[top], b) { return .consumed }
            if b == 0x7D { return requiredDone(node, s[top].count) ? .completeConsumed : .reject }
            guard b == 0x2C, grammar.candidates[Int(node.second) + Int(s[top].count) + 1] != 0 else { return .reject }
            s[top].phase = 7
            s[top].flags &= ~1
            return .consumed
        default:
            return .reject
        }
    }

    @inline(__always)
    private func requiredDone(_ node: GrammarNode, _ last: Int32) -> Bool {
        let after = last + 1
        return after >= 64 || node.requiredMask >> UInt64(after) == 0
    }

    private func matchKey(_ f: inout GrammarFrame, _ node: GrammarNode, _ b: UInt8) -> Step {
        let position = Int(f.small)
        var remaining = f.bits
        var kept: UInt64 = 0
        var completed: Int32 = -1
        while remaining != 0 {
            let i = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            let key = grammar.properties[Int(node.first) + i].key
            if key.count > position, key[position] == b {
                kept |= 1 << UInt64(i)
                if key.count == position + 1 { completed = Int32(i) }
            }
        }
        guard kept != 0 else { return .reject }
        f.bits = kept
        f.small += 1
        if completed >= 0 {
            // Keys are quoted, so a complete key is no other key's prefix.
            f.count = completed
            f.phase = 3
            f.bits = 0
            f.small = 0
        }
        return .consumed
    }

    // MARK: - Maps (free keys)

    /// Phases: 0 `{`; 1 after `{`; 2 in a key; 3 before `:`; 4 after `:`; 5 in a value; 6 after a value;
    /// 7 after `,`.
    private func stepMap(_ s: UnsafeMutablePointer<GrammarFrame>, _ depth: inout Int, _ node: GrammarNode,
                         _ b: UInt8) -> Step {
        let top = depth - 1
        switch s[top].phase {
        case 0:
            guard b == 0x7B else { return .reject }
            s[top].phase = 1
            return .consumed
        case 1, 7:
            if space(&s[top], b) { return .consumed }
            if b == 0x7D, s[top].phase == 1 { return .completeConsumed }
            guard b == 0x22 else { return .reject }
            s[top].phase = 2
            return push(s, &depth, node.first, b)
        case 3:
            guard b == 0x3A else { return .reject }
            s[top].phase = 4
            return .consumed
        case 4:
            if space(&s[top], b) { return .consumed }
            s[top].phase = 5
            return push(s, &depth, node.second, b)
        case 6:
            if space(&s[top], b) { return .consumed }
            if b == 0x7D { return .completeConsumed }
            guard b == 0x2C else { return .reject }
            s[top].phase = 7
            s[top].flags &= ~1
            return .consumed
        default:
            return .reject
        }
    }

    // MARK: - Arrays

    /// Phases: 0 `[`; 1 after `[`; 2 in an item; 3 after an item; 4 after `,`. `count`: items started
    /// (saturating at the node's counter cap).
    private func stepArray(_ s: UnsafeMutablePointer<GrammarFrame>, _ depth: inout Int, _ node: GrammarNode,
                           _ b: UInt8) -> Step {
        let top = depth - 1
        switch s[top].phase {
        case 0:
            guard b == 0x5B else { return .reject }
            s[top].phase = 1
            return .consumed
        case 1, 4:
            if space(&s[top], b) { return .consumed }
            if b == 0x5D, s[top].phase == 1 { return node.minimum == 0 ? .completeConsumed : .reject }
            guard Int64(s[top].count) < node.maximum else { return .reject }
            if s[top].count < node.counterCap { s[top].count += 1 }
            s[top].phase = 2
            return push(s, &depth, node.first, b)
        case 3:
            if space(&s[top], b) { return .consumed }
            if b == 0x5D { return Int64(s[top].count) >= node.minimum ? .completeConsumed : .reject }
            guard b == 0x2C, Int64(s[top].count) < node.maximum else { return .reject }
            s[top].phase = 4
            s[top].flags &= ~1
            return .consumed
        default:
            return .reject
        }
    }

    // MARK: - Tagged unions

    /// Phases: 0 `{`; 1 after `{`; 2 in the tag key; 3 before `:`; 4 after `:`; 5 in the tag value, whose
    /// end turns the frame into the chosen object's (see ``childDone(_:_:)``).
    private func stepTagged(_ s: UnsafeMutablePointer<GrammarFrame>, _ depth: inout Int, _ node: GrammarNode,
                            _ b: UInt8) -> Step {
        let top = depth - 1
        let key = grammar.properties[Int(grammar.nodes[Int(grammar.tagTargets[Int(node.first)])].first)].key
        switch s[top].phase {
        case 0:
            guard b == 0x7B else { return .reject }
            s[top].phase = 1
            return .consumed
        case 1:
            if space(&s[top], b) { return .consumed }
            guard b == key[0] else { return .reject }
            s[top].phase = 2
            s[top].small = 1
            return .consumed
        case 2:
            guard key[Int(s[top].small)] == b else { return .reject }
            s[top].small += 1
            if Int(s[top].small) == key.count { s[top].phase = 3 }
            return .consumed
        case 3:
            guard b == 0x3A else { return .reject }
            s[top].phase = 4
            s[top].flags &= ~1
            return .consumed
        case 4:
            if space(&s[top], b) { return .consumed }
            s[top].phase = 5
            return push(s, &depth, node.second, b)
        default:
            return .reject
        }
    }
}
