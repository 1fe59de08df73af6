/// The vocabulary's byte strings as a trie laid out in depth-first order, so that a walk can skip a
/// whole subtree (every token sharing a rejected prefix) with one index jump.
///
/// Built once per tokenizer. Special tokens (which decode to nothing) and end-of-sequence tokens are left
/// out: a constraint allows them separately, or never.
final class TokenTrie: Sendable {
    /// The byte on the edge into each node.
    let bytes: [UInt8]
    /// Each node's depth (1 for the first byte of a token).
    let depths: [UInt16]
    /// The index just past each node's subtree.
    let skips: [Int32]
    /// `tokens[tokenStarts[i]..<tokenStarts[i + 1]]`: the tokens whose bytes end at node `i`.
    let tokenStarts: [Int32]
    let tokens: [Int32]
    /// The longest token, in bytes.
    let maxLength: Int
    /// Every id's bytes, for advancing a constraint by a sampled token.
    let tokenBytes: [[UInt8]]
    let vocabularySize: Int

    init(tokenizer: Tokenizer, excluding excluded: Set<Int32>) {
        tokenBytes = tokenizer.tokenBytes
        vocabularySize = tokenizer.vocabularySize
        var ids: [Int32] = []
        for id in 0..<tokenizer.vocabularySize {
            let token = Int32(id)
            guard tokenizer.tokenTexts[id] != nil, !tokenizer.tokenBytes[id].isEmpty,
                  !tokenizer.specialTokenIDs.contains(token), !excluded.contains(token)
            else { continue }
            ids.append(token)
        }
        let all = tokenizer.tokenBytes
        ids.sort { all[Int($0)].lexicographicallyPrecedes(all[Int($1)]) }
        var bytes: [UInt8] = [], depths: [UInt16] = [], skips: [Int32] = [], ends: [Int32] = []
        var path: [Int32] = []
        var previous: [UInt8] = []
        var longest = 0
        var endOwner: [Int32] = []  // token id -> node, in insertion order
        for id in ids {
            let word = all[Int(id)]
            longest = max(longest, word.count)
            var shared = 0
            while shared < min(previous.count, word.count), previous[shared] == word[shared] { shared += 1 }
            while path.count > shared {
                skips[Int(path.removeLast())] = Int32(bytes.count)
            }
            for position in shared..<word.count {
                path.append(Int32(bytes.count))
                bytes.append(word[position])
                depths.append(UInt16(position + 1))
                skips.append(0)
            }
            ends.append(path[word.count - 1])
            endOwner.append(id)
            previous = word
        }
        while let node = path.popLast() { skips[Int(node)] = Int32(bytes.count) }
        // Tokens ending at a node were appended in node order (sorted input), so a prefix sum indexes them.
        var starts = [Int32](repeating: 0, count: bytes.count + 1)
        for node in ends { starts[Int(node) + 1] += 1 }
        for i in 0..<bytes.count { starts[i + 1] += starts[i] }
        self.bytes = bytes
        self.depths = depths
        self.skips = skips
        self.tokenStarts = starts
        self.tokens = endOwner
        self.maxLength = longest
    }
}
