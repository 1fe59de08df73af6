import CSmolKernels

/// A weight matrix used in place from its mapped file: `rows` rows of `columns` elements, each row
/// `rowBytes` bytes in the tensor's encoding.
public struct WeightMatrix: Sendable {
    /// The stored tensor (keeps the mapping alive).
    public let tensor: TensorRef
    /// Output dimension.
    public let rows: Int
    /// Input dimension.
    public let columns: Int
    /// Bytes per row.
    public let rowBytes: Int

    /// Wraps `tensor` after checking that it is a `[rows, columns]` matrix of a type with kernels.
    init(_ tensor: TensorRef, rows: Int, columns: Int) throws(ModelFileError) {
        guard tensor.shape == [rows, columns] else {
            throw .badTensor(path: tensor.file.path, tensor: tensor.name, reason: "shape \(tensor.shape), expected [\(rows), \(columns)]")
        }
        guard tensor.type.hasKernels, let rowBytes = tensor.type.rowBytes(columns) else {
            throw .badTensor(path: tensor.file.path, tensor: tensor.name, reason: "type \(tensor.type) is not supported for weights")
        }
        self.tensor = tensor
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
    }

    /// The first byte of the data (valid while `tensor` is alive).
    var baseAddress: UnsafeRawPointer {
        // A zero-sized matrix is rejected by the config checks, so the buffer has a base address.
        tensor.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
    }

    /// The kernel type id.
    var kernelType: Int32 { Int32(tensor.type.rawValue) }

    /// Dequantizes row `row` into `destination` (`columns` floats).
    func dequantizeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        csk_dequantize_row(kernelType, baseAddress + row * rowBytes, destination, Int64(columns))
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
