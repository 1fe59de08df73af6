extension JSONRecognizer {
    /// A lower bound on the bytes still needed to complete the document from this state (exact for most
    /// states; formats other than `date` and `uuid` count only their closing quote).
    ///
    /// Every byte a completion needs is ASCII, and byte-level vocabularies have a token for each, so a
    /// document whose bound is at most the tokens left can always be finished in time: the generator uses
    /// this to keep answers within `max_new_tokens` instead of cutting them.
    func minimumRemaining(_ s: UnsafePointer<GrammarFrame>, _ depth: Int) -> Int {
        var total = 0
        for level in 0..<depth {
            total += remaining(s[level])
        }
        return total
    }

    private func remaining(_ f: GrammarFrame) -> Int {
        let g = grammar
        if f.node < 0 {
            switch f.phase {
            case 0: return g.prefix.count - Int(f.small) + g.minimumLengths[Int(g.root)] + g.suffix.count
            case 1: return g.minimumLengths[Int(g.root)] + g.suffix.count
            case 2: return g.suffix.count
            case 3: return g.suffix.count - Int(f.small)
            default: return 0
            }
        }
        let node = g.nodes[Int(f.node)]
        let minimum = g.minimumLengths[Int(f.node)]
        switch node.kind {
        case .object:
            let base = Int(node.second)
            func value(_ j: Int) -> Int { g.minimumLengths[Int(g.properties[Int(node.first) + j].value)] }
            func rest(_ last: Int32) -> Int { g.remainders[base + Int(last) + 1] }
            switch f.phase {
            case 0: return minimum
            case 1: return g.remainders[base]
            case 7:
                // After a comma a property must follow, even if none is required any more.
                let mask = g.candidates[base + Int(f.count) + 1]
                var best = Int.max
                var bits = mask
                while bits != 0 {
                    let j = bits.trailingZeroBitCount
                    bits &= bits - 1
                    let p = g.properties[Int(node.first) + j]
                    best = min(best, p.key.count + 1 + value(j) + rest(Int32(j)))
                }
                return best == Int.max ? 1 : best
            case 2:
                var best = Int.max
                var bits = f.bits
                while bits != 0 {
                    let j = bits.trailingZeroBitCount
                    bits &= bits - 1
                    let p = g.properties[Int(node.first) + j]
                    best = min(best, p.key.count - Int(f.small) + 1 + value(j) + rest(Int32(j)))
                }
                return best == Int.max ? 1 : best
            case 3: return 1 + value(Int(f.count)) + rest(f.count)
            case 4: return value(Int(f.count)) + rest(f.count)
            default: return rest(f.count)  // 5 (a value in progress) and 6
            }
        case .map:
            let value = g.minimumLengths[Int(node.second)]
            switch f.phase {
            case 0: return minimum
            case 2, 3: return 1 + value + 1
            case 4: return value + 1
            case 7: return 2 + 1 + value + 1
            default: return 1
            }
        case .array:
            let item = g.minimumLengths[Int(node.first)]
            let missing = max(0, Int(node.minimum) - Int(f.count))
            switch f.phase {
            case 0: return minimum
            case 1: return node.minimum == 0 ? 1 : Int(node.minimum) * (item + 1)
            case 4: return item + max(0, missing - 1) * (item + 1) + 1
            default: return missing * (item + 1) + 1
            }
        case .string:
            switch f.phase {
            case 0: return minimum
            case 2: return 1 + max(0, Int(node.minimum) - Int(f.count)) + 1
            case 3: return 4 - Int(f.small) + max(0, Int(node.minimum) - Int(f.count)) + 1
            default:
                var format = 0
                if node.format == .date { format = 10 - Int(f.extra & 0x3F) }
                if node.format == .uuid { format = 36 - Int(f.extra) }
                return Int(f.small) + max(0, Int(node.minimum) - Int(f.count)) + format + 1
            }
        case .number, .integer:
            switch f.phase {
            case 0: return minimum
            case 1, 4: return 1
            default: return 0
            }
        case .literals:
            var best = Int.max
            for i in Int(f.count)..<Int(f.extra) { best = min(best, g.literals[i].count - Int(f.small)) }
            return best == Int.max ? 0 : best
        case .tagged:
            var best = Int.max
            for t in 0..<Int(node.count) {
                let target = g.nodes[Int(g.tagTargets[Int(node.first) + t])]
                best = min(best, g.remainders[Int(target.second) + 1])
            }
            let tag = g.minimumLengths[Int(node.second)]
            let key = g.properties[Int(g.nodes[Int(g.tagTargets[Int(node.first)])].first)].key.count
            switch f.phase {
            case 0: return minimum
            case 1: return key + 1 + tag + best
            case 2: return key - Int(f.small) + 1 + tag + best
            case 3: return 1 + tag + best
            case 4: return tag + best
            default: return best
            }
        case .union:
            return minimum
        }
    }
}
