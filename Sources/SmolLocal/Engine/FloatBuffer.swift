#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An owned, fixed-size, zero-initialized float buffer whose address never changes, for the hot loops
/// that hand raw pointers to the C kernels.
///
/// The memory comes from `calloc`, so large buffers (the KV cache) are backed by lazily mapped zero pages
/// and cost resident memory only as far as they are used.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) throws(InferenceError) {
        self.count = max(count, 1)
        guard let raw = calloc(self.count, MemoryLayout<Float>.stride) else {
            throw .outOfMemory(bytes: self.count &* MemoryLayout<Float>.stride)
        }
        pointer = raw.bindMemory(to: Float.self, capacity: self.count)
    }

    convenience init(_ values: [Float]) throws(InferenceError) {
        try self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { free(pointer) }

    subscript(offset: Int) -> UnsafeMutablePointer<Float> { pointer + offset }
}
