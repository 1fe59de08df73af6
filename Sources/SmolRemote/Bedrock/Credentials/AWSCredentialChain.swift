import Foundation
import SmolCore

/// botocore's default credential chain (`create_credential_resolver`), in its order:
///
/// 1. environment (`AWS_ACCESS_KEY_ID`, …; skipped when a profile is passed explicitly);
/// 2. assume-role: the profile has `role_arn` (and no `web_identity_token_file`), with `source_profile` or
///    `credential_source` (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`);
/// 3. web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, or the profile's
///    `web_identity_token_file` + `role_arn`);
/// 4. IAM Identity Center (SSO): the profile has `sso_account_id` / `sso_role_name`;
/// 5. the shared credentials file; 6. `credential_process`; 7. the config file;
/// 8. the container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `FULL_URI`);
/// 9. EC2 instance metadata (IMDSv2), unless `AWS_EC2_METADATA_DISABLED=true`.
///
/// The source is chosen here without network, from the environment and the files, as botocore chooses it:
/// only instance metadata can come up empty and fall through, to the final "no credentials" error. The
/// chosen provider fetches on first use. botocore's `login` provider and the legacy boto/EC2 config files
/// are not part of it.
struct AWSCredentialChain: Sendable {
    var context: AWSCredentialContext
    /// Whether the profile was named by the caller (botocore's `Session(profile=…)`): the environment's keys
    /// and web identity variables are then ignored.
    var explicitProfile: Bool

