import Foundation
import SmolCore

/// One OAuth token request to Google's token endpoint, as google-auth sends it.
///
/// A service account POSTs `assertion=<JWT>&grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`; an
/// authorized user `grant_type=refresh_token&client_id=…&client_secret=…&refresh_token=…`; both as
/// `application/x-www-form-urlencoded` to the credentials' `token_uri`. The answer's `access_token` and
/// `expires_in` make the token. The assertion, the client secret, the refresh token and the access token are
/// redacted from any error the engine reports.
enum GoogleTokenExchange {
    static let jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    static func token(for credentials: GoogleCredentials, scope: String, http: HTTPEngine, now: Date)
        async throws(GoogleCredentialsError) -> GoogleAccessTokenProvider.Token
    {
        let form: [(String, Secret)]
        let endpoint: String
        switch credentials {
        case .serviceAccount(let account):
            let assertion = try GoogleJWT.assertion(for: account, scope: scope, issuedAt: Int(now.timeIntervalSince1970))
            form = [("assertion", Secret(assertion)), ("grant_type", Secret(jwtBearerGrant))]
            endpoint = account.tokenURI
        case .authorizedUser(let clientID, let clientSecret, let refreshToken, _, let tokenURI):
            form = [("grant_type", "refresh_token"), ("client_id", Secret(clientID)), ("client_secret", clientSecret),
                    ("refresh_token", refreshToken)]
            endpoint = tokenURI
        }
        // Python's urlencode and this encoding differ only on characters none of these values hold.
        let body = form.map { SigV4Encoding.encode($0.0) + "=" + SigV4Encoding.encode($0.1.revealed) }.joined(separator: "&")
        let secrets = form.filter { ["assertion", "client_secret", "refresh_token"].contains($0.0) }.map(\.1)
        let request = HTTPEngine.Request(
            method: "POST", url: endpoint,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
                      ("User-Agent", "swift-smolagents/\(SmolVersion.current)")],
            body: Array(body.utf8))
        let response: HTTPEngine.Response
        do {
            response = try await http.send(request, secrets: secrets)
        } catch let error as ModelError {
            throw failure(error, endpoint: endpoint)
        } catch {
            throw .tokenExchange(endpoint: endpoint, status: nil, reason: "\(type(of: error))")
        }
        guard let json = try? JSONValue(parsing: response.body), let token = json["access_token"]?.stringValue,
              !token.isEmpty
        else {
            throw .tokenExchange(endpoint: endpoint, status: response.status, reason: "the answer has no access_token")
        }
        // The endpoint is whatever the credentials name: an absurd lifetime is clamped, never trapped on.
        let seconds = json["expires_in"]?.doubleValue ?? 3600
        let lifetime = seconds.isFinite ? Int(min(max(seconds, 0), 86_400)) : 3600
        return .init(value: Secret(token), expiry: now.addingTimeInterval(TimeInterval(lifetime)))
    }

    /// An engine error as a token-exchange error: OAuth's `error` and `error_description` when the body has them
    /// (they describe the request, never hold a credential), the engine's redacted message otherwise.
    static func failure(_ error: ModelError, endpoint: String) -> GoogleCredentialsError {
        switch error {
        case .http(let status, let message, _, let body):
            let json = body.flatMap { try? JSONValue(parsing: Array($0.utf8)) }
            let reason = [json?["error"]?.stringValue, json?["error_description"]?.stringValue].compactMap { $0 }
                .joined(separator: ": ")
            return .tokenExchange(endpoint: endpoint, status: status, reason: reason.isEmpty ? message : reason)
        default:
            return .tokenExchange(endpoint: endpoint, status: nil, reason: error.message)
        }
    }
}
