/// One step of a byte-level pre-tokenizer pipeline (`pre_tokenizer` in `tokenizer.json`).
enum PreTokenizerStep: Sendable, Equatable {
    /// `Split` with one of the known regexes and the "isolated" behaviour.
    case split(SplitPattern)
    /// `Digits`: digits become their own pieces, each one alone when `individual` is true.
    case digits(individual: Bool)
    /// `ByteLevel`: optionally a space before each piece that lacks one, then optionally the GPT-2 regex.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
}

/// Pieces of a text under pre-tokenization: the scalars (with their classes) and the piece ranges.
struct PreTokenizedText {
    var scalars: [Unicode.Scalar]
    var classes: [ScalarClass]
    var pieces: [Range<Int>]

    init(_ scalars: [Unicode.Scalar]) {
        self.scalars = scalars
        self.classes = ScalarClass.classify(scalars)
        self.pieces = scalars.isEmpty ? [] : [0..<scalars.count]
    }

    /// Runs the steps in order, each on every piece the previous steps produced (as `Sequence` does).
    mutating func apply(_ steps: [PreTokenizerStep]) {
        for step in steps {
            switch step {
            case .split(let pattern):
                pieces = resplit { range, output in pattern.split(scalars, classes, in: range, into: &output) }
            case .digits(let individual):
                pieces = resplit { range, output in splitDigits(range, individual: individual, into: &output) }
            case .byteLevel(let addPrefixSpace, let useRegex):
                if addPrefixSpace { prependSpaces() }
                if useRegex {
                    pieces = resplit { range, output in SplitPattern.gpt2.split(scalars, classes, in: range, into: &output) }
                }
            }
        }
    }

    private func resplit(_ body: (Range<Int>, inout [Range<Int>]) -> Void) -> [Range<Int>] {
        var output: [Range<Int>] = []
        output.reserveCapacity(pieces.count * 2)
        for piece in pieces { body(piece, &output) }
        return output
    }

    private func splitDigits(_ range: Range<Int>, individual: Bool, into output: inout [Range<Int>]) {
        var start = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            guard classes[i].contains(.number) else { i += 1; continue }
            if start < i { output.append(start..<i) }
            var end = i + 1
            if !individual {
                while end < range.upperBound, classes[end].contains(.number) { end += 1 }
            }
            output.append(i..<end)
            start = end
            i = end
        }
        if start < range.upperBound { output.append(start..<range.upperBound) }
    }

    /// `ByteLevel(add_prefix_space=true)`: every piece not starting with U+0020 gets one in front.
    private mutating func prependSpaces() {
        var newScalars: [Unicode.Scalar] = []
        var newClasses: [ScalarClass] = []
        var newPieces: [Range<Int>] = []
        newScalars.reserveCapacity(scalars.count + pieces.count)
        newClasses.reserveCapacity(scalars.count + pieces.count)
        let spaceClass = ScalarClass(" ")
        for piece in pieces {
            let start = newScalars.count
            if piece.isEmpty || scalars[piece.lowerBound] != " " {
                newScalars.append(" ")
                newClasses.append(spaceClass)
            }
            newScalars.append(contentsOf: scalars[piece])
            newClasses.append(contentsOf: classes[piece])
            newPieces.append(start..<newScalars.count)
        }
        scalars = newScalars
        classes = newClasses
        pieces = newPieces
    }
}
