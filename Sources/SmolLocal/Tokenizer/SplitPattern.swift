/// The pre-tokenizer regexes of the supported model families, implemented as hand-written scanners.
///
/// Each scanner reproduces, match for match, what Oniguruma (inside Hugging Face `tokenizers`) finds for the
/// pattern with leftmost, ordered-alternative, backtracking semantics. Every character lands in some match,
/// so splitting with the "isolated" behaviour is simply the list of matches.
enum SplitPattern: String, Sendable, CaseIterable {
    /// GPT-2's `ByteLevel` regex (also SmolLM2, StarCoder).
    case gpt2
    /// Llama-3's `Split` regex: case-insensitive contractions, numbers in groups of up to three.
    case llama3
    /// Qwen2's `Split` regex: like Llama-3, but every digit on its own.
    case qwen2

    /// The regex source as it appears in `tokenizer.json`, used to recognize the pattern.
    var regex: String {
        switch self {
        case .gpt2:
            return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The pattern whose source is `regex`, or `nil` for any other regex.
    init?(regex: String) {
        guard let match = SplitPattern.allCases.first(where: { $0.regex == regex }) else { return nil }
        self = match
    }

    /// Appends the matches inside `range` of `scalars` to `output`, treating the range's bounds as the
    /// ends of the text (as the regex sees each piece on its own).
    func split(_ scalars: [Unicode.Scalar], _ classes: [ScalarClass], in range: Range<Int>, into output: inout [Range<Int>]) {
        var position = range.lowerBound
        while position < range.upperBound {
            let end: Int
            switch self {
            case .gpt2: end = gpt2Match(scalars, classes, at: position, end: range.upperBound)
            case .llama3: end = llamaMatch(scalars, classes, at: position, end: range.upperBound, maximumDigits: 3)
            case .qwen2: end = llamaMatch(scalars, classes, at: position, end: range.upperBound, maximumDigits: 1)
            }
            // Every scanner consumes at least one scalar; the guard keeps a future bug from looping forever.
            let safeEnd = max(end, position + 1)
            output.append(position..<safeEnd)
            position = safeEnd
        }
    }

    private func gpt2Match(_ s: [Unicode.Scalar], _ classes: [ScalarClass], at i: Int, end n: Int) -> Int {
        if s[i] == "'", let length = contractionLength(s, at: i, end: n, caseInsensitive: false) {
            return i + length
        }
        // ` ?\p{L}+`, ` ?\p{N}+` and ` ?[^\s\p{L}\p{N}]+` in that order: a space joins a following run.
        var start = i
        if s[i] == " ", i + 1 < n, !classes[i + 1].contains(.whitespace) { start = i + 1 }
        let first = classes[start]
        if !first.contains(.whitespace) {
            return runEnd(classes, from: start, end: n, sameKindAs: first)
        }
        return whitespaceMatch(classes, at: i, end: n)
    }

    private func llamaMatch(
        _ s: [Unicode.Scalar], _ classes: [ScalarClass], at i: Int, end n: Int, maximumDigits: Int
    ) -> Int {
        if s[i] == "'", let length = contractionLength(s, at: i, end: n, caseInsensitive: true) {
            return i + length
        }
        let current = classes[i]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if current.contains(.letter) {
            return runEnd(classes, from: i, end: n, sameKindAs: .letter)
        }
        if !current.contains(.number), !current.contains(.lineBreak), i + 1 < n, classes[i + 1].contains(.letter) {
            return runEnd(classes, from: i + 1, end: n, sameKindAs: .letter)
        }
        // `\p{N}{1,3}` or `\p{N}`
        if current.contains(.number) {
            var j = i + 1
            while j < n, j - i < maximumDigits, classes[j].contains(.number) { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = i
        if s[i] == " ", i + 1 < n, classes[i + 1].isOther { start = i + 1 }
        if classes[start].isOther {
            var j = runEnd(classes, from: start, end: n, sameKindAs: [])
            while j < n, classes[j].contains(.lineBreak) { j += 1 }
            return j
        }
        // `\s*[\r\n]+`: greedy whitespace backs off to the last line break of the run.
        var runEnd = i
        var lastBreak = -1
        while runEnd < n, classes[runEnd].contains(.whitespace) {
            if classes[runEnd].contains(.lineBreak) { lastBreak = runEnd }
            runEnd += 1
        }
        if lastBreak >= 0 { return lastBreak + 1 }
        return whitespaceMatch(classes, at: i, end: n)
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar: a run followed by text gives its last space to that text.
    private func whitespaceMatch(_ classes: [ScalarClass], at i: Int, end n: Int) -> Int {
        var j = i
        while j < n, classes[j].contains(.whitespace) { j += 1 }
        if j == n { return j }
        return max(j - 1, i + 1)
    }

    /// The end of the run starting at `start` of scalars in the same class (letters, numbers, or "other"
    /// when `kind` is empty).
    private func runEnd(_ classes: [ScalarClass], from start: Int, end n: Int, sameKindAs kind: ScalarClass) -> Int {
        var j = start + 1
        if kind.contains(.letter) {
            while j < n, classes[j].contains(.letter) { j += 1 }
        } else if kind.contains(.number) {
            while j < n, classes[j].contains(.number) { j += 1 }
        } else {
            while j < n, classes[j].isOther { j += 1 }
        }
        return j
    }

    /// The length of `'s|'t|'re|'ve|'m|'ll|'d` at `i`, optionally ignoring case as `(?i:…)` does.
    private func contractionLength(_ s: [Unicode.Scalar], at i: Int, end n: Int, caseInsensitive: Bool) -> Int? {
        func letter(_ offset: Int) -> UInt32? {
            guard i + offset < n else { return nil }
            let value = s[i + offset].value
            guard caseInsensitive else { return value }
            if (0x41...0x5A).contains(value) { return value + 0x20 }
            // Case folding maps LATIN SMALL LETTER LONG S (ſ) to `s`, so `(?i:'s)` matches `'ſ` in Oniguruma.
            // (The other non-ASCII folds, such as KELVIN SIGN → k, land on letters no contraction uses.)
            if value == 0x17F { return 0x73 }
            return value
        }
        guard let first = letter(1) else { return nil }
        switch first {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72, 0x76:  // re ve
            return letter(2) == 0x65 ? 3 : nil
        case 0x6C:  // ll
            return letter(2) == 0x6C ? 3 : nil
        default:
            return nil
        }
    }
}
