import Foundation
import SmolCore

/// botocore's `InstanceMetadataProvider` and `InstanceMetadataFetcher`: the instance role's credentials from
/// EC2's instance metadata service, IMDSv2 first.
///
/// A session token is asked for with `PUT /latest/api/token` (`x-aws-ec2-metadata-token-ttl-seconds: 21600`);
/// 403, 404 and 405 or a timeout mean IMDSv1 (no token), unless `AWS_EC2_METADATA_V1_DISABLED` /
/// `ec2_metadata_v1_disabled` forbids it. Then `GET /latest/meta-data/iam/security-credentials/` names the
/// role and `GET …/<role>` gives its credentials.
///
/// On a machine that is not on EC2 nothing answers at `169.254.169.254`: every call waits at most
/// `AWS_METADATA_SERVICE_TIMEOUT` / `metadata_service_timeout` (1 s) and is made
/// `AWS_METADATA_SERVICE_NUM_ATTEMPTS` / `metadata_service_num_attempts` times (1), so the chain's final
/// "no credentials" error comes within about a second. The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT` /
/// `ec2_metadata_service_endpoint`, or the IPv6 one with endpoint mode `IPv6`.
struct AWSInstanceMetadataCredentials: Sendable {
    var baseURL: String
    var timeout: Duration
    var attempts: Int
    var disabled: Bool
    var v1Disabled: Bool

    init(context: AWSCredentialContext) {
        disabled = context.resolver.environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
        let seconds = context.setting("metadata_service_timeout", env: "AWS_METADATA_SERVICE_TIMEOUT").flatMap { Double($0) } ?? 1
        timeout = .milliseconds(Int(max(seconds, 0.01) * 1000))
        attempts = max(context.setting("metadata_service_num_attempts", env: "AWS_METADATA_SERVICE_NUM_ATTEMPTS")
            .flatMap { Int($0) } ?? 1, 1)
        v1Disabled = context.setting("ec2_metadata_v1_disabled", env: "AWS_EC2_METADATA_V1_DISABLED")?.lowercased() == "true"
        let mode = context.setting("ec2_metadata_service_endpoint_mode", env: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
        var base = context.setting("ec2_metadata_service_endpoint", env: "AWS_EC2_METADATA_SERVICE_ENDPOINT")
            ?? (mode?.lowercased() == "ipv6" ? "http://[fd00:ec2::254]" : "http://169.254.169.254")
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
    }

    /// How the chain's final error describes this step.
    var searchedDescription: String {
        "EC2 instance metadata at \(baseURL) (no credentials within \(timeout) × \(attempts) attempt(s))"
    }

    /// The role's credentials, or `nil` when the service does not answer or has no role (botocore then
    /// falls through to "no credentials").
    func fetch() async throws(ModelError) -> AWSCredentials? {
        guard !disabled else { return nil }
        let http = AWSCredentialContext.engine(timeout: timeout)
        var token: Secret?
        switch await tokenStatus(http) {
        case .token(let value): token = value
        case .noToken: if v1Disabled {
            throw .authentication(message: "Unable to retrieve token for use in IMDSv2 call and IMDSv1 has been disabled (AWS_EC2_METADATA_V1_DISABLED)")
        }
        case .badRequest, .unreachable: return nil
        }
        let path = "/latest/meta-data/iam/security-credentials/"
        guard let roleBytes = await get(path, token: token, http: http), !roleBytes.isEmpty else { return nil }
        let role = String(decoding: roleBytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let origin = "EC2 instance metadata at \(baseURL) (role \(role))"
        guard let body = await get(path + role, token: token, http: http, json: true) else { return nil }
        let json = try AWSCredentialParsing.json(body, origin: origin)
        // A 200 with {"Code": …, "Message": …} and no keys is "no credentials", not an error (botocore).
        guard ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"].allSatisfy({ json[$0] != nil }) else { return nil }
        return try AWSCredentialParsing.credentials(json, origin: origin, keys: ("AccessKeyId", "SecretAccessKey", "Token", "Expiration"))
    }

    /// `unreachable`: no HTTP answer at all (nothing listens, or no route). botocore then still asks for the
    /// role without a token and waits for that to fail too; skipping it halves the wait off EC2, same outcome.
    private enum TokenStatus { case token(Secret), noToken, badRequest, unreachable }

    private func tokenStatus(_ http: HTTPEngine) async -> TokenStatus {
        for _ in 0..<attempts {
            do {
                let response = try await http.send(HTTPEngine.Request(
                    method: "PUT", url: baseURL + "/latest/api/token",
                    headers: [("x-aws-ec2-metadata-token-ttl-seconds", "21600")], body: []))
                return .token(Secret(String(decoding: response.body, as: UTF8.self)))
            } catch {
                switch error as? ModelError {
                case .http(let status, _, _, _)? where [403, 404, 405].contains(status): return .noToken
                case .http(400, _, _, _)?: return .badRequest
                case .http?: return .noToken
                default: continue  // a connection error or a timeout: try again
                }
            }
        }
        return .unreachable
    }

    /// The body of a 200 answer with content (valid JSON when `json`), after up to `attempts` tries; `nil` otherwise.
    private func get(_ path: String, token: Secret?, http: HTTPEngine, json: Bool = false) async -> [UInt8]? {
        var headers: [(String, String)] = []
        if let token { headers.append(("x-aws-ec2-metadata-token", token.revealed)) }
        for _ in 0..<attempts {
            guard let response = try? await http.send(HTTPEngine.Request(method: "GET", url: baseURL + path, headers: headers),
                                                       secrets: token.map { [$0] } ?? [])
            else { continue }
            if response.body.isEmpty { continue }
            if json, (try? JSONValue(parsing: response.body)) == nil { continue }
            return response.body
        }
        return nil
    }
}
