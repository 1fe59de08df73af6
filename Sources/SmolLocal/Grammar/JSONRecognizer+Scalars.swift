/// Strings, numbers and literal sets: the values that never push a child frame.
extension JSONRecognizer {
    // MARK: - Strings

    /// Phases: 0 `"`; 1 in the body (`small`: continuation bytes still due, flag bits 2-4: the first one's
    /// range); 2 after `\`; 3 in `\uXXXX` (`small`: hex digits, flag 2: began with `d`). `count`: code
    /// points (saturating), `extra`: the format's state.
    func stepString(_ f: inout GrammarFrame, _ node: GrammarNode, _ b: UInt8) -> Step {
        switch f.phase {
        case 0:
            guard b == 0x22 else { return .reject }
            f.phase = 1
            return .consumed
        case 1:
            if f.small > 0 {
                let range = (f.flags >> 2) & 7
                let low: UInt8, high: UInt8
                switch range {
                case 1: (low, high) = (0xA0, 0xBF)
                case 2: (low, high) = (0x80, 0x9F)
                case 3: (low, high) = (0x90, 0xBF)
                case 4: (low, high) = (0x80, 0x8F)
                default: (low, high) = (0x80, 0xBF)
                }
                guard b >= low, b <= high else { return .reject }
                f.small -= 1
                f.flags &= ~(7 << 2)
                return .consumed
            }
            if b == 0x22 {
                guard Int64(f.count) >= node.minimum, node.format.accepts(f.extra) else { return .reject }
                return .completeConsumed
            }
            if node.format != .none {
                let next = node.format.advance(f.extra, b)
                guard next >= 0 else { return .reject }
                f.extra = next
                return .consumed
            }
            guard Int64(f.count) < node.maximum, b >= 0x20 else { return .reject }
            if b == 0x5C {
                f.phase = 2
            } else if b >= 0x80 {
                let pending: UInt16, range: UInt8
                switch b {
                case 0xC2...0xDF: (pending, range) = (1, 0)
                case 0xE0: (pending, range) = (2, 1)
                case 0xED: (pending, range) = (2, 2)
                case 0xE1...0xEF: (pending, range) = (2, 0)
                case 0xF0: (pending, range) = (3, 3)
                case 0xF1...0xF3: (pending, range) = (3, 0)
                case 0xF4: (pending, range) = (3, 4)
                default: return .reject
                }
                f.small = pending
                f.flags |= range << 2
            }
            if f.count < node.counterCap { f.count += 1 }
            return .consumed
        case 2:
            switch b {
            case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                f.phase = 1
                return .consumed
            case 0x75:
                f.phase = 3
                f.small = 0
                f.flags &= ~2
                return .consumed
            default:
                return .reject
            }
        case 3:
            let isHex = (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66)
            guard isHex else { return .reject }
            if f.small == 0, b | 0x20 == 0x64 { f.flags |= 2 }
            // No surrogates (\uD800-\uDFFF): a lone one would not survive every JSON reader.
            if f.small == 1, f.flags & 2 != 0, !(b >= 0x30 && b <= 0x37) { return .reject }
            f.small += 1
            if f.small == 4 {
                f.phase = 1
                f.small = 0
                f.flags &= ~2
            }
            return .consumed
        default:
            return .reject
        }
    }

    // MARK: - Numbers

