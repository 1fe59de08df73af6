import Synchronization

/// Waits for a refresh that several callers share (a token or credentials being fetched), or stops waiting
/// as soon as the calling task is cancelled.
///
/// Awaiting a `Task`'s value ignores the waiter's cancellation, so a cancelled request would sit out the
/// whole exchange. Here a cancelled waiter gets `CancellationError` at once while the refresh runs on:
/// the other waiters still need it, and its result is still stored for the next request.
func sharedRefreshValue<Value: Sendable>(of refresh: Task<Value, any Error>) async throws -> Value {
    let waiter = RefreshWaiter<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            waiter.slot.withLock { $0 = continuation }
            // Cancelled before the continuation was stored: the handler below found nothing to resume.
            if Task.isCancelled { waiter.resume(with: .failure(CancellationError())) }
            Task { waiter.resume(with: await refresh.result) }
        }
    } onCancel: {
        waiter.resume(with: .failure(CancellationError()))
    }
}

/// The one continuation of a ``sharedRefreshValue(of:)`` call, resumed by whichever comes first: the
/// refresh's result or the caller's cancellation.
private final class RefreshWaiter<Value: Sendable>: Sendable {
    let slot = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    func resume(with result: Result<Value, any Error>) {
        slot.withLock { $0.take() }?.resume(with: result)
    }
}
