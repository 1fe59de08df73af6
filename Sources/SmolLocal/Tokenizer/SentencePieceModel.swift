import HeapModule
/// SentencePiece-style BPE over a vocabulary with scores (GGUF `tokenizer.ggml.model = "llama"`).
///
/// Follows llama.cpp's SPM tokenizer (and SentencePiece's own BPE encoder): spaces become `▁`, one `▁`
/// goes in front of text that starts the input or follows a matched special token, adjacent symbols merge
/// highest score first (leftmost among ties) while the merged text is a token, and symbols that are not
/// tokens fall back to `<0xNN>` byte tokens.
struct SentencePieceModel: Sendable {
    let pieceIDs: [ExactText: Int32]
    let scores: [Float]
    /// The `<0xNN>` token for each byte (-1 when absent).
    let byteTokens: [Int32]
    let unknownID: Int32?
    let addsDummyPrefix: Bool

    func encode(_ scalars: [Unicode.Scalar], addPrefixSpace: Bool, into output: inout [Int32]) {
        var text = String.UnicodeScalarView()
        if addPrefixSpace && addsDummyPrefix { text.append("\u{2581}") }
        for scalar in scalars { text.append(scalar == " " ? "\u{2581}" : scalar) }
        let bytes = Array(String(text).utf8)
        guard !bytes.isEmpty else { return }

        // Symbols are UTF-8 characters: (start, length) into `bytes`, linked as a list.
        var starts: [Int] = []
        var lengths: [Int] = []
        var offset = 0
        while offset < bytes.count {
            let length = min(Self.sequenceLength(bytes[offset]), bytes.count - offset)
            starts.append(offset)
            lengths.append(length)
            offset += length
        }
        let count = starts.count
        var next = (0..<count).map { $0 + 1 }
        next[count - 1] = -1
        var previous = (0..<count).map { $0 - 1 }

        var queue = Heap<Bigram>()
        func addBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let size = lengths[left] + lengths[right]
            guard let id = pieceIDs[ExactText(bytes: bytes[starts[left]..<(starts[left] + size)])], Int(id) < scores.count else { return }
            queue.insert(Bigram(score: scores[Int(id)], left: left, right: right, size: size))
        }
        for i in 1..<max(count, 1) { addBigram(i - 1, i) }
        while let bigram = queue.popMin() {
            let left = bigram.left
            let right = bigram.right
            guard lengths[left] > 0, lengths[right] > 0, lengths[left] + lengths[right] == bigram.size else { continue }
            lengths[left] += lengths[right]
            lengths[right] = 0
            next[left] = next[right]
            if next[right] >= 0 { previous[next[right]] = left }
            addBigram(previous[left], left)
            addBigram(left, next[left])
        }

        var i = 0
        while i >= 0 {
            let range = starts[i]..<(starts[i] + lengths[i])
            if let id = pieceIDs[ExactText(bytes: bytes[range])] {
                output.append(id)
            } else {
                for byte in bytes[range] {
                    let id = byteTokens[Int(byte)]
                    if id >= 0 {
                        output.append(id)
                    } else if let unknownID {
                        output.append(unknownID)
                    }
                }
            }
            i = next[i]
        }
    }

    /// The length of the UTF-8 sequence a lead byte announces (1 for stray continuation bytes).
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...0xF7: return 4
        case 0xE0...0xEF: return 3
        case 0xC0...0xDF: return 2
        default: return 1
        }
    }
}

struct Bigram: Comparable {
    var score: Float
    var left: Int
    var right: Int
    var size: Int

    /// Higher score first, then the leftmost pair.
    static func < (lhs: Bigram, rhs: Bigram) -> Bool {
        lhs.score != rhs.score ? lhs.score > rhs.score : lhs.left < rhs.left
    }
}
