import Synchronization

/// A gate one task waits at until the test opens it: lets a test hold a fetch in flight for as long as it
/// needs, and check the order of events instead of timing them.
final class TestGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    var isOpen: Bool { state.withLock { $0.open } }

    /// Returns once the gate is open (at once if it already is).
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Runs `body` with a gate that opens by itself after `limit` (so a test of something that should not wait
/// for it fails instead of hanging), then opens it.
func withTestGate<T>(opensAfter limit: Duration = .seconds(30), _ body: (TestGate) async throws -> T) async rethrows -> T {
    let gate = TestGate()
    let opener = Task {
        try? await Task.sleep(for: limit)
        gate.open()
    }
    defer {
        opener.cancel()
        gate.open()
    }
    return try await body(gate)
}

/// Starts `call` in a task, cancels that task once `call` had time to start waiting (100 ms), and returns
/// what it threw (nil if it returned).
func errorWhenCancelledWhileWaiting(_ call: @escaping @Sendable () async throws -> Void) async throws -> (any Error)? {
    let task = Task { () -> (any Error)? in
        do {
            try await call()
            return nil
        } catch {
            return error
        }
    }
    try await Task.sleep(for: .milliseconds(100))
    task.cancel()
    return await task.value
}
