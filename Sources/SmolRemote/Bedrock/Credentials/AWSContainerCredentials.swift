import Foundation
import SmolCore

/// botocore's `ContainerProvider`: the credentials endpoint of ECS tasks and EKS Pod Identity.
///
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is a path on `http://169.254.170.2` (ECS); otherwise
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` is the whole URL, which must be HTTPS, a loopback address or one of
/// the container hosts (`169.254.170.2`, `169.254.170.23`, `fd00:ec2::23`, `localhost`), as botocore allows.
/// The `Authorization` header is the content of `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every
/// fetch: EKS rotates it) or else `AWS_CONTAINER_AUTHORIZATION_TOKEN`. Each call has 2 s and three tries.
enum AWSContainerCredentials {
    static let allowedHosts = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost"]

    /// The provider, or `nil` when neither variable is set.
    static func provider(context: AWSCredentialContext) throws(ModelError) -> AWSCredentialsProvider? {
        let environment = context.resolver.environment
        let url: String
        let variable: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] {
            url = context.containerHost + relative
            variable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
            url = full
            variable = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
            guard allowed(full) else {
                throw .authentication(message: "Unsupported host in AWS_CONTAINER_CREDENTIALS_FULL_URI '\(full)'. Can only retrieve metadata from a loopback address or one of these hosts: \(allowedHosts.joined(separator: ", "))")
            }
        } else {
            return nil
        }
        let http = AWSCredentialContext.engine(timeout: .seconds(2), attempts: 3, pause: .seconds(1))
        let origin = "The container credentials endpoint \(url) (\(variable))"
        return AWSCredentialsProvider(method: "container-role", now: context.now) { () throws(ModelError) in
            var headers = [("Accept", "application/json")]
            var secrets: [Secret] = []
            if let token = try authorization(environment) {
                headers.append(("Authorization", token.revealed))
                secrets.append(token)
            }
            let response: HTTPEngine.Response
            do {
                response = try await http.send(HTTPEngine.Request(method: "GET", url: url, headers: headers), secrets: secrets)
            } catch {
                throw AWSCredentialParsing.failure(error, call: origin)
            }
            return try AWSCredentialParsing.credentials(
                try AWSCredentialParsing.json(response.body, origin: origin), origin: origin,
                keys: ("AccessKeyId", "SecretAccessKey", "Token", "Expiration"))
        }
    }

    /// The `Authorization` value, or `nil` when no token is configured.
    static func authorization(_ environment: [String: String]) throws(ModelError) -> Secret? {
        var token: String?
        if let path = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .authentication(message: "The container authorization token file \(path) (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) cannot be read")
            }
            token = String(decoding: data, as: UTF8.self)
        } else {
            token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        }
        guard let token else { return nil }
        guard !token.contains("\r"), !token.contains("\n") else {
            throw .authentication(message: "The container authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN or _FILE) is not a legal header value: it holds a line break")
        }
        return Secret(token)
    }

    /// Whether botocore would fetch from `url`: HTTPS anywhere, plain HTTP only to loopback or the container hosts.
    static func allowed(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return false }
        if scheme == "https" { return true }
        guard var host = components.host else { return false }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if allowedHosts.contains(host) || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
