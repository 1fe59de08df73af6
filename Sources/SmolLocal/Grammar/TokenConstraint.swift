import SmolCore

/// Which tokens may come next under a ``JSONGrammar``: the live recognizer state of one generation, and a
/// cache of token masks per recognizer state shared by the generations that use the same grammar.
///
/// A mask is computed by walking the ``TokenTrie`` depth first, stepping a copy of the state by each
/// byte and skipping the subtree of any rejected prefix; end-of-sequence tokens are allowed only when the
/// document is complete. Inside a string most tokens are allowed and the walk visits most of the trie
/// (about a millisecond), but the state there does not change from token to token (string lengths are
/// only counted when a bound needs them), so the cache answers almost every step; a hit costs a hash and
/// a comparison and allocates nothing.
///
/// Confined to its generator's serial queue (see `LocalGenerator`), which is why it may hold mutable
/// state and raw buffers: `@unchecked Sendable` is sound because no two threads ever use one at once.
final class TokenConstraint: @unchecked Sendable {
    let grammar: JSONGrammar
    private let trie: TokenTrie
    private let recognizer: JSONRecognizer
    private let endOfSequence: [Int32]
    private let stackCapacity: Int
    let words: Int

    /// The live state.
    private let live: UnsafeMutablePointer<GrammarFrame>
    private var liveDepth = 0
    /// Per trie depth, a state (the walk's scratch).
    private let levels: UnsafeMutablePointer<GrammarFrame>
    private let levelDepths: UnsafeMutablePointer<Int>

    /// Cached masks: `words` UInt64 per entry; entries found by a hash of the state, checked by comparing it.
    private var masks: [UInt64] = []
    private var entryByHash: [UInt64: Int] = [:]
    private var entryStates: [[GrammarFrame]] = []
    static let maximumEntries = 2048

    /// Statistics for benchmarks: masks computed (cache misses) and served from the cache.
    private(set) var computed = 0
    private(set) var reused = 0
    /// Masks computed under a token budget (near `max_new_tokens`).
    private(set) var budgeted = 0
    private var budgetMask: [UInt64] = []

    init(grammar: JSONGrammar, trie: TokenTrie, endOfSequence: Set<Int32>) {
        self.grammar = grammar
        self.trie = trie
        recognizer = JSONRecognizer(grammar: grammar)
        self.endOfSequence = endOfSequence.sorted().filter { $0 >= 0 && Int($0) < trie.vocabularySize }
        stackCapacity = grammar.maxDepth + 1
        words = (trie.vocabularySize + 63) / 64
        live = .allocate(capacity: stackCapacity)
        levels = .allocate(capacity: stackCapacity * (trie.maxLength + 1))
        levelDepths = .allocate(capacity: trie.maxLength + 1)
        reset()
    }

    deinit {
        live.deallocate()
        levels.deallocate()
        levelDepths.deallocate()
    }

    /// Starts a new document.
    func reset() {
        liveDepth = recognizer.start(live)
    }

    /// Whether the document is complete and nothing may follow it.
    var isFinished: Bool { recognizer.isFinished(live, liveDepth) }

    /// Whether end-of-sequence is allowed now.
    var canEnd: Bool { recognizer.canEnd(live, liveDepth) }

