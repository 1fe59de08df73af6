import CSmolKernels

/// A weight matrix used in place from its mapped file: `rows` rows of `columns` elements, each row
/// `rowBytes` bytes in the tensor's encoding.
///
/// An MLX affine-quantized matrix is three tensors: the packed codes (`tensor`, U32) and the per-group
/// scales and biases (``affine``); the kernels read all three in place.
public struct WeightMatrix: Sendable {
    /// The scales and biases of an MLX affine-quantized matrix.
    public struct Affine: Sendable {
        /// Per-group scales, `[rows, columns / groupSize]`, F32/F16/BF16.
        public let scales: TensorRef
        /// Per-group biases, same shape and type as `scales`.
        public let biases: TensorRef
        /// Bits per code.
        public let bits: Int
        /// Elements per group.
        public let groupSize: Int
    }

    /// The stored tensor (keeps the mapping alive); the packed codes of an affine matrix.
    public let tensor: TensorRef
    /// The scales and biases when the matrix is MLX affine-quantized.
    public let affine: Affine?
    /// Output dimension.
    public let rows: Int
    /// Input dimension.
    public let columns: Int
    /// Bytes per row.
    public let rowBytes: Int
    /// The first row of `tensor` this matrix uses (a part of a fused qkv / gate-up matrix, or one expert
    /// of a stacked expert tensor); 0 otherwise.
    public let firstRow: Int

    /// Wraps `tensor` after checking that it is a `[rows, columns]` matrix of a type with kernels.
    init(_ tensor: TensorRef, rows: Int, columns: Int) throws(ModelFileError) {
        guard tensor.shape == [rows, columns] else {
            throw .badTensor(path: tensor.file.path, tensor: tensor.name, reason: "shape \(tensor.shape), expected [\(rows), \(columns)]")
        }
        guard tensor.type.hasKernels, let rowBytes = tensor.type.rowBytes(columns) else {
            throw .badTensor(path: tensor.file.path, tensor: tensor.name, reason: "type \(tensor.type) is not supported for weights")
        }
        self.tensor = tensor
        self.affine = nil
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        firstRow = 0
    }

    /// Rows `firstRow ..< firstRow + rows` of `tensor`, a matrix of `columns` columns whose leading
    /// dimensions (`[stacked, rows, columns]` or `[allRows, columns]`) hold `totalRows` rows in all.
    init(_ tensor: TensorRef, firstRow: Int, rows: Int, totalRows: Int, columns: Int) throws(ModelFileError) {
        guard tensor.shape.last == columns, tensor.shape.dropLast().reduce(1, *) == totalRows, tensor.shape.count >= 2 else {
            throw .badTensor(path: tensor.file.path, tensor: tensor.name,
                             reason: "shape \(tensor.shape), expected \(totalRows) rows of \(columns) columns")
        }
        guard firstRow >= 0, rows > 0, firstRow + rows <= totalRows else {
            throw .badTensor(path: tensor.file.path, tensor: tensor.name, reason: "rows \(firstRow)..<\(firstRow + rows) are not in 0..<\(totalRows)")
        }
        guard tensor.type.hasKernels, let rowBytes = tensor.type.rowBytes(columns) else {
            throw .badTensor(path: tensor.file.path, tensor: tensor.name, reason: "type \(tensor.type) is not supported for weights")
        }
        self.tensor = tensor
        affine = nil
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.firstRow = firstRow
    }

