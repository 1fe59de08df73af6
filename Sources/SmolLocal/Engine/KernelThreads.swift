import CSmolKernels
import Synchronization

/// The thread count of the C kernels (matrix products and attention), shared by every local model of the
/// process: one pool, so two models never oversubscribe the CPUs between them.
///
/// The default is what the process may actually use (``ProcessorBudget/available``: online CPUs narrowed
/// by affinity and cgroup quota, at most 16), applied when the first model loads unless ``set(_:)`` was
/// called before. `smol --threads N` calls ``set(_:)``.
public enum KernelThreads {
    /// Whether a caller chose the count; the default then never overrides it.
    private static let chosen = Mutex(false)

    /// The number of threads the kernels use.
    public static var count: Int { Int(csk_thread_count()) }

    /// The count used when nobody sets one: the CPUs this process may use, no more than their physical
    /// cores (hyper-thread siblings share a core's units and memory bandwidth) or, on Apple silicon, than its
    /// performance cores, at most 16.
    public static var defaultCount: Int {
        min(ProcessorBudget.available, ProcessorBudget.physicalCores() ?? ProcessorBudget.performanceCores() ?? .max, 16)
    }

    /// Sets the number of threads (clamped to 1...16) and returns the count now in use.
    @discardableResult
    public static func set(_ count: Int) -> Int {
        chosen.withLock { $0 = true }
        return Int(csk_set_threads(Int32(clamping: max(1, min(count, 16)))))
    }

    /// Grows the pool to at least `count` threads (at most 16) for a model that asks for more, without
    /// changing what other models use (each generation thread caps its own regions). Returns the count a
    /// model asking for `count` gets.
    static func reserve(_ count: Int) -> Int {
        let wanted = max(1, min(count, 16))
        if wanted > Self.count { csk_set_threads(Int32(wanted)) }
        return wanted
    }

    /// Applies ``defaultCount`` unless a count was set; models call this when they load.
    static func applyDefault() {
        let apply = chosen.withLock { chosen -> Bool in
            guard !chosen else { return false }
            chosen = true
            return true
        }
        if apply { csk_set_threads(Int32(defaultCount)) }
    }
}
