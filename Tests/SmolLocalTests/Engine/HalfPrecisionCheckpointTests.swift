import Foundation
import SmolLocal
import Testing

/// HF checkpoints are usually stored in bf16 or f16: the engine reads them in place with the F16/BF16 kernels.
@Suite("bf16 and f16 HF checkpoints")
struct HalfPrecisionCheckpointTests {
    /// Writes a copy of tiny-llama whose matrices are rounded to `dtype` ("BF16" or "F16"), norms too.
    static func convert(to dtype: String) throws -> String {
        let source = try FixturePaths.fixture("tiny-llama")
        let file = try SafetensorsFile(path: source + "/model.safetensors")
        var header: [String] = []
        var data = [UInt8]()
        for t in file.tensors {
            let begin = data.count
            for i in 0..<t.elementCount {
                let f = t.bytes.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
                let bits: UInt16
                if dtype == "BF16" {
                    let u = f.bitPattern
                    bits = UInt16((u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)  // round to nearest even
                } else {
                    bits = Float16(f).bitPattern
                }
                data.append(UInt8(bits & 0xFF))
                data.append(UInt8(bits >> 8))
            }
            let shape = t.shape.map(String.init).joined(separator: ",")
            header.append("\"\(t.name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(data.count)]}")
        }
        var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        out += json + data
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smol-\(dtype)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source + "/config.json", toPath: dir + "/config.json")
        try Data(out).write(to: URL(fileURLWithPath: dir + "/model.safetensors"))
        return dir
    }

    @Test("rounded weights give logits close to the f32 model's (bf16 within 5e-2, f16 within 5e-3, relative)",
          arguments: [("BF16", Float(5e-2)), ("F16", Float(5e-3))])
    func closeToF32(_ dtype: String, _ tolerance: Float) throws {
        let dir = try Self.convert(to: dtype)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try LlamaModel(contentsOf: dir)
        #expect(model.weightType.description == dtype)
        let ids: [Int32] = [1, 85, 91, 85, 325, 79, 201, 387, 347, 260, 223, 268]
        let half = try InferenceSession(model: model)
        let full = try InferenceSession(model: try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-llama")))
        let a = try half.prefillReturningAllLogits(ids), b = try full.prefillReturningAllLogits(ids)
        let error = TinyFixtureTests.relativeError(a[...], b[...])
        #expect(error > 0, "the weights were not actually rounded")
        #expect(error <= tolerance, "\(dtype): relative error \(error)")
    }
}
