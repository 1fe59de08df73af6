import Foundation
import SmolCore

/// The two STS calls of the credential chain, on STS's query API (form body, XML answer), as botocore's
/// `AssumeRoleCredentialFetcher` and `AssumeRoleWithWebIdentityCredentialFetcher` make them.
struct AWSSecurityTokenService: Sendable {
    /// `https://sts.{region}.amazonaws.com`, or the configured endpoint (`AWS_ENDPOINT_URL_STS`, …).
    var endpoint: String
    /// The region requests are signed for.
    var region: String
    var http: HTTPEngine
    var now: @Sendable () -> Date

    init(context: AWSCredentialContext) {
        region = context.stsRegion
        endpoint = context.endpoint(service: "sts", default: "https://sts.\(region).\(AWSCredentialContext.dnsSuffix(region))")
        http = AWSCredentialContext.engine(timeout: .seconds(60), attempts: 3, pause: .milliseconds(500))
        now = context.now
    }

    /// What an assume-role call asks for besides the role.
    struct RoleRequest: Sendable {
        var roleARN: String
        var sessionName: String?
        var externalID: String?
        var durationSeconds: Int?
    }

    /// `AssumeRole`, signed (SigV4, service `sts`) with `source`.
    func assumeRole(_ request: RoleRequest, source: AWSCredentials) async throws(ModelError) -> AWSCredentials {
        var parameters = [("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", request.roleARN),
                          ("RoleSessionName", request.sessionName ?? defaultSessionName())]
        if let id = request.externalID { parameters.append(("ExternalId", id)) }
        if let seconds = request.durationSeconds { parameters.append(("DurationSeconds", String(seconds))) }
        let body = Array(Self.form(parameters).utf8)
        let signer = SigV4Signer(credentials: source, region: region, service: "sts")
        let headers = signer.sign(method: "POST", url: endpoint + "/",
                                  headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                  body: body, date: now())
        var secrets = [source.secretAccessKey]
        if let token = source.sessionToken { secrets.append(token) }
        return try await call("AssumeRole", role: request.roleARN, headers: headers, body: body, secrets: secrets)
    }

    /// `AssumeRoleWithWebIdentity`: unsigned, the token is the proof.
    func assumeRoleWithWebIdentity(_ request: RoleRequest, token: Secret) async throws(ModelError) -> AWSCredentials {
        let parameters = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", request.roleARN),
                          ("RoleSessionName", request.sessionName ?? defaultSessionName()),
                          ("WebIdentityToken", token.revealed)]
        let body = Array(Self.form(parameters).utf8)
        return try await call("AssumeRoleWithWebIdentity", role: request.roleARN,
                              headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                              body: body, secrets: [token])
    }

    private func call(_ action: String, role: String, headers: [(String, String)], body: [UInt8], secrets: [Secret])
        async throws(ModelError) -> AWSCredentials
    {
        let name = "STS \(action) for \(role) at \(endpoint)"
        let response: HTTPEngine.Response
        do {
            response = try await http.send(HTTPEngine.Request(method: "POST", url: endpoint + "/", headers: headers, body: body),
                                           secrets: secrets)
        } catch {
            throw AWSCredentialParsing.failure(error, call: name)
        }
        let xml = String(decoding: response.body, as: UTF8.self)
        guard let block = AWSCredentialParsing.xmlValue("Credentials", in: xml) else {
            throw .authentication(message: "\(name) answered without Credentials")
        }
        func value(_ tag: String) throws(ModelError) -> String {
            guard let text = AWSCredentialParsing.xmlValue(tag, in: block), !text.isEmpty else {
                throw .authentication(message: "\(name) answered without \(tag)")
            }
            return text
        }
        let expirationText = try value("Expiration")
        guard let expiration = AWSCredentialParsing.date(expirationText) else {
            throw .authentication(message: "\(name) answered with an unreadable Expiration '\(expirationText)'")
        }
        return AWSCredentials(accessKeyID: try value("AccessKeyId"), secretAccessKey: Secret(try value("SecretAccessKey")),
                              sessionToken: Secret(try value("SessionToken")), expiration: expiration)
    }

    /// botocore names sessions `botocore-session-<epoch seconds>`; ours say who made them.
    private func defaultSessionName() -> String { "swift-smolagents-session-\(Int(now().timeIntervalSince1970))" }

    /// `key=value&…`, each part percent-encoded except RFC 3986's unreserved characters.
    static func form(_ parameters: [(String, String)]) -> String {
        parameters.map { SigV4Encoding.encode($0.0) + "=" + SigV4Encoding.encode($0.1) }.joined(separator: "&")
    }
}
