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

/// The element type of a session's key/value cache.
public enum KVCacheType: String, Sendable, Equatable, CaseIterable {
    /// IEEE half: half the memory and the bytes read per step. The default; greedy output on the test
    /// prompts is identical to ``f32`` (see docs/decisions).
    case f16
    /// 32-bit float, for exact comparisons with a reference.
    case f32

    /// Bytes per element.
    public var byteWidth: Int { self == .f16 ? 2 : 4 }
}

/// An owned, zero-initialized key or value cache whose address never changes (calloc: resident only as
/// far as it is written).
final class CacheBuffer {
    let raw: UnsafeMutableRawPointer
    let type: KVCacheType

    init(count: Int, type: KVCacheType) throws(InferenceError) {
        self.type = type
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: type.byteWidth)
        guard !overflow, let raw = calloc(max(count, 1), type.byteWidth) else {
            throw .outOfMemory(bytes: overflow ? Int.max : bytes)
        }
        switch type {
        case .f16: raw.bindMemory(to: UInt16.self, capacity: max(count, 1))
        case .f32: raw.bindMemory(to: Float.self, capacity: max(count, 1))
        }
        self.raw = raw
    }

    deinit { free(raw) }
}
