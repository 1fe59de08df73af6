/// A token matched in the raw text before the model runs (`added_tokens` in `tokenizer.json`).
struct AddedToken: Sendable, Equatable {
    /// The token's text.
    var content: String
    /// Its id.
    var id: Int32
    /// Special tokens (control tokens) are dropped by `decode(_:skipSpecialTokens:)` with `true`.
    var isSpecial: Bool
    /// Whitespace before a match is absorbed into the token.
    var stripsLeft: Bool
    /// Whitespace after a match is absorbed into the token.
    var stripsRight: Bool
    /// Matches only when not inside a word.
    var isSingleWord: Bool
    /// Matched in the normalized text rather than the raw text.
    var isNormalized: Bool

    /// Creates an added token; the flags default to those of special tokens in the real vocabularies.
    init(
        content: String, id: Int32, isSpecial: Bool, stripsLeft: Bool = false, stripsRight: Bool = false,
        isSingleWord: Bool = false, isNormalized: Bool = false
    ) {
        self.content = content
        self.id = id
        self.isSpecial = isSpecial
        self.stripsLeft = stripsLeft
        self.stripsRight = stripsRight
        self.isSingleWord = isSingleWord
        self.isNormalized = isNormalized
    }
}

/// A part of the input text: either plain text for the model, or an added token already resolved.
enum TextSegment: Equatable {
    case text([Unicode.Scalar])
    case token(Int32)
}

/// Leftmost-longest matching of a set of added tokens, as `tokenizers`' `AddedVocabulary` does with
/// Aho-Corasick, done per first scalar (the vocabularies have a few hundred added tokens at most).
struct AddedTokenMatcher: Sendable {
    private let tokens: [AddedToken]
    private let patterns: [[Unicode.Scalar]]
    /// Candidate token indexes by first scalar, longest first.
    private let byFirstScalar: [Unicode.Scalar: [Int]]
    /// Whether some token starts with a scalar whose low byte is the index: skips hashing most scalars.
    private let mayStartToken: [Bool]

    init(_ tokens: [AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        self.tokens = usable
        let patterns = usable.map { Array($0.content.unicodeScalars) }
        self.patterns = patterns
        var index: [Unicode.Scalar: [Int]] = [:]
        for (i, pattern) in patterns.enumerated() { index[pattern[0], default: []].append(i) }
        for key in index.keys { index[key]?.sort { patterns[$0].count > patterns[$1].count } }
        self.byFirstScalar = index
        var filter = [Bool](repeating: false, count: 256)
        for scalar in index.keys { filter[Int(scalar.value & 0xFF)] = true }
        self.mayStartToken = filter
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Splits `scalars` into plain text and matched tokens; special tokens only with `includingSpecial`.
    func split(_ scalars: [Unicode.Scalar], includingSpecial: Bool = true) -> [TextSegment] {
        guard !tokens.isEmpty else { return scalars.isEmpty ? [] : [.text(scalars)] }
        var segments: [TextSegment] = []
        var textStart = 0
        var i = 0
        let n = scalars.count
        while i < n {
            guard mayStartToken[Int(scalars[i].value & 0xFF)], let candidates = byFirstScalar[scalars[i]],
                let (tokenIndex, end) = longestMatch(candidates, scalars, at: i, includingSpecial: includingSpecial)
            else {
                i += 1
                continue
            }
            let token = tokens[tokenIndex]
            var start = i
            var stop = end
            if token.stripsLeft {
                while start > textStart, scalars[start - 1].properties.isWhitespace { start -= 1 }
            }
            if token.stripsRight {
                while stop < n, scalars[stop].properties.isWhitespace { stop += 1 }
            }
            if start > textStart { segments.append(.text(Array(scalars[textStart..<start]))) }
            segments.append(.token(token.id))
            textStart = stop
            i = stop
        }
        if textStart < n { segments.append(.text(Array(scalars[textStart..<n]))) }
        return segments
    }

    private func longestMatch(
        _ candidates: [Int], _ scalars: [Unicode.Scalar], at i: Int, includingSpecial: Bool
    ) -> (Int, Int)? {
        for candidate in candidates where includingSpecial || !tokens[candidate].isSpecial {
            let pattern = patterns[candidate]
            let end = i + pattern.count
            guard end <= scalars.count, scalars[i..<end].elementsEqual(pattern) else { continue }
            if tokens[candidate].isSingleWord {
                if i > 0, Self.isWordScalar(scalars[i - 1]) { continue }
                if end < scalars.count, Self.isWordScalar(scalars[end]) { continue }
            }
            return (candidate, end)
        }
        return nil
    }

    /// Rust regex's `\w` as `tokenizers` uses it for `single_word`: alphanumerics and `_`.
    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}
