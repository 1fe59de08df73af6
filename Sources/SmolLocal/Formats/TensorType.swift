/// The element encodings of tensors that the loaders understand (GGUF `ggml_type` ids and safetensors dtypes).
///
/// Block-quantized types store `blockSize` consecutive elements of a row in `blockBytes` bytes;
/// plain types have a block size of 1.
public enum TensorType: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 32-bit IEEE float.
    case f32 = 0
    /// 16-bit IEEE half float.
    case f16 = 1
    /// ggml Q4_0: blocks of 32 4-bit codes with one f16 scale.
    case q4_0 = 2
    /// ggml Q4_1: blocks of 32 4-bit codes with an f16 scale and an f16 minimum.
    case q4_1 = 3
    /// ggml Q5_0: blocks of 32 5-bit codes with one f16 scale.
    case q5_0 = 6
    /// ggml Q5_1: blocks of 32 5-bit codes with an f16 scale and an f16 minimum.
    case q5_1 = 7
    /// ggml Q8_0: blocks of 32 signed 8-bit codes with one f16 scale.
    case q8_0 = 8
    /// ggml Q8_1 (an activation format, readable but not used for weights here).
    case q8_1 = 9
    /// ggml Q2_K: super-blocks of 256 2-bit codes with 4-bit sub-block scales and minimums (16 of 16).
    case q2_K = 10
    /// ggml Q3_K: super-blocks of 256 3-bit codes with signed 6-bit sub-block scales (16 of 16).
    case q3_K = 11
    /// ggml Q4_K: super-blocks of 256 4-bit codes with 6-bit sub-block scales and minimums.
    case q4_K = 12
    /// ggml Q5_K: super-blocks of 256 5-bit codes with 6-bit sub-block scales and minimums.
    case q5_K = 13
    /// ggml Q6_K: super-blocks of 256 6-bit codes with 8-bit sub-block scales.
    case q6_K = 14
    /// ggml Q8_K super-blocks of 256 (an activation format).
    case q8_K = 15
    /// ggml IQ4_NL: blocks of 32 4-bit indices into a fixed non-linear 16-value table, with one f16 scale.
    case iq4_NL = 20
    /// ggml IQ4_XS: super-blocks of 256 IQ4_NL-style indices with signed 6-bit scales per 32 elements.
    case iq4_XS = 23
    /// 8-bit signed integer.
    case i8 = 24
    /// 16-bit signed integer.
    case i16 = 25
    /// 32-bit signed integer.
    case i32 = 26
    /// 64-bit signed integer.
    case i64 = 27
    /// 64-bit IEEE float.
    case f64 = 28
    /// bfloat16 (the upper half of an f32).
    case bf16 = 30
    /// 32-bit unsigned integer (safetensors `U32`, used by MLX packed weights; no ggml id).
    case u32 = 1000

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .i8, .i16, .i32, .i64, .f64, .u32: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_NL: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq4_XS: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8: return 1
        case .i64, .f64: return 8
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q8_1: return 36
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        case .q8_K: return 292
        case .iq4_NL: return 18
        case .iq4_XS: return 136
        }
    }

    /// Whether the engine's matrix-vector and dequantization kernels support this type for weights.
    public var hasKernels: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_NL, .iq4_XS:
            return true
        default: return false
        }
    }

    /// The ggml name (`Q4_K`, `F32`, ...), or the safetensors dtype name for `u32`.
    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q8_1: return "Q8_1"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        case .q8_K: return "Q8_K"
        case .iq4_NL: return "IQ4_NL"
        case .iq4_XS: return "IQ4_XS"
        case .i8: return "I8"
        case .i16: return "I16"
        case .i32: return "I32"
        case .i64: return "I64"
        case .f64: return "F64"
        case .bf16: return "BF16"
        case .u32: return "U32"
        }
    }

    /// Bytes needed for one row of `count` elements, or nil when `count` is not a whole number of
    /// blocks or the size overflows.
    public func rowBytes(_ count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }
}
