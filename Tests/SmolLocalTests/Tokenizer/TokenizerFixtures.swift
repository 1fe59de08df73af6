import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// Access to the committed tokenizer fixtures (see Fixtures/Tokenizer/README.md).
enum TokenizerFixtures {
    static func folder() throws -> URL {
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return fixtures.appendingPathComponent("Tokenizer")
    }

    static func tokenizer(_ variant: String) throws -> Tokenizer {
        try Tokenizer(directory: folder().appendingPathComponent(variant))
    }

    static func json(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: folder().appendingPathComponent(name))
        return try JSONValue(parsing: [UInt8](data))
    }

    /// One expected encoding from `vectors.json`.
    struct Vector: Sendable, CustomTestStringConvertible {
        var index: Int
        var text: String
        var ids: [Int32]
        var decoded: String
        var decodedSkippingSpecial: String
        var idsWithSpecialTokens: [Int32]?
        var idsWithSpecialsAsText: [Int32]

        var testDescription: String { "#\(index) \(text.debugDescription)" }
    }

    /// vectors.json parsed once: every suite reads it and it is large enough for parsing to show in debug builds.
    private static let parsedVectors: JSONValue? = try? json("vectors.json")

    static func vectorsRoot() throws -> JSONValue {
        try #require(parsedVectors, "Fixtures/Tokenizer/vectors.json could not be read or parsed")
    }

    static func vectors(_ variant: String) throws -> [Vector] {
        let root = try vectorsRoot()
        let texts = try #require(root["texts"]?.arrayValue)
        let entries = try #require(root["variants"]?[variant]?.arrayValue)
        try #require(texts.count == entries.count)
        return try zip(texts, entries).enumerated().map { index, pair in
            let (text, entry) = pair
            func ids(_ key: String) throws -> [Int32]? {
                guard let array = entry[key]?.arrayValue else { return nil }
                return try array.map { try #require($0.intValue.flatMap { Int32(exactly: $0) }) }
            }
            return Vector(
                index: index, text: try #require(text.stringValue), ids: try #require(try ids("ids")),
                decoded: try #require(entry["decoded"]?.stringValue),
                decodedSkippingSpecial: try #require(entry["decoded_skip"]?.stringValue),
                idsWithSpecialTokens: try ids("ids_special"),
                idsWithSpecialsAsText: try #require(try ids("ids_specials_as_text")))
        }
    }
}