    /// The provider of the first source that applies.
    ///
    /// - Throws: ``/SmolCore/ModelError/authentication(message:)`` for partial or contradictory configuration,
    ///   and when no source applies and instance metadata is disabled.
    func provider() throws(ModelError) -> AWSCredentialsProvider {
        var searched: [String] = []
        if explicitProfile {
            searched.append("environment variables (skipped: a profile was passed explicitly)")
        } else if let provider = try environmentProvider() {
            return provider
        } else {
            searched.append("environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let profile = context.profile
        let settings = context.profiles[profile] ?? [:]
        if settings["role_arn"] != nil, settings["web_identity_token_file"] == nil {
            var visited = [profile]
            return try assumeRoleProvider(profile, visited: &visited)
        }
        if let provider = try profileChain(profile, environment: !explicitProfile, searched: &searched) {
            return provider
        }
        if let provider = try AWSContainerCredentials.provider(context: context) { return provider }
        searched.append("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set)")
        let imds = AWSInstanceMetadataCredentials(context: context)
        guard imds.disabled == false else {
            searched.append("EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)")
            throw notFound(searched)
        }
        let message = notFound(searched + [imds.searchedDescription])
        return AWSCredentialsProvider(method: "iam-role", now: context.now) { () throws(ModelError) in
            guard let credentials = try await imds.fetch() else { throw message }
            return credentials
        }
    }

    /// The providers botocore builds from a profile (`ProfileProviderBuilder`): web identity, SSO, the shared
    /// credentials file, `credential_process`, the config file; `nil` when none applies.
    func profileChain(_ profile: String, environment: Bool, searched: inout [String]) throws(ModelError)
        -> AWSCredentialsProvider?
    {
        if let provider = try AWSWebIdentityCredentials.provider(context: context, profile: profile, environment: environment) {
            return provider
        }
        searched.append("web identity (no AWS_WEB_IDENTITY_TOKEN_FILE, no web_identity_token_file)")
        if let provider = try AWSSSOCredentials.provider(context: context, profile: profile) { return provider }
        searched.append("IAM Identity Center (no sso_account_id or sso_role_name)")
        let resolver = context.resolver
        if let provider = try staticProvider(context.credentialsFileProfiles, profile: profile,
                                             label: "shared credentials file \(resolver.credentialsFilePath)",
                                             section: "[\(profile)]", method: "shared-credentials-file", searched: &searched) {
            return provider
        }
        if let provider = AWSProcessCredentials.provider(context: context, profile: profile) { return provider }
        searched.append("credential_process (not set)")
        let section = profile == "default" ? "[default]" : "[profile \(profile)]"
        return try staticProvider(context.configFileProfiles, profile: profile,
                                  label: "config file \(resolver.configFilePath)", section: section,
                                  method: "config-file", searched: &searched)
    }

    /// `AWS_ACCESS_KEY_ID` and the rest, refreshed from the environment when `AWS_CREDENTIAL_EXPIRATION` is set.
    func environmentProvider() throws(ModelError) -> AWSCredentialsProvider? {
        guard context.env("AWS_ACCESS_KEY_ID") != nil else { return nil }
        let context = self.context
        let read: @Sendable () throws(ModelError) -> AWSCredentials = { () throws(ModelError) in
            guard let key = context.env("AWS_ACCESS_KEY_ID"), let secret = context.env("AWS_SECRET_ACCESS_KEY") else {
                throw .authentication(message: "Partial credentials found in environment variables, missing: AWS_SECRET_ACCESS_KEY")
            }
            let token = context.env("AWS_SECURITY_TOKEN") ?? context.env("AWS_SESSION_TOKEN")
            var expiration: Date?
            if let text = context.env("AWS_CREDENTIAL_EXPIRATION") {
                guard let date = AWSCredentialParsing.date(text) else {
                    throw .authentication(message: "AWS_CREDENTIAL_EXPIRATION '\(text)' is not an ISO 8601 time")
                }
                guard date > context.now() else {
                    throw .authentication(message: "The credentials in the environment expired at \(text) (AWS_CREDENTIAL_EXPIRATION)")
                }
                expiration = date
            }
            return AWSCredentials(accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: token.map { Secret($0) },
                                  expiration: expiration)
        }
        let first = try read()
        return AWSCredentialsProvider(method: "env", initial: first, now: context.now) { () throws(ModelError) in try read() }
    }

    /// Keys written in a profile of one file: `nil` when the section has no `aws_access_key_id`.
    func staticProvider(_ profiles: [String: [String: String]], profile: String, label: String, section: String,
                        method: String, searched: inout [String]) throws(ModelError) -> AWSCredentialsProvider? {
        guard let settings = profiles[profile] else {
            searched.append("\(label) (no \(section) section)")
            return nil
        }
        guard let key = settings["aws_access_key_id"], !key.isEmpty else {
            searched.append("\(label) (section \(section) has no aws_access_key_id)")
            return nil
        }
        guard let secret = settings["aws_secret_access_key"], !secret.isEmpty else {
            throw .authentication(message: "Partial credentials found in \(label) section \(section), missing: aws_secret_access_key")
        }
        let token = (settings["aws_security_token"] ?? settings["aws_session_token"]).flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentialsProvider(
            credentials: AWSCredentials(accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: token.map { Secret($0) }),
            method: method)
    }

    // MARK: - Assume role

    /// botocore's `AssumeRoleProvider`: the source credentials are chosen now (and checked), STS is called on
    /// first use and again before the role's credentials expire.
    func assumeRoleProvider(_ profile: String, visited: inout [String]) throws(ModelError) -> AWSCredentialsProvider {
        let settings = context.profiles[profile] ?? [:]
        let sourceProfile = settings["source_profile"], credentialSource = settings["credential_source"]
        let source: AWSCredentialsProvider
        switch (sourceProfile, credentialSource) {
        case (_?, _?):
            throw .authentication(message: "The profile \"\(profile)\" contains both source_profile and credential_source.")
        case (nil, nil):
            throw .authentication(message: "Partial credentials found in assume-role profile \"\(profile)\", missing: source_profile or credential_source")
        case (nil, let name?):
            source = try namedSource(name, profile: profile)
        case (let name?, nil):
            source = try sourceProfileProvider(name, parent: profile, visited: &visited)
        }
        if settings["mfa_serial"] != nil {
            throw .unsupported(message: "The profile \"\(profile)\" sets mfa_serial: assuming a role with an MFA code prompt is not supported")
        }
        let request = AWSSecurityTokenService.RoleRequest(
            roleARN: settings["role_arn"] ?? "", sessionName: settings["role_session_name"],
            externalID: settings["external_id"], durationSeconds: settings["duration_seconds"].flatMap { Int($0) })
        let sts = AWSSecurityTokenService(context: context)
        return AWSCredentialsProvider(method: "assume-role", now: context.now) { () throws(ModelError) in
            try await sts.assumeRole(request, source: try await source.credentials())
        }
    }

    /// `credential_source`: one of the three providers botocore allows there.
    private func namedSource(_ name: String, profile: String) throws(ModelError) -> AWSCredentialsProvider {
        let missing = ModelError.authentication(
            message: "No credentials found in credential_source \(name) referenced in profile \(profile)")
        switch name.lowercased() {
        case "environment":
            guard let provider = try environmentProvider() else { throw missing }
            return provider
        case "ecscontainer":
            guard let provider = try AWSContainerCredentials.provider(context: context) else { throw missing }
            return provider
        case "ec2instancemetadata":
            let imds = AWSInstanceMetadataCredentials(context: context)
            return AWSCredentialsProvider(method: "iam-role", now: context.now) { () throws(ModelError) in
                guard let credentials = try await imds.fetch() else { throw missing }
                return credentials
            }
        default:
            throw .authentication(message: "The credential source \"\(name)\" referenced in profile \"\(profile)\" is not valid.")
        }
    }

    /// `source_profile`: its static keys or its own providers, or another role to assume first.
    private func sourceProfileProvider(_ name: String, parent: String, visited: inout [String]) throws(ModelError)
        -> AWSCredentialsProvider
    {
        guard let settings = context.profiles[name] else {
            throw .authentication(message: "The source_profile \"\(name)\" referenced in the profile \"\(parent)\" does not exist.")
        }
        let hasStatic = settings["aws_access_key_id"] != nil || settings["aws_secret_access_key"] != nil
        if visited.contains(name) && (name != parent || !hasStatic) {
            throw .authentication(message: "Infinite loop in credential configuration detected. Attempting to load from profile \(name) which has already been visited. Visited profiles: \(visited.joined(separator: ", "))")
        }
        visited.append(name)
        if hasStatic || settings["role_arn"] == nil {
            var ignored: [String] = []
            guard let provider = try profileChain(name, environment: false, searched: &ignored) else {
                throw .authentication(message: "The source profile \"\(name)\" must have credentials.")
            }
            return provider
        }
        return try assumeRoleProvider(name, visited: &visited)
    }

    /// The error when no source applies: every place searched, and no value.
    func notFound(_ searched: [String]) -> ModelError {
        let profile = context.profile
        var message = "Unable to locate AWS credentials for profile '\(profile)'."
        if context.profiles[profile] == nil && profile != "default" {
            message += " The profile '\(profile)' was not found in either file."
        }
        message += " Searched: " + searched.joined(separator: "; ") + ". Pass credentials explicitly, set "
            + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure the profile."
        return .authentication(message: message)
    }
}
