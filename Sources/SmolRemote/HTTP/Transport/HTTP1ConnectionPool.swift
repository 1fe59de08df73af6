import Synchronization

/// The keep-alive connections to one origin (through one proxy, or direct): at most `maximumConnections`
/// open, idle ones reused most-recently-used first, and callers beyond the limit queued in arrival order.
final class HTTP1ConnectionPool: Sendable {
    private enum Grant {
        case connection(HTTP1Connection)
        case mayConnect
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State {
        var idle: [HTTP1Connection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
    }

    let origin: Origin
    /// The proxy every connection of this pool goes through, if any.
    let proxy: ProxyServer?
    let settings: TransportSettings
    private let state = Mutex(State())

    init(origin: Origin, proxy: ProxyServer?, settings: TransportSettings) {
        self.origin = origin
        self.proxy = proxy
        self.settings = settings
    }

    /// Connections waiting in the pool for their next exchange.
    var idleCount: Int { state.withLock { $0.idle.count } }

    /// A connection for one exchange, and whether it served an exchange before. Give it back through
    /// ``release(_:reusable:)`` (the exchange's `finish` callback does).
    func lease() async throws -> (connection: HTTP1Connection, reused: Bool) {
        enum Decision { case use(HTTP1Connection), connect, wait }
        let decision: Decision = state.withLock { state in
            while let connection = state.idle.popLast() {
                if connection.channel.isActive { return .use(connection) }
                state.open -= 1
            }
            if state.open < settings.maximumConnectionsPerHost {
                state.open += 1
                return .connect
            }
            return .wait
        }
        switch decision {
        case .use(let connection):
            return (connection, true)
        case .connect:
            return (try await connect(), false)
        case .wait:
            switch try await waitForGrant() {
            case .connection(let connection): return (connection, true)
            case .mayConnect: return (try await connect(), false)
            }
        }
    }

    /// Takes a connection back after an exchange: kept for reuse, or counted as closed.
    func release(_ connection: HTTP1Connection, reusable: Bool) {
        let keep = reusable && connection.channel.isActive
        let handOver: (Waiter, Grant)? = state.withLock { state in
            if keep {
                if !state.waiters.isEmpty { return (state.waiters.removeFirst(), .connection(connection)) }
                state.idle.append(connection)
                return nil
            }
            state.open -= 1
            return Self.admitWaiter(&state)
        }
        if !keep { connection.channel.close(promise: nil) }
        if let (waiter, grant) = handOver { waiter.continuation.resume(returning: grant) }
    }

    private func connect() async throws -> HTTP1Connection {
        do {
            return try await HTTP1Connection.connect(to: origin, via: proxy, settings: settings) { [weak self] connection in
                self?.idleConnectionClosed(connection)
            }
        } catch {
            let handOver = state.withLock { state in
                state.open -= 1
                return Self.admitWaiter(&state)
            }
            if let (waiter, grant) = handOver { waiter.continuation.resume(returning: grant) }
            throw error
        }
    }

    /// The server closed a connection that sat idle here.
    private func idleConnectionClosed(_ connection: HTTP1Connection) {
        let handOver: (Waiter, Grant)? = state.withLock { state in
            guard let index = state.idle.firstIndex(where: { $0 === connection }) else { return nil }
            state.idle.remove(at: index)
            state.open -= 1
            return Self.admitWaiter(&state)
        }
        if let (waiter, grant) = handOver { waiter.continuation.resume(returning: grant) }
    }

    /// A slot freed up: the first waiter may open a connection.
    private static func admitWaiter(_ state: inout State) -> (Waiter, Grant)? {
        guard !state.waiters.isEmpty else { return nil }
        state.open += 1
        return (state.waiters.removeFirst(), .mayConnect)
    }

    private func waitForGrant() async throws -> Grant {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let cancelled: Bool = state.withLock { state in
                    if Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
