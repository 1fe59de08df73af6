import Foundation

/// A text ↔ token-id tokenizer for Llama-family models: byte-level BPE (`tokenizer.json` of GPT-2, SmolLM2,
/// Llama-3, Qwen2, or a GGUF "gpt2" vocabulary) or SentencePiece-style BPE with byte fallback (GGUF "llama").
///
/// A value type, `Sendable`; copies share the read-only tables and a small thread-safe word cache.
public struct Tokenizer: Sendable {
    enum Model: Sendable {
        case byteLevel(BytePairMerger, steps: [PreTokenizerStep])
        case sentencePiece(SentencePieceModel)
    }

    let model: Model
    let normalizesNFC: Bool
    /// Added tokens matched in the raw text, then those matched in the normalized text.
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    /// Token text by id (`nil` for ids the vocabulary skips).
    let tokenTexts: [String?]
    /// What each id contributes to decoded text, as UTF-8 bytes.
    let tokenBytes: [[UInt8]]
    let tokenIDs: [ExactText: Int32]
    let prefixIDs: [Int32]
    let suffixIDs: [Int32]
    /// SentencePiece drops the space it added in front of the text when decoding.
    let stripsLeadingSpaceOnDecode: Bool

    /// The ids of special (control) tokens: those `decode(_:skipSpecialTokens:)` can skip.
    public let specialTokenIDs: Set<Int32>
    /// The beginning-of-sequence token, if the vocabulary has one.
    public let bosTokenID: Int32?
    /// The end-of-sequence token, if the vocabulary has one.
    public let eosTokenID: Int32?
    /// The padding token, if the vocabulary has one.
    public let paddingTokenID: Int32?
    /// The unknown token, if the vocabulary has one.
    public let unknownTokenID: Int32?

    /// The number of ids: one more than the largest id.
    public var vocabularySize: Int { tokenTexts.count }

    /// Whether `id` is a special (control) token.
    public func isSpecial(_ id: Int32) -> Bool { specialTokenIDs.contains(id) }

    /// The token text for `id` as stored in the vocabulary (byte-level text such as `Ġthe`), or `nil`.
    public func token(for id: Int32) -> String? {
        guard id >= 0, Int(id) < tokenTexts.count else { return nil }
        return tokenTexts[Int(id)]
    }

    /// The id of a token text as stored in the vocabulary, or `nil`.
    public func id(for token: String) -> Int32? { tokenIDs[ExactText(token)] }

    /// The ids for `text`.
    ///
    /// Added tokens (`<|im_start|>`, `<tool_call>`, …) found in the text become their own ids.
    ///
    /// - Parameters:
    ///   - text: The text to encode.
    ///   - addSpecialTokens: Add the post-processor's tokens (such as BOS). Chat templates are encoded
    ///     without them, as `transformers`' `apply_chat_template` does.
    ///   - parseSpecialTokens: Recognize special tokens written in the text. `false` encodes them as plain
    ///     text (like `tokenizers`' `encode_special_tokens = True` or llama.cpp's `parse_special = false`),
    ///     for untrusted text that must not inject control tokens; non-special added tokens still match.
    public func encode(_ text: String, addSpecialTokens: Bool = false, parseSpecialTokens: Bool = true) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(text.utf8.count / 3 + 4)
        if addSpecialTokens { output.append(contentsOf: prefixIDs) }
        var previousWasToken = true
        for segment in rawMatcher.split(Array(text.unicodeScalars), includingSpecial: parseSpecialTokens) {
            switch segment {
            case .token(let id):
                output.append(id)
                previousWasToken = true
            case .text(let scalars):
                let normalized = normalizesNFC ? CanonicalComposition.nfc(scalars) : scalars
                for part in normalizedMatcher.split(normalized, includingSpecial: parseSpecialTokens) {
                    switch part {
                    case .token(let id):
                        output.append(id)
                        previousWasToken = true
                    case .text(let piece):
                        encodePiece(piece, afterToken: previousWasToken, into: &output)
                        previousWasToken = false
                    }
                }
            }
        }
        if addSpecialTokens { output.append(contentsOf: suffixIDs) }
        return output
    }

    private func encodePiece(_ scalars: [Unicode.Scalar], afterToken: Bool, into output: inout [Int32]) {
        switch model {
        case .byteLevel(let merger, let steps):
            var text = PreTokenizedText(scalars)
            text.apply(steps)
            var bytes: [UInt8] = []
            for piece in text.pieces {
                bytes.removeAll(keepingCapacity: true)
                for scalar in text.scalars[piece] { appendUTF8(scalar, to: &bytes) }
                merger.encode(bytes, into: &output)
            }
        case .sentencePiece(let model):
            model.encode(scalars, addPrefixSpace: afterToken, into: &output)
        }
    }

    /// The text for `ids`; malformed UTF-8 (such as a lone part of a multi-byte character) becomes U+FFFD,
    /// like Python's `errors="replace"`.
    ///
    /// - Throws: ``TokenizerError/idOutOfRange(id:vocabularySize:)`` for an id with no token.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) throws(TokenizerError) -> String {
        var text: [UInt8] = []
        var atStart = true
        for id in ids {
            guard let piece = try bytes(for: id, skipSpecialTokens: skipSpecialTokens, atStart: atStart) else { continue }
            text.append(contentsOf: piece)
            if !piece.isEmpty { atStart = false }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes `id` contributes to decoded text, or `nil` when it is skipped.
    func bytes(for id: Int32, skipSpecialTokens: Bool, atStart: Bool) throws(TokenizerError) -> ArraySlice<UInt8>? {
        guard id >= 0, Int(id) < tokenBytes.count, tokenTexts[Int(id)] != nil else {
            throw .idOutOfRange(id: id, vocabularySize: tokenBytes.count)
        }
        if skipSpecialTokens, specialTokenIDs.contains(id) { return nil }
        let piece = tokenBytes[Int(id)]
        if atStart, stripsLeadingSpaceOnDecode, piece.first == 0x20 { return piece.dropFirst() }
        return piece[...]
    }
}

/// Appends the UTF-8 encoding of `scalar`.
@inline(__always)
func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
    UTF8.encode(scalar) { bytes.append($0) }
}
