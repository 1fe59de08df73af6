/// An owned, fixed-size, zero-initialized float buffer whose address never changes, for the hot loops
/// that hand raw pointers to the C kernels.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = max(count, 1)
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: self.count)
        pointer.initialize(repeating: 0, count: self.count)
    }

    init(_ values: [Float]) {
        count = max(values.count, 1)
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    subscript(offset: Int) -> UnsafeMutablePointer<Float> { pointer + offset }
}
