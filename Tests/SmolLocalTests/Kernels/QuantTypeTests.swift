import CSmolKernels
import Foundation
import Testing

@testable import SmolLocal

/// The weight types' Swift description (TensorType) against the C kernels' tables, and the checks that keep
/// unsupported or malformed weights from reaching the kernels.
@Suite("Quantization types")
struct QuantTypeTests {
    /// The types added for Q4_K_M / Q5_K_M and IQ4 files, with gguf-py 0.19.0's GGML_QUANT_SIZES.
    static let added: [(TensorType, blockSize: Int, blockBytes: Int)] = [
        (.q5_1, 32, 24), (.q2_K, 256, 84), (.q3_K, 256, 110), (.q5_K, 256, 176), (.iq4_NL, 32, 18), (.iq4_XS, 256, 136),
    ]

    @Test("the added types have kernels and gguf-py's block geometry")
    func addedTypes() {
        for (type, blockSize, blockBytes) in Self.added {
            #expect(type.hasKernels, "\(type)")
            #expect(type.blockSize == blockSize && type.blockBytes == blockBytes, "\(type)")
        }
        #expect(TensorType(rawValue: 20) == .iq4_NL && TensorType.iq4_NL.description == "IQ4_NL")
        #expect(TensorType(rawValue: 23) == .iq4_XS && TensorType.iq4_XS.description == "IQ4_XS")
    }

    @Test("a type has kernels exactly when the C side supports it, with the same block geometry")
    func swiftAgreesWithC() {
        for type in TensorType.allCases where type.rawValue < 1000 {
            let id = Int32(type.rawValue)
            #expect((csk_type_supported(id) == 1) == type.hasKernels, "\(type)")
            guard type.hasKernels else { continue }
            #expect(Int(csk_block_size(id)) == type.blockSize, "\(type)")
            #expect(Int(csk_block_bytes(id)) == type.blockBytes, "\(type)")
        }
    }

    @Test("a row that is not a whole number of blocks is rejected, naming the tensor and the type")
    func partialBlockRejected() throws {
        let file = try MappedFile(copying: [UInt8](repeating: 0, count: 4096), name: "mem.gguf")
        for (type, blockSize, blockBytes) in Self.added {
            #expect(type.rowBytes(blockSize + 16) == nil, "\(type)")
            #expect(type.rowBytes(2 * blockSize) == 2 * blockBytes, "\(type)")
            let columns = blockSize + 16
            let bad = TensorRef(name: "blk.0.ffn_down.weight", type: type, shape: [2, columns], file: file, offset: 0, byteCount: 0)
            #expect(throws: ModelFileError.badTensor(path: "mem.gguf", tensor: "blk.0.ffn_down.weight",
                                                     reason: "type \(type) is not supported for weights")) {
                try WeightMatrix(bad, rows: 2, columns: columns)
            }
            let good = TensorRef(name: "w", type: type, shape: [2, 256], file: file, offset: 0, byteCount: 2 * 256 / blockSize * blockBytes)
            let matrix = try WeightMatrix(good, rows: 2, columns: 256)
            #expect(matrix.rowBytes == 256 / blockSize * blockBytes)
        }
    }

    @Test("a GGUF tensor of a ggml type without kernels or an unknown id is a typed error naming tensor and type")
    func unknownTypeIdsAreTyped() throws {
        let original = try GGUFReaderTests.tinyBytes()
        let name = "blk.0.attn_q.weight"
        let info = try GGUFReaderTests.tensorInfoOffset(original, name)
        let typeOffset = info + 8 + name.utf8.count + 4 + 2 * 8
        // IQ2_XXS, IQ3_S, IQ2_S (ggml types without kernels here) and ids TensorType does not know.
        for id: UInt32 in [16, 21, 22, 34, 999] {
            var bytes = original
            GGUFReaderTests.patch(&bytes, at: typeOffset, id)
            #expect(throws: ModelFileError.unknownTensorType(path: "mem.gguf", offset: typeOffset, tensor: name, type: "ggml type \(id)")) {
                try GGUFReaderTests.parse(bytes)
            }
        }
    }
}
