import Foundation
import SmolCore
@testable import SmolLocal
import Testing

/// The SmolLM2 checkpoint, loaded once (weights are mapped, not read).
private let sharedCheckpoint: Result<LocalCheckpoint, any Error> = Result {
    try LocalCheckpoint(path: try FixturePaths.smolLM2GGUF())
}

@Suite("Token masks over the SmolLM2 vocabulary")
struct TokenMaskTests {
    /// Every token's bytes stepped from `stack` one by one: the mask a walk must reproduce.
    private func bruteForce(_ g: RecognizerHarness, _ stack: [GrammarFrame], _ tokenizer: Tokenizer,
                            endOfSequence: Set<Int32>) -> Set<Int32> {
        var allowed = Set<Int32>()
        for id in 0..<tokenizer.vocabularySize {
            let token = Int32(id)
            if endOfSequence.contains(token) {
                if g.canEnd(stack) { allowed.insert(token) }
                continue
            }
            let bytes = tokenizer.tokenBytes[id]
            guard tokenizer.tokenTexts[id] != nil, !bytes.isEmpty, !tokenizer.specialTokenIDs.contains(token) else { continue }
            var state = stack
            var ok = true
            for b in bytes {
                guard let next = g.step(state, b) else { ok = false; break }
                state = next
            }
            if ok { allowed.insert(token) }
        }
        return allowed
    }

    @Test("the trie walk allows exactly the tokens whose bytes continue the document, at every step of one")
    func walkEqualsBruteForce() throws {
        let checkpoint = try sharedCheckpoint.get()
        let tokenizer = checkpoint.tokenizer
        let schema = try JSONValue(parsing: #"{"type":"object","properties":{"name":{"type":"string","maxLength":12},"n":{"type":"integer","minimum":-5,"maximum":300},"tags":{"type":"array","items":{"enum":["a","bc"]},"maxItems":2},"when":{"type":"string","format":"date"}},"required":["name","n"],"additionalProperties":false}"#)
        let grammar = try StructuredOutput.schemaGrammar(schema, path: "schema")
        let trie = TokenTrie(tokenizer: tokenizer, excluding: checkpoint.endOfSequenceIDs)
        let constraint = TokenConstraint(grammar: grammar, trie: trie, endOfSequence: checkpoint.endOfSequenceIDs)
        let harness = RecognizerHarness(grammar)
        let document = #"{"name": "Zoé 日本", "n": 42, "tags": ["bc", "a"], "when": "2024-05-06"}"#
        var stack = harness.start()
        var steps = 0
        for token in tokenizer.encode(document) + [-1] {
            let expected = bruteForce(harness, stack, tokenizer, endOfSequence: checkpoint.endOfSequenceIDs)
            var actual = Set<Int32>()
            try constraint.withAllowedTokens { mask in
                for id in 0..<tokenizer.vocabularySize where mask[id >> 6] & (1 << UInt64(id & 63)) != 0 {
                    actual.insert(Int32(id))
                }
            }
            #expect(actual == expected, "step \(steps): \(actual.symmetricDifference(expected).prefix(10).map { tokenizer.token(for: $0) ?? "?" })")
            steps += 1
            guard token >= 0 else { break }
            #expect(actual.contains(token))
            try constraint.accept(token)
            for b in tokenizer.tokenBytes[Int(token)] { stack = try #require(harness.step(stack, b)) }
        }
        #expect(constraint.canEnd && constraint.isFinished)
        // The same states again come from the cache.
        constraint.reset()
        let before = constraint.computed
        for token in tokenizer.encode(document) {
            try constraint.withAllowedTokens { _ in }
            try constraint.accept(token)
        }
        #expect(constraint.computed == before)
    }

    @Test("a token that cannot continue the document is refused with a typed error")
    func refusesInvalidToken() throws {
        let checkpoint = try sharedCheckpoint.get()
        let grammar = try StructuredOutput.schemaGrammar(try JSONValue(parsing: #"{"type":"integer"}"#), path: "schema")
        let constraint = TokenConstraint(grammar: grammar, trie: TokenTrie(tokenizer: checkpoint.tokenizer, excluding: []),
                                         endOfSequence: checkpoint.endOfSequenceIDs)
        let letter = try #require(checkpoint.tokenizer.encode("x").first)
        #expect(throws: ModelError.self) { try constraint.accept(letter) }
    }
}
