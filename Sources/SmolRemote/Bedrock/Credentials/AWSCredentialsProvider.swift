import Foundation
import SmolCore
import Synchronization

/// AWS credentials behind one object that every request shares, refreshed before they expire as botocore's
/// `RefreshableCredentials` refreshes them.
///
/// Long-lived keys (explicit, environment without `AWS_CREDENTIAL_EXPIRATION`, profile keys) never change.
/// Temporary ones (assume-role, web identity, SSO, `credential_process` with an `Expiration`, container,
/// instance metadata) are fetched on first use and fetched again:
/// - inside the advisory window (less than ``advisoryRefreshWindow``, 15 minutes, left): one caller
///   refreshes while the others keep using the current credentials; a failed advisory refresh is ignored
///   and the current credentials are used;
/// - inside the mandatory window (less than ``mandatoryRefreshWindow``, 10 minutes, left) or after
///   expiry: every caller waits for the refresh, and its failure is thrown.
///
/// Only one refresh runs at a time (single flight): concurrent callers await the same one. A caller cancelled
/// while it waits stops waiting at once (``/SmolCore/ModelError/cancelled``); the refresh goes on for the others.
public final class AWSCredentialsProvider: Sendable {
    /// Where the credentials come from, in botocore's words: `explicit`, `env`, `assume-role`,
    /// `assume-role-with-web-identity`, `sso`, `shared-credentials-file`, `custom-process`, `config-file`,
    /// `container-role` or `iam-role`.
    public let method: String
    /// botocore's advisory refresh window: with less than this left, a refresh is attempted.
    public static let advisoryRefreshWindow: TimeInterval = 15 * 60
    /// botocore's mandatory refresh window: with less than this left, requests wait for fresh credentials.
    public static let mandatoryRefreshWindow: TimeInterval = 10 * 60

    /// Fetches a new set of credentials (with their ``AWSCredentials/expiration``).
    typealias Fetch = @Sendable () async throws(ModelError) -> AWSCredentials

    private struct State {
        var current: AWSCredentials?
        var refresh: Task<AWSCredentials, any Error>?
    }

    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private let state: Mutex<State>

    /// A provider of fixed credentials. They are never refreshed: if they carry an
    /// ``AWSCredentials/expiration``, ``credentials()`` throws from 10 minutes before it (the mandatory window).
    ///
    /// - Parameters:
    ///   - credentials: The credentials every request uses.
    ///   - method: Where they came from (see ``method``).
    public convenience init(credentials: AWSCredentials, method: String = "explicit") {
        self.init(method: method, initial: credentials, now: { Date() }) { () throws(ModelError) in
            throw .authentication(message: "The \(method) credentials expired and cannot be refreshed")
        }
    }

    /// A provider that calls `fetch` for its first credentials (unless `initial` is given) and for every refresh.
    init(method: String, initial: AWSCredentials? = nil, now: @escaping @Sendable () -> Date = { Date() },
         fetch: @escaping Fetch) {
        self.method = method
        self.fetch = fetch
        self.now = now
        state = Mutex(State(current: initial, refresh: nil))
    }

    /// The credentials to sign the next request with: the current ones, or fresh ones when they are about
    /// to expire (see the type's documentation for the windows).
    ///
    /// - Throws: ``/SmolCore/ModelError/authentication(message:)`` when the first fetch or a mandatory
    ///   refresh fails (the message names the source and never holds a secret), or when fresh credentials
    ///   are already expired.
    public func credentials() async throws(ModelError) -> AWSCredentials {
        enum Step {
            case use(AWSCredentials)
            case wait(Task<AWSCredentials, any Error>, fallback: AWSCredentials?)
        }
        let time = now()
        let step: Step = state.withLock { state in
            if let current = state.current, !Self.needsRefresh(current, within: Self.advisoryRefreshWindow, at: time) {
                return .use(current)
            }
            let usable = state.current.flatMap {
                Self.needsRefresh($0, within: Self.mandatoryRefreshWindow, at: time) ? nil : $0
            }
            if let running = state.refresh {
                // Someone is refreshing: outside the mandatory window, do not wait for them.
                if let usable { return .use(usable) }
                return .wait(running, fallback: nil)
            }
            let task = Task<AWSCredentials, any Error> { try await self.refreshed() }
            state.refresh = task
            return .wait(task, fallback: usable)
        }
        switch step {
        case .use(let credentials):
            return credentials
        case .wait(let task, let fallback):
            do {
                return try await sharedRefreshValue(of: task)
            } catch is CancellationError {
                // This caller was cancelled while waiting; the refresh goes on for the others.
                throw .cancelled
            } catch {
                // An advisory refresh that fails keeps the current credentials, as botocore does.
                if let fallback { return fallback }
                if let error = error as? ModelError { throw error }
                throw .authentication(message: "Refreshing the \(method) credentials failed: \(type(of: error))")
            }
        }
    }

    /// Fetches, checks and stores new credentials; clears the running refresh either way.
    private func refreshed() async throws(ModelError) -> AWSCredentials {
        let result: Result<AWSCredentials, ModelError>
        do throws(ModelError) {
            let fresh = try await fetch()
            if let expiration = fresh.expiration, expiration <= now() {
                throw ModelError.authentication(
                    message: "The \(method) credentials were refreshed, but the refreshed credentials are still expired (expiration \(Self.iso8601(expiration)))")
            }
            result = .success(fresh)
        } catch {
            result = .failure(error)
        }
        state.withLock { state in
            if case .success(let fresh) = result { state.current = fresh }
            state.refresh = nil
        }
        return try result.get()
    }

    /// Whether `credentials` expire in less than `window` seconds from `time`; never for credentials without an expiration.
    static func needsRefresh(_ credentials: AWSCredentials, within window: TimeInterval, at time: Date) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(time) < window
    }

    /// `date` as `2026-12-07T20:00:00Z`.
    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