    /// Phases: 0 start; 1 after `-`; 2 in the integer part (`bits`: its value, `small`: its digits);
    /// 3 after a leading `0`; 4 after `.`; 5 in the fraction (`count`: its digits). Flag 2: negative.
    /// No exponents, at most 18 integer and 12 fraction digits.
    func stepNumber(_ f: inout GrammarFrame, _ node: GrammarNode, _ b: UInt8) -> Step {
        let isDigit = b >= 0x30 && b <= 0x39
        let digit = UInt64(b &- 0x30)
        let negative = f.flags & 2 != 0
        switch f.phase {
        case 0, 1:
            if f.phase == 0, b == 0x2D {
                guard node.minimum < 0 else { return .reject }
                f.flags |= 2
                f.phase = 1
                return .consumed
            }
            guard isDigit, reachable(node, digit, digits: 1, negative: negative) else { return .reject }
            f.bits = digit
            f.small = 1
            f.phase = digit == 0 ? 3 : 2
            return .consumed
        case 2, 3:
            if isDigit {
                guard f.phase == 2, f.small < 18 else { return .reject }
                let value = f.bits * 10 + digit
                guard reachable(node, value, digits: Int(f.small) + 1, negative: negative) else { return .reject }
                f.bits = value
                f.small += 1
                return .consumed
            }
            if b == 0x2E {
                guard node.kind == .number, fractionAllowed(node, f.bits, negative: negative) else { return .reject }
                f.phase = 4
                return .consumed
            }
            return integerValid(node, f.bits, negative: negative) ? .completeRetry : .reject
        case 4:
            guard isDigit else { return .reject }
            f.phase = 5
            f.count = 1
            return .consumed
        case 5:
            if isDigit {
                guard f.count < 12 else { return .reject }
                f.count += 1
                return .consumed
            }
            return .completeRetry
        default:
            return .reject
        }
    }

    /// The magnitudes a value with this sign may have.
    @inline(__always)
    private func magnitudeRange(_ node: GrammarNode, negative: Bool) -> (UInt64, UInt64)? {
        if negative {
            guard node.minimum < 0 else { return nil }
            let low = node.maximum >= 0 ? 0 : UInt64(-node.maximum)
            let high = UInt64(-node.minimum)
            return low <= high ? (low, high) : nil
        }
        guard node.maximum >= 0 else { return nil }
        return (UInt64(max(node.minimum, 0)), UInt64(node.maximum))
    }

    /// Whether an integer part starting with `value` (`digits` digits) can still end inside the bounds.
    private func reachable(_ node: GrammarNode, _ value: UInt64, digits: Int, negative: Bool) -> Bool {
        guard let (low, high) = magnitudeRange(node, negative: negative) else { return false }
        if value == 0 { return low == 0 }
        var scale: UInt64 = 1
        var extra = 0
        while digits + extra <= 18 {
            let from = value * scale
            if from > high { return false }
            let to = (value + 1) * scale - 1
            if to >= low { return true }
            scale *= 10
            extra += 1
        }
        return false
    }

    func integerValid(_ node: GrammarNode, _ magnitude: UInt64, negative: Bool) -> Bool {
        guard let (low, high) = magnitudeRange(node, negative: negative) else { return false }
        return magnitude >= low && magnitude <= high
    }

    /// Whether every `±magnitude.ddd` lies within the bounds: then any fraction digits are safe.
    private func fractionAllowed(_ node: GrammarNode, _ magnitude: UInt64, negative: Bool) -> Bool {
        guard integerValid(node, magnitude, negative: negative) else { return false }
        let m = Double(magnitude)
        return negative ? -(m + 1) >= node.lowerBound : m + 1 <= node.upperBound
    }

    // MARK: - Literals

    /// `count`…`extra`: the literals (absolute indices) still matching, `small`: bytes matched. When
    /// complete, `count` is the literal written.
    func stepLiterals(_ f: inout GrammarFrame, _ node: GrammarNode, _ b: UInt8) -> Step {
        let position = Int(f.small)
        var low = -1, high = -1
        for i in Int(f.count)..<Int(f.extra) {
            let literal = grammar.literals[i]
            if literal.count > position, literal[position] == b {
                if low < 0 { low = i }
                high = i + 1
            } else if low >= 0 {
                break
            }
        }
        guard low >= 0 else {
            return grammar.literals[Int(f.count)].count == position ? .completeRetry : .reject
        }
        f.count = Int32(low)
        f.extra = Int32(high)
        f.small += 1
        if high - low == 1, grammar.literals[low].count == position + 1 { return .completeConsumed }
        return .consumed
    }
}
