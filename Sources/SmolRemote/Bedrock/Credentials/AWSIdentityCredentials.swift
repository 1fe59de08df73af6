import Crypto
import Foundation
import SmolCore

/// botocore's `AssumeRoleWithWebIdentityProvider`: a token file (EKS IRSA, GitHub Actions OIDC, …) traded
/// for role credentials by STS.
enum AWSWebIdentityCredentials {
    /// The provider, or `nil` when no token file is configured. `environment`: whether
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME` are read (not for an explicit
    /// profile or a source profile), before the profile's `web_identity_token_file`, `role_arn`, `role_session_name`.
    static func provider(context: AWSCredentialContext, profile: String, environment: Bool) throws(ModelError)
        -> AWSCredentialsProvider?
    {
        let settings = context.profiles[profile] ?? [:]
        func value(_ key: String, _ variable: String) -> (value: String, origin: String)? {
            // botocore takes a variable that is set, even empty, before the profile.
            if environment, let value = context.resolver.environment[variable] { return (value: value, origin: variable) }
            return settings[key].map { (value: $0, origin: "\(key) in profile \(profile)") }
        }
        guard let file = value("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE"), !file.value.isEmpty else {
            return nil
        }
        guard let role = value("role_arn", "AWS_ROLE_ARN"), !role.value.isEmpty else {
            throw .authentication(message: "The provided profile or the current environment is configured to assume role with web identity but has no role ARN configured. Ensure that the profile has the role_arn configuration set or the AWS_ROLE_ARN env var is set.")
        }
        let request = AWSSecurityTokenService.RoleRequest(roleARN: role.value,
                                                          sessionName: value("role_session_name", "AWS_ROLE_SESSION_NAME")?.value)
        let sts = AWSSecurityTokenService(context: context)
        let path = context.resolver.expand(file.value)
        return AWSCredentialsProvider(method: "assume-role-with-web-identity", now: context.now) { () throws(ModelError) in
            // Read on every refresh: the platform rotates the file.
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .authentication(message: "The web identity token file \(path) (\(file.origin)) cannot be read")
            }
            return try await sts.assumeRoleWithWebIdentity(request, token: Secret(String(decoding: data, as: UTF8.self)))
        }
    }
}

/// botocore's `SSOProvider` (IAM Identity Center): the access token that `aws sso login` cached is traded for
/// role credentials by the SSO portal's `GetRoleCredentials`.
///
/// The token is read from `~/.aws/sso/cache/<sha1>.json` (of `sso_start_url`, or of the `sso_session` name).
/// An expired token is an error that says to run `aws sso login`; refreshing the token itself through SSO OIDC
/// (which botocore does for `sso_session` profiles) is not done here.
enum AWSSSOCredentials {
    /// The token cache file's name: the hex SHA-1 of the session name, or of the start URL (botocore's `SSOTokenLoader`).
    static func cacheKey(_ name: String) -> String {
        SigV4Signer.hex(Array(Insecure.SHA1.hash(data: Array(name.utf8))))
    }

    /// The provider, or `nil` when the profile has neither `sso_account_id` nor `sso_role_name`.
    static func provider(context: AWSCredentialContext, profile: String) throws(ModelError) -> AWSCredentialsProvider? {
        var settings = context.profiles[profile] ?? [:]
        guard settings["sso_account_id"] != nil || settings["sso_role_name"] != nil else { return nil }
        var required = ["sso_role_name", "sso_account_id", "sso_start_url", "sso_region"]
        let sessionName = settings["sso_session"]
        if let sessionName {
            guard let session = context.ssoSessions[sessionName] else {
                throw .authentication(message: "The specified sso-session does not exist: \"\(sessionName)\"")
            }
            for (key, value) in session {
                if let own = settings[key], own != value {
                    throw .authentication(message: "The value for \(key) is inconsistent between profile (\(own)) and sso-session (\(value)).")
                }
                settings[key] = value
            }
            required.append("sso_session")
        }
        let missing = required.filter { settings[$0] == nil }
        guard missing.isEmpty else {
            throw .authentication(message: "The profile \"\(profile)\" is configured to use SSO but is missing required configuration: \(missing.joined(separator: ", "))")
        }
        let startURL = settings["sso_start_url"] ?? "", region = settings["sso_region"] ?? ""
        let role = settings["sso_role_name"] ?? "", account = settings["sso_account_id"] ?? ""
        let cacheFile = context.resolver.expand("~/.aws/sso/cache/\(cacheKey(sessionName ?? startURL)).json")
        let endpoint = context.endpoint(service: "sso",
                                        default: "https://portal.sso.\(region).\(AWSCredentialContext.dnsSuffix(region))")
        let url = endpoint + "/federation/credentials?account_id=\(SigV4Encoding.encode(account))&role_name=\(SigV4Encoding.encode(role))"
        let http = AWSCredentialContext.engine(timeout: .seconds(60), attempts: 3, pause: .milliseconds(500))
        let now = context.now
        let expired = ModelError.authentication(
            message: "The SSO session associated with this profile (\(profile)) has expired or is otherwise invalid. To refresh this SSO session run aws sso login with the corresponding profile.")
        return AWSCredentialsProvider(method: "sso", now: now) { () throws(ModelError) in
            guard let data = FileManager.default.contents(atPath: cacheFile) else {
                throw .authentication(message: "The SSO token cache file \(cacheFile) for profile \(profile) cannot be read: run aws sso login")
            }
            let token = try AWSCredentialParsing.json(Array(data), origin: "The SSO token cache file \(cacheFile)")
            guard let access = token["accessToken"]?.stringValue, let until = token["expiresAt"]?.stringValue else {
                throw .authentication(message: "The SSO token cache file \(cacheFile) has no accessToken or expiresAt: run aws sso login")
            }
            guard let expiry = AWSCredentialParsing.date(until), expiry > now() else { throw expired }
            let secret = Secret(access)
            let response: HTTPEngine.Response
            do {
                response = try await http.send(
                    HTTPEngine.Request(method: "GET", url: url, headers: [("x-amz-sso_bearer_token", access)]), secrets: [secret])
            } catch {
                if case .http(let status, _, _, _) = error as? ModelError, status == 401 || status == 403 { throw expired }
                throw AWSCredentialParsing.failure(error, call: "SSO GetRoleCredentials for \(role) in account \(account) at \(endpoint)")
            }
            let origin = "SSO GetRoleCredentials at \(endpoint)"
            let body = try AWSCredentialParsing.json(response.body, origin: origin)
            guard let roleCredentials = body["roleCredentials"], roleCredentials.objectValue != nil else {
                throw .authentication(message: "\(origin) answered without roleCredentials")
            }
            var credentials = try AWSCredentialParsing.credentials(
                roleCredentials, origin: origin, keys: ("accessKeyId", "secretAccessKey", "sessionToken", "expiration"),
                expirationRequired: false)
            // The expiration is in milliseconds since 1970.
            guard let milliseconds = roleCredentials["expiration"]?.doubleValue else {
                throw .authentication(message: "\(origin) answered without expiration")
            }
            credentials.expiration = Date(timeIntervalSince1970: milliseconds / 1000)
            return credentials
        }
    }
}
