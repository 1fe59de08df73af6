import Synchronization

/// A small thread-safe dictionary for values fetched once and reused (provider mappings, tokens).
final class CachedValues<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let storage = Mutex<[Key: Value]>([:])

    subscript(key: Key) -> Value? {
        get { storage.withLock { $0[key] } }
        set { storage.withLock { $0[key] = newValue } }
    }
}
