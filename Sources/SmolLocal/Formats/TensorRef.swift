/// A tensor stored in a mapped model file: its name, encoding, shape and the exact byte range of its data.
///
/// The bytes are read in place; the tensor keeps its ``MappedFile`` alive.
public struct TensorRef: Sendable {
    /// The tensor's name in the file.
    public let name: String
    /// The element encoding.
    public let type: TensorType
    /// The shape, outermost dimension first (row-major, as numpy and safetensors write it; GGUF's
    /// fastest-first dimension list reversed).
    public let shape: [Int]
    /// The file holding the data.
    public let file: MappedFile
    /// The absolute byte offset of the data in the file.
    public let offset: Int
    /// The size of the data in bytes.
    public let byteCount: Int

    /// Creates a reference; the loaders have already checked that the range lies inside `file`.
    init(name: String, type: TensorType, shape: [Int], file: MappedFile, offset: Int, byteCount: Int) {
        self.name = name
        self.type = type
        self.shape = shape
        self.file = file
        self.offset = offset
        self.byteCount = byteCount
    }

    /// The number of elements (the product of the shape).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The data bytes, valid while `file` is alive (it is, as long as this value is).
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.allBytes[offset..<(offset + byteCount)])
    }

    /// The number of rows when the tensor is seen as a matrix whose last dimension is a row.
    public var rowCount: Int { shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *) }

    /// The length of a row (the last dimension).
    public var rowLength: Int { shape.last ?? 1 }
}

/// Multiplies dimensions, returning nil on overflow or a negative dimension.
///
/// The product of the non-zero dimensions must fit too: callers multiply the dimensions in other orders
/// (`elementCount` over the reversed GGUF shape, `rowCount` over all but the last), and a zero does not
/// save `[2³¹, 2³¹, 2³¹, 0]` from overflowing before it reaches the zero.
func checkedProduct(_ dims: [Int]) -> Int? {
    var total = 1
    var hasZero = false
    for d in dims {
        guard d >= 0 else { return nil }
        if d == 0 {
            hasZero = true
            continue
        }
        let (p, o) = total.multipliedReportingOverflow(by: d)
        if o { return nil }
        total = p
    }
    return hasZero ? 0 : total
}
