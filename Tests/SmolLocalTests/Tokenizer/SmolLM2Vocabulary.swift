import Foundation
import Testing

@testable import SmolLocal

/// Where the real-model tests look for SmolLM2-135M-Instruct.Q4_1.gguf.
func smolTestModelsDirectory() -> URL {
    if let path = ProcessInfo.processInfo.environment["SMOL_TEST_MODELS_DIR"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swift-smolagents/models")
}

/// The `tokenizer.ggml.*` metadata of the real SmolLM2 GGUF as a ``GGUFVocabulary``.
///
/// A stop-gap: a minimal walk over the GGUF metadata, confined to these tests, until the engine's GGUF reader
/// (`GGUFFile` / `GGUFMetadata`, branch local-engine) is merged; then build the vocabulary from its metadata.
func smolLM2Vocabulary() throws -> GGUFVocabulary {
    let url = smolTestModelsDirectory().appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf")
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw GGUFWalkError(
            "missing \(url.path): the SmolLM2 test model is required (set SMOL_TEST_MODELS_DIR or run the test script that fetches it)")
    }
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    // The metadata (tokens, merges, chat template) fits in the first few megabytes.
    let bytes = [UInt8](try handle.read(upToCount: 16 << 20) ?? Data())
    var walker = GGUFMetadataWalk(bytes: bytes)
    let values = try walker.metadata()

    func strings(_ key: String) throws -> [String] {
        guard case .array(let items)? = values[key] else { throw GGUFWalkError("\(key) is not an array") }
        return try items.map { item in
            guard case .string(let string) = item else { throw GGUFWalkError("\(key) holds a non-string") }
            return string
        }
    }
    func integer(_ key: String) -> Int32? {
        if case .integer(let value)? = values[key] { return Int32(exactly: value) }
        return nil
    }
    func flag(_ key: String) -> Bool? {
        if case .bool(let value)? = values[key] { return value }
        return nil
    }
    guard case .string(let model)? = values["tokenizer.ggml.model"] else { throw GGUFWalkError("no tokenizer.ggml.model") }
    var pre: String?
    if case .string(let value)? = values["tokenizer.ggml.pre"] { pre = value }
    var types: [Int32]?
    if case .array(let items)? = values["tokenizer.ggml.token_type"] {
        types = try items.map { item in
            guard case .integer(let value) = item, let type = Int32(exactly: value) else {
                throw GGUFWalkError("tokenizer.ggml.token_type holds a non-integer")
            }
            return type
        }
    }
    return GGUFVocabulary(
        model: model, pre: pre, tokens: try strings("tokenizer.ggml.tokens"), tokenTypes: types,
        merges: try strings("tokenizer.ggml.merges"), bosID: integer("tokenizer.ggml.bos_token_id"),
        eosID: integer("tokenizer.ggml.eos_token_id"), unknownID: integer("tokenizer.ggml.unknown_token_id"),
        paddingID: integer("tokenizer.ggml.padding_token_id"), addBOS: flag("tokenizer.ggml.add_bos_token"),
        addEOS: flag("tokenizer.ggml.add_eos_token"), addSpacePrefix: flag("tokenizer.ggml.add_space_prefix"))
}

struct GGUFWalkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Reads GGUF v2/v3 metadata key/values (only what the vocabulary needs; numbers are widened).
struct GGUFMetadataWalk {
    enum Value {
        case integer(Int)
        case float(Double)
        case bool(Bool)
        case string(String)
        case array([Value])
    }

    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func metadata() throws -> [String: Value] {
        guard try take(4).elementsEqual("GGUF".utf8) else { throw GGUFWalkError("not a GGUF file") }
        let version = try unsigned(4)
        guard version == 2 || version == 3 else { throw GGUFWalkError("GGUF version \(version)") }
        _ = try unsigned(8)  // tensor count
        let count = try unsigned(8)
        var values: [String: Value] = [:]
        for _ in 0..<count {
            let key = try string()
            values[key] = try value(type: try unsigned(4))
        }
        return values
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - offset else { throw GGUFWalkError("metadata runs past \(offset)") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    private mutating func unsigned(_ size: Int) throws -> UInt64 {
        var result: UInt64 = 0
        for (shift, byte) in try take(size).enumerated() { result |= UInt64(byte) << (8 * shift) }
        return result
    }

    private mutating func string() throws -> String {
        let length = try unsigned(8)
        guard length < UInt64(bytes.count) else { throw GGUFWalkError("string length \(length) at \(offset)") }
        return String(decoding: try take(Int(length)), as: UTF8.self)
    }

    private mutating func value(type: UInt64) throws -> Value {
        switch type {
        case 0, 2, 4, 10: return .integer(Int(truncatingIfNeeded: try unsigned([0: 1, 2: 2, 4: 4, 10: 8][type] ?? 1)))
        case 1: return .integer(Int(Int8(truncatingIfNeeded: try unsigned(1))))
        case 3: return .integer(Int(Int16(truncatingIfNeeded: try unsigned(2))))
        case 5: return .integer(Int(Int32(truncatingIfNeeded: try unsigned(4))))
        case 11: return .integer(Int(Int64(bitPattern: try unsigned(8))))
        case 6: return .float(Double(Float(bitPattern: UInt32(try unsigned(4)))))
        case 12: return .float(Double(bitPattern: try unsigned(8)))
        case 7: return .bool(try unsigned(1) != 0)
        case 8: return .string(try string())
        case 9:
            let elementType = try unsigned(4)
            let count = try unsigned(8)
            guard count < UInt64(bytes.count) else { throw GGUFWalkError("array length \(count) at \(offset)") }
            var items: [Value] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<count { items.append(try value(type: elementType)) }
            return .array(items)
        default:
            throw GGUFWalkError("unknown GGUF value type \(type) at \(offset)")
        }
    }
}