    /// Advances the live state by `token`'s bytes.
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` when the token cannot continue the document
    ///   (only possible if it was not drawn from ``withAllowedTokens(_:)``).
    func accept(_ token: Int32) throws(ModelError) {
        guard token >= 0, Int(token) < trie.tokenBytes.count else {
            throw .invalidInput(message: "token \(token) is outside the vocabulary", location: "response_format")
        }
        for byte in trie.tokenBytes[Int(token)] where !recognizer.step(live, &liveDepth, byte) {
            throw .invalidInput(message: "token \(token) does not continue the constrained document", location: "response_format")
        }
    }

    /// Calls `body` with the allowed-token bit mask for the live state (bit `i % 64` of word `i / 64`).
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` when no token is allowed (a vocabulary that
    ///   cannot spell what the grammar needs).
    func withAllowedTokens<R>(_ body: (UnsafeBufferPointer<UInt64>) throws(ModelError) -> R) throws(ModelError) -> R {
        try withAllowedTokens(tokensLeft: .max, body)
    }

    /// Bytes close enough to the token limit for the budget check to start (a token rarely adds more).
    static let budgetMargin = 48

    /// Like ``withAllowedTokens(_:)``, keeping the document completable within `tokensLeft` tokens (this one
    /// included): near the limit, a token is allowed only if the bytes the document then still needs at
    /// least fit in the tokens after it. Those masks depend on the budget, so they are computed, not cached.
    func withAllowedTokens<R>(tokensLeft: Int, _ body: (UnsafeBufferPointer<UInt64>) throws(ModelError) -> R) throws(ModelError) -> R {
        if tokensLeft != .max, recognizer.minimumRemaining(live, liveDepth) + Self.budgetMargin >= tokensLeft {
            if budgetMask.count != words { budgetMask = [UInt64](repeating: 0, count: words) }
            let allowed = budgetMask.withUnsafeMutableBufferPointer { mask in
                for w in 0..<mask.count { mask[w] = 0 }
                return computeMask(into: mask, limit: tokensLeft - 1)
            }
            if allowed > 0 {
                budgeted += 1
                return try budgetMask.withUnsafeBufferPointer { (mask) throws(ModelError) -> R in try body(mask) }
            }
            // Not even the shortest completion fits: let the limit cut the document ("length").
        }
        let entry = try entryForLiveState()
        return try masks.withUnsafeBufferPointer { (all) throws(ModelError) -> R in
            try body(UnsafeBufferPointer(rebasing: all[(entry * words)..<((entry + 1) * words)]))
        }
    }

    private func hashLive() -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ v: UInt64) { h = (h ^ v) &* 0x100_0000_01b3 }
        for i in 0..<liveDepth {
            let f = live[i]
            mix(UInt64(UInt32(bitPattern: f.node)) | UInt64(f.phase) << 32 | UInt64(f.flags) << 40 | UInt64(f.small) << 48)
            mix(UInt64(UInt32(bitPattern: f.count)) | UInt64(UInt32(bitPattern: f.extra)) << 32)
            mix(f.bits)
        }
        return h
    }

    private func liveEquals(_ stored: [GrammarFrame]) -> Bool {
        guard stored.count == liveDepth else { return false }
        for i in 0..<liveDepth where stored[i] != live[i] { return false }
        return true
    }

    private func entryForLiveState() throws(ModelError) -> Int {
        let hash = hashLive()
        if let entry = entryByHash[hash], liveEquals(entryStates[entry]) {
            reused += 1
            return entry
        }
        if entryStates.count >= Self.maximumEntries {
            masks.removeAll(keepingCapacity: true)
            entryByHash.removeAll(keepingCapacity: true)
            entryStates.removeAll(keepingCapacity: true)
        }
        let entry = entryStates.count
        masks.append(contentsOf: repeatElement(0, count: words))
        let allowed = masks.withUnsafeMutableBufferPointer { all in
            computeMask(into: UnsafeMutableBufferPointer(rebasing: all[(entry * words)..<((entry + 1) * words)]))
        }
        guard allowed > 0 else {
            masks.removeLast(words)
            throw .invalidInput(message: "no token of the vocabulary can continue the constrained document here",
                                location: "response_format")
        }
        entryStates.append(Array(UnsafeBufferPointer(start: live, count: liveDepth)))
        entryByHash[hash] = entry
        computed += 1
        return entry
    }

    /// Sets the bits of the tokens that can follow the live state (and, under a `limit`, leave a document
    /// that needs at most `limit` more bytes); returns how many.
    private func computeMask(into mask: UnsafeMutableBufferPointer<UInt64>, limit: Int = .max) -> Int {
        var allowed = 0
        let capacity = stackCapacity
        levels.update(from: live, count: liveDepth)
        levelDepths[0] = liveDepth
        trie.bytes.withUnsafeBufferPointer { bytes in
        trie.depths.withUnsafeBufferPointer { depths in
        trie.skips.withUnsafeBufferPointer { skips in
        trie.tokenStarts.withUnsafeBufferPointer { starts in
        trie.tokens.withUnsafeBufferPointer { tokens in
            var i = 0
            let count = bytes.count
            while i < count {
                let d = Int(depths[i])
                let source = levels + (d - 1) * capacity
                let target = levels + d * capacity
                var depth = levelDepths[d - 1]
                target.update(from: source, count: depth)
                if recognizer.step(target, &depth, bytes[i]) {
                    levelDepths[d] = depth
                    var t = Int(starts[i])
                    var end = Int(starts[i + 1])
                    if t < end, limit != .max, recognizer.minimumRemaining(target, depth) > limit { end = t }
                    while t < end {
                        let id = Int(tokens[t])
                        mask[id >> 6] |= 1 << UInt64(id & 63)
                        allowed += 1
                        t += 1
                    }
                    i += 1
                } else {
                    i = Int(skips[i])
                }
            }
        }}}}}
        if recognizer.canEnd(live, liveDepth) {
            for id in endOfSequence {
                mask[Int(id) >> 6] |= 1 << UInt64(id & 63)
                allowed += 1
            }
        }
        return allowed
    }
}
