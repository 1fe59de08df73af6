import HeapModule
import Synchronization

/// Byte-level BPE: the merge table and the merge loop, plus a small per-word cache.
///
/// Merges are applied lowest rank first, leftmost first among equal ranks (a binary heap over
/// `rank << 32 | position`, as `tokenizers`' `Word::merge_all` and llama.cpp do), on a linked list of
/// symbols, so long words without spaces stay O(n log n).
struct BytePairMerger: Sendable {
    /// `left << 32 | right` → `rank << 32 | merged id`.
    let merges: MergeTable
    /// The id of the single-byte token for each byte value (-1 if absent).
    let byteTokens: [Int32]
    /// With `ignore_merges`, a whole word found in the vocabulary is emitted as is (Llama-3).
    let wholeWords: [ExactText: Int32]?
    /// Replaces bytes that have no token; `nil` drops them (as `tokenizers` without `unk_token`, and llama.cpp).
    let unknownID: Int32?
    let cache: WordCache

    /// Appends the ids for one pre-tokenized word (its UTF-8 bytes).
    func encode(_ word: [UInt8], into output: inout [Int32]) {
        if let wholeWords, let id = wholeWords[ExactText(bytes: word)] {
            output.append(id)
            return
        }
        if word.count > 1, let cached = cache.lookup(word) {
            output.append(contentsOf: cached)
            return
        }
        let ids = merge(word)
        if word.count > 1 { cache.store(word, ids) }
        output.append(contentsOf: ids)
    }

    private func merge(_ word: [UInt8]) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(word.count)
        for byte in word {
            let id = byteTokens[Int(byte)]
            if id >= 0 {
                ids.append(id)
            } else if let unknownID {
                ids.append(unknownID)
            }
        }
        let count = ids.count
        if count < 2 { return ids }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int32(i + 1) }
            buffer[count - 1] = -1
            initialized = count
        }
        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int32(i - 1) }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        var heap = Heap<UInt64>()
        for i in 0..<(count - 1) {
            if let entry = merges[pairKey(ids[i], ids[i + 1])] {
                heap.insert((entry & 0xFFFF_FFFF_0000_0000) | UInt64(i))
            }
        }
        while let top = heap.popMin() {
            let position = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            guard alive[position] else { continue }
            let right = Int(next[position])
            guard right >= 0 else { continue }
            // The heap may hold pairs that an earlier merge changed; only act if the pair still has this rank.
            guard let entry = merges[pairKey(ids[position], ids[right])], entry >> 32 == rank else { continue }
            ids[position] = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF)
            alive[right] = false
            let after = next[right]
            next[position] = after
            if after >= 0 { previous[Int(after)] = Int32(position) }
            let before = previous[position]
            if before >= 0, let left = merges[pairKey(ids[Int(before)], ids[position])] {
                heap.insert((left & 0xFFFF_FFFF_0000_0000) | UInt64(before))
            }
            if after >= 0, let rightEntry = merges[pairKey(ids[position], ids[Int(after)])] {
                heap.insert((rightEntry & 0xFFFF_FFFF_0000_0000) | UInt64(position))
            }
        }
        var result: [Int32] = []
        var i = 0
        while i >= 0 && i < count {
            result.append(ids[i])
            i = Int(next[i])
        }
        return result
    }
}

@inline(__always)
func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
}

/// A bounded word → ids cache shared by copies of a tokenizer.
///
/// A final class holding only a `Mutex`, so it is `Sendable` without `@unchecked`. When full it is cleared
/// rather than evicting one entry at a time: natural text re-uses a small set of words, so it refills fast.
final class WordCache: Sendable {
    private let storage = Mutex<[ExactText: [Int32]]>([:])
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ word: [UInt8]) -> [Int32]? {
        guard capacity > 0 else { return nil }
        let key = ExactText(bytes: word)
        return storage.withLock { $0[key] }
    }

    func store(_ word: [UInt8], _ ids: [Int32]) {
        guard capacity > 0, word.count <= 64 else { return }
        let key = ExactText(bytes: word)
        storage.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = ids
        }
    }
}
