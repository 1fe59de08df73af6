import Foundation
import Testing

@testable import SmolLocal

/// JSON inside model files (safetensors headers, tokenizer.json) is parsed into boxed values, tens of bytes
/// each; a small file of `0,0,0,…` must be refused before it is parsed, not after gigabytes are allocated.
@Suite("Hostile JSON in model files is refused before parsing")
struct HostileJSONHeaderTests {
    /// `{"a":[0,0,…,0]}` with `count` zeros.
    static func zeros(_ count: Int) -> [UInt8] {
        var out = Array(#"{"a":["#.utf8)
        out.reserveCapacity(count * 2 + 8)
        for i in 0..<count { out += i == 0 ? [0x30] : [0x2C, 0x30] }
        out += Array("]}".utf8)
        return out
    }

    @Test("a 90 MB safetensors header of zeros is a typed error, without parsing it")
    func safetensorsHeader() throws {
        var header = Self.zeros(45 << 20)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        bytes += header
        header = []
        let before = GGUFHostileMetadataTests.peakResident()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: ModelFileError.malformed(path: "zeros.safetensors", offset: 8,
                                                 reason: "header holds more than 2000000 JSON values")) {
            try SafetensorsFile(file: try MappedFile(copying: bytes, name: "zeros.safetensors"))
        }
        let elapsed = clock.now - start
        let growth = GGUFHostileMetadataTests.peakResident() - before
        print("hostile 90 MB safetensors header: refused in \(elapsed), peak RSS grew by \(growth >> 20) MiB")
        // The copy into an anonymous mapping is the only large allocation.
        #expect(growth < 400 << 20)
        #expect(elapsed < .seconds(2))
    }

    @Test("a tokenizer.json of millions of zeros is a typed error, without parsing it")
    func tokenizerJSON() throws {
        let bytes = Self.zeros(Tokenizer.maxJSONValues)
        #expect(throws: TokenizerError.invalidJSON(file: "tokenizer.json", message: "more than 8000000 JSON values")) {
            try Tokenizer(tokenizerJSON: bytes)
        }
    }

    @Test("the value count sees through strings and escapes")
    func valueCount() {
        #expect(JSONValueBudget.valueCount(Array(#"{"a,b:[{": [1, 2, "\",[{"]}"#.utf8), limit: 100) == 6)
        #expect(JSONValueBudget.valueCount(Array("0".utf8), limit: 100) == 1)
        #expect(JSONValueBudget.valueCount(Array("[,,,,,,,,,,,]".utf8), limit: 3) == 4)
    }
}
