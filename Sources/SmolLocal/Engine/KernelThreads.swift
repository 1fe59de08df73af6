import CSmolKernels

/// The process-wide thread count of the C kernels (matrix products and attention).
///
/// The default is 2 on machines with at least two CPUs (decode is memory-bound, so more threads buy little),
/// else 1. Parallel regions from different sessions run one at a time.
public enum KernelThreads {
    /// The number of threads the kernels use.
    public static var count: Int { Int(csk_thread_count()) }

    /// Sets the number of threads (clamped to 1...16) and returns the count now in use.
    @discardableResult
    public static func set(_ count: Int) -> Int {
        Int(csk_set_threads(Int32(clamping: max(1, min(count, 16)))))
    }
}
