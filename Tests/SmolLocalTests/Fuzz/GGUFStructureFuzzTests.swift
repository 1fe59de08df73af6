import Foundation
import SmolTestSupport
import Testing

@testable import SmolLocal

/// Byte mutations rarely change several related fields at once (a tensor's dimension count and all its
/// dimensions), so this fuzzer writes GGUF headers from scratch instead: random tensor tables whose counts,
/// dimensions, types and offsets come from edge values, and random metadata arrays. Each file must parse or
/// fail with a `ModelFileError`, and every accepted tensor must be usable (its sizes computable, its bytes
/// inside the file).
@Suite("Fuzzing GGUF structure")
struct GGUFStructureFuzzTests {
    static let dimensions: [UInt64] = [0, 1, 2, 3, 31, 32, 33, 64, 256, 1 << 16, 1 << 20, 1 << 31 - 1, 1 << 31, 1 << 32, .max]
    static let counts: [UInt64] = [0, 1, 2, 3, 4, 5, 255, 1 << 20, 1 << 32, .max]

    /// A random GGUF file: a few metadata pairs (scalars and arrays) and a few tensors with small data.
    static func file(_ random: inout FuzzMutator.Random) -> [UInt8] {
        var out = Array("GGUF".utf8)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
        put(UInt32(pick([2, 3, 3, 3])))
        let tensorCount = Int.random(in: 0...3, using: &random)
        let pairCount = Int.random(in: 0...3, using: &random)
        put(UInt64(tensorCount))
        put(UInt64(pairCount))
        for index in 0..<pairCount {
            let key = "k\(index)"
            put(UInt64(key.utf8.count))
            out += Array(key.utf8)
            let type = UInt32(pick([0, 4, 6, 7, 8, 9, 9, 9, 10, 12, 13]))
            put(type)
            guard type == 9 else {
                // A scalar of a random width (or a short string): may or may not match the type.
                out += (0..<pick([1, 4, 8])).map { _ in UInt8.random(in: 0...255, using: &random) }
                continue
            }
            let elementType = UInt32(pick([0, 1, 5, 6, 7, 8, 9, 11, 14]))
            let count = Bool.random(using: &random) ? UInt64.random(in: 0...6, using: &random) : pick(counts)
            put(elementType)
            put(count)
            let available = Int(min(count, 8))
            for _ in 0..<available {
                if elementType == 8 { put(UInt64(1)); out.append(0x61) } else if elementType == 9 { put(UInt32(0)); put(UInt64(0)) } else { put(UInt32.random(in: 0...1, using: &random)) }
            }
        }
        var dataEnd: UInt64 = 0
        for index in 0..<tensorCount {
            let name = "t\(index)"
            put(UInt64(name.utf8.count))
            out += Array(name.utf8)
            let dimensionCount = UInt32(pick([1, 2, 3, 4, 4, 5, 0]))
            put(dimensionCount)
            for _ in 0..<dimensionCount { put(Bool.random(using: &random) ? UInt64(pick([1, 2, 32])) : pick(dimensions)) }
            put(UInt32(pick([0, 1, 2, 3, 6, 8, 12, 14, 30, 39, 99])))
            let offset = Bool.random(using: &random) ? dataEnd : pick([0, 32, 33, 1 << 40, .max])
            put(offset)
            dataEnd = offset &+ 64
        }
        while out.count % 32 != 0 { out.append(0) }
        out += [UInt8](repeating: 0x3C, count: Int.random(in: 0...256, using: &random))
        return out
    }

    @Test("random tensor tables and metadata arrays parse or fail with ModelFileError, and accepted tensors are usable")
    func randomHeaders() throws {
        let environment = ProcessInfo.processInfo.environment
        let seconds = environment["FUZZ_SECONDS"].flatMap(Double.init) ?? 3
        var random = FuzzMutator.Random(state: environment["FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_F022)
        let saved = environment["FUZZ_SAVE_DIR"].map { open($0 + "/current-gguf-structure", O_WRONLY | O_CREAT, 0o644) } ?? -1
        defer { if saved >= 0 { close(saved) } }
        let clock = ContinuousClock()
        let start = clock.now
        var inputs = 0, accepted = 0, tensors = 0
        while clock.now - start < .seconds(seconds) {
            let bytes = Self.file(&random)
            if saved >= 0 {
                _ = ftruncate(saved, 0)
                _ = bytes.withUnsafeBytes { pwrite(saved, $0.baseAddress, $0.count, 0) }
            }
            inputs += 1
            guard let gguf = try? GGUFFile(file: try MappedFile(copying: bytes, name: "structure.gguf")) else { continue }
            accepted += 1
            tensors += gguf.tensors.count
            FormatFuzzTests.checkTensors(gguf.tensors, fileSize: bytes.count)
            for (_, value) in gguf.metadata { if let array = value.arrayValue { _ = Array(array) } }
        }
        print("FUZZ gguf-structure: \(inputs) inputs, \(accepted) accepted with \(tensors) tensors")
        #expect(inputs > 1_000)
        #expect(accepted > 0 && tensors > 0)
    }
}
