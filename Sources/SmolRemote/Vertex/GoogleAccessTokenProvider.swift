import Foundation
import SmolCore
import Synchronization

/// An OAuth access token for Google APIs, fetched from credentials and shared by every request of a model.
///
/// The first request fetches it; later ones reuse it until less than ``refreshMargin`` (google-auth's
/// 3 min 45 s) is left before its expiry, when the next request fetches a new one. Only one fetch runs at a
/// time: concurrent callers await the same one, so a burst of requests costs one token exchange. A failed
/// fetch is thrown to every caller waiting for it and the next request tries again. A caller cancelled while
/// it waits stops waiting at once; the fetch goes on for the others.
public final class GoogleAccessTokenProvider: Sendable {
    /// How long before its expiry a token is replaced (google-auth's `REFRESH_THRESHOLD`).
    public static let refreshMargin: TimeInterval = 225

    /// An access token and when it expires.
    struct Token: Sendable {
        var value: Secret
        var expiry: Date
    }

    /// Fetches a fresh token.
    typealias Fetch = @Sendable () async throws(GoogleCredentialsError) -> Token

    private struct State {
        var current: Token?
        var refresh: Task<Token, any Error>?
    }

    /// What the credentials are (never a secret), for messages.
    public let credentialsDescription: String
    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    /// A provider exchanging `credentials` at their token endpoint through `http`.
    ///
    /// - Parameters:
    ///   - credentials: A service account or an authorized user.
    ///   - scope: The OAuth scope (service accounts only; a user's refresh token carries its own); default
    ///     `https://www.googleapis.com/auth/cloud-platform`, the one LiteLLM asks for.
    ///   - http: The engine the token request goes through (proxies and TLS settings apply).
    public convenience init(credentials: GoogleCredentials,
                            scope: String = "https://www.googleapis.com/auth/cloud-platform", http: HTTPEngine) {
        self.init(description: credentials.description, now: { Date() }) { () throws(GoogleCredentialsError) in
            try await GoogleTokenExchange.token(for: credentials, scope: scope, http: http, now: Date())
        }
    }

    init(description: String, now: @escaping @Sendable () -> Date, fetch: @escaping Fetch) {
        credentialsDescription = description
        self.fetch = fetch
        self.now = now
    }

    /// The token for the next request: the current one, or a fresh one when it is missing or about to expire.
    ///
    /// - Throws: ``GoogleCredentialsError`` when the token exchange fails (never with a secret in it).
    public func token() async throws(GoogleCredentialsError) -> Secret {
        enum Step {
            case use(Token)
            case wait(Task<Token, any Error>)
        }
        let time = now()
        let step: Step = state.withLock { state in
            if let current = state.current, current.expiry.timeIntervalSince(time) > Self.refreshMargin {
                return .use(current)
            }
            if let running = state.refresh { return .wait(running) }
            let task = Task<Token, any Error> { try await self.refreshed() }
            state.refresh = task
            return .wait(task)
        }
        switch step {
        case .use(let token):
            return token.value
        case .wait(let task):
            do {
                return try await sharedRefreshValue(of: task).value
            } catch let error as GoogleCredentialsError {
                throw error
            } catch {
                // The task throws only GoogleCredentialsError (`Task` erases the type): this caller was cancelled.
                throw .tokenExchange(endpoint: credentialsDescription, status: nil, reason: "the request was cancelled")
            }
        }
    }

    /// Fetches and stores a token; clears the running refresh either way.
    private func refreshed() async throws(GoogleCredentialsError) -> Token {
        let result: Result<Token, GoogleCredentialsError>
        do throws(GoogleCredentialsError) {
            result = .success(try await fetch())
        } catch {
            result = .failure(error)
        }
        state.withLock { state in
            if case .success(let token) = result { state.current = token }
            state.refresh = nil
        }
        return try result.get()
    }
}