    /// Wraps an MLX affine-quantized matrix after checking every shape and type against `bits` and
    /// `groupSize` (both must also be what the shapes imply).
    init(codes: TensorRef, scales: TensorRef, biases: TensorRef, bits: Int, groupSize: Int,
         rows: Int, columns: Int) throws(ModelFileError) {
        func bad(_ t: TensorRef, _ reason: String) -> ModelFileError { .badTensor(path: t.file.path, tensor: t.name, reason: reason) }
        guard codes.type == .u32 else { throw bad(codes, "type \(codes.type), expected U32 packed codes") }
        guard codes.shape.count == 2, codes.shape[0] == rows, codes.shape[1] > 0 else {
            throw bad(codes, "shape \(codes.shape), expected [\(rows), columns * bits / 32]")
        }
        guard scales.shape.count == 2, scales.shape[0] == rows, scales.shape[1] > 0 else {
            throw bad(scales, "shape \(scales.shape), expected [\(rows), \(columns) / group size]")
        }
        // What the shapes imply must agree with the configuration.
        let impliedGroup = columns / scales.shape[1], impliedBits = codes.shape[1] * 32 / columns
        guard columns % scales.shape[1] == 0, impliedGroup == groupSize else {
            throw bad(scales, "shape \(scales.shape) implies group size \(columns)/\(scales.shape[1]), but the config says \(groupSize)")
        }
        guard (codes.shape[1] * 32) % columns == 0, impliedBits == bits else {
            throw bad(codes, "shape \(codes.shape) implies \(codes.shape[1] * 32)/\(columns) bits for \(columns) inputs, but the config says \(bits)")
        }
        guard [TensorType.f32, .f16, .bf16].contains(scales.type) else { throw bad(scales, "type \(scales.type) is not F32, F16 or BF16") }
        guard biases.type == scales.type, biases.shape == scales.shape else {
            throw bad(biases, "\(biases.type) \(biases.shape) does not match the scales (\(scales.type) \(scales.shape))")
        }
        guard csk_affine_supported(Int32(bits), Int32(groupSize), Int32(scales.type.rawValue)) == 1,
              columns / groupSize <= 4096 else {
            throw bad(codes, "\(bits)-bit codes in groups of \(groupSize) over \(columns) inputs are not supported")
        }
        tensor = codes
        affine = Affine(scales: scales, biases: biases, bits: bits, groupSize: groupSize)
        self.rows = rows
        self.columns = columns
        rowBytes = columns * bits / 8
        firstRow = 0
    }

    /// A short description of the encoding (`Q4_1`, `BF16`, `MLX 4-bit g64 BF16`).
    public var encoding: String {
        guard let affine else { return tensor.type.description }
        return "MLX \(affine.bits)-bit g\(affine.groupSize) \(affine.scales.type)"
    }

    /// The C descriptor of an affine matrix (all zero otherwise).
    var affineDescriptor: csk_affine {
        guard let affine else { return csk_affine() }
        return csk_affine(scales: affine.scales.bytes.baseAddress, biases: affine.biases.bytes.baseAddress,
                          scale_type: Int32(affine.scales.type.rawValue), bits: Int32(affine.bits),
                          group_size: Int32(affine.groupSize))
    }

    /// The first byte of the data (valid while `tensor` is alive).
    var baseAddress: UnsafeRawPointer {
        // A zero-sized matrix is rejected by the config checks, so the buffer has a base address.
        (tensor.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) + firstRow * rowBytes
    }

    /// The kernel type id.
    var kernelType: Int32 { affine == nil ? Int32(tensor.type.rawValue) : Int32(CSK_AFFINE) }

    /// Dequantizes row `row` into `destination` (`columns` floats). Affine rows are computed in f32, as
    /// the dot kernels see them; `mlxRounding` rounds like `mx.dequantize` instead (in the scales' type).
    func dequantizeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>, mlxRounding: Bool = false) {
        if affine != nil {
            var descriptor = affineDescriptor
            csk_affine_dequantize_row(&descriptor, baseAddress, Int64(row), destination, Int64(columns), mlxRounding ? 1 : 0)
        } else {
            csk_dequantize_row(kernelType, baseAddress + row * rowBytes, destination, Int64(columns))
        }
    }

    /// Row `row` dequantized, or nil when there is no such row (for tests and tools; the engine never
    /// dequantizes whole matrices).
    public func dequantizedRow(_ row: Int, mlxRounding: Bool = false) -> [Float]? {
        guard row >= 0, row < rows else { return nil }
        return [Float](unsafeUninitializedCapacity: columns) { buffer, count in
            dequantizeRow(row, into: buffer.baseAddress!, mlxRounding: mlxRounding)
            count = columns
        }
    }
}

/// Reads a 1-D F32/F16/BF16 tensor of `count` elements into floats.
func loadVector(_ tensor: TensorRef, count: Int) throws(ModelFileError) -> [Float] {
    guard tensor.shape == [count] else {
        throw .badTensor(path: tensor.file.path, tensor: tensor.name, reason: "shape \(tensor.shape), expected [\(count)]")
    }
    guard tensor.type == .f32 || tensor.type == .f16 || tensor.type == .bf16 else {
        throw .badTensor(path: tensor.file.path, tensor: tensor.name, reason: "type \(tensor.type) is not supported for vectors")
    }
    var out = [Float](repeating: 0, count: count)
    let bytes = tensor.bytes
    out.withUnsafeMutableBufferPointer { dst in
        if let src = bytes.baseAddress, let d = dst.baseAddress {
            csk_dequantize_row(Int32(tensor.type.rawValue), src, d, Int64(count))
        }
    }
    return out
}
