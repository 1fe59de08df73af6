/// Bounds one model's requests: at most `parallel` generate at once, at most `queue` more wait (in order);
/// beyond that a request is refused at once (429 with Retry-After) rather than left to time out.
actor AdmissionGate {
    let parallel: Int
    let queue: Int
    private(set) var active = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private let changed: @Sendable (_ active: Int, _ waiting: Int) -> Void

    init(parallel: Int, queue: Int, changed: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) {
        self.parallel = max(1, parallel)
        self.queue = max(0, queue)
        self.changed = changed
    }

    /// Waits for a slot; false (at once) when the queue is full.
    func enter() async -> Bool {
        if active < parallel {
            active += 1
            changed(active, waiting.count)
            return true
        }
        guard waiting.count < queue else { return false }
        await withCheckedContinuation { continuation in
            waiting.append(continuation)
            changed(active, waiting.count)
        }
        return true
    }

    /// Gives the slot to the first waiting request, or frees it.
    func leave() {
        if waiting.isEmpty {
            active -= 1
        } else {
            waiting.removeFirst().resume()
        }
        changed(active, waiting.count)
    }
}
