import Foundation
import Testing

@testable import SmolLocal

/// The span-wise NFC must equal NFC of the whole text (Foundation's, which the spans use, and the oracle's).
@Suite("NFC normalization")
struct CanonicalCompositionTests {
    static let samples: [String] = [
        "Cafe\u{301} de\u{301}ja\u{300} vu", "a\u{323}\u{302}", "a\u{302}\u{323}", "\u{1100}\u{1161}\u{11A8}",
        "\u{958}\u{959}", "\u{212B}ngstr\u{F6}m \u{2126}", "\u{37E}\u{387}", "\u{9C7}\u{9BE}",
        "\u{B47}\u{B3E}", "x\u{301}\u{301}\u{301}y", "\u{301}leading mark", "日本\u{3099}か\u{3099}", "\u{F900}\u{2F800}",
        "e\u{301}\u{1161}", "plain ASCII", "", "😀\u{301}", "\u{1E9B}\u{323}", "Z\u{351}\u{36B}\u{343}A\u{36B}",
    ]

    @Test("matches Foundation on composition, reordering, Hangul, singletons and exclusions", arguments: samples)
    func matchesFoundation(sample: String) {
        let expected = Array(sample.precomposedStringWithCanonicalMapping.unicodeScalars)
        #expect(CanonicalComposition.nfc(Array(sample.unicodeScalars)) == expected)
    }

    @Test("matches the oracle's NFC (tokenizers' NFC normalizer) on random mixes of marks, jamo and starters")
    func matchesOracleOnMixes() throws {
        let cases = try #require(TokenizerFixtures.vectorsRoot()["nfc_cases"]?.arrayValue)
        #expect(cases.count >= 300)
        for item in cases {
            let text = try #require(item["text"]?.stringValue)
            let expected = try #require(item["nfc"]?.stringValue)
            #expect(
                CanonicalComposition.nfc(Array(text.unicodeScalars)) == Array(expected.unicodeScalars),
                "\(text.debugDescription)")
        }
    }
}
