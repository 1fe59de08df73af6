import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// One configuration of files and environment, resolved by botocore and by us against the emulator.
/// `$HOME` and `$EMU` in files and values stand for the scenario's home and the emulator's URL.
struct AWSChainScenario: CustomTestStringConvertible, Sendable {
    var name: String
    var files: [String: String] = [:]
    var environment: [String: String] = [:]
    /// A profile named explicitly (`Session(profile=…)` / `AmazonBedrockServerModel(profile:)`).
    var profile: String?
    /// botocore's `method` for the source that should win.
    var method: String
    /// Whether ECS's fixed container host (169.254.170.2, for `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`) is
    /// pointed at the emulator: botocore's `ContainerMetadataFetcher.IP_ADDRESS` by the oracle script, our
    /// resolver's `containerHost` here.
    var patchesContainerHost = false

    var testDescription: String { name }

    static let staticKey = "AKIDSTATICBASE"
    static let staticSecret = AWSEmulator.secret(staticKey)
    static let baseProfile = "[base]\naws_access_key_id = \(staticKey)\naws_secret_access_key = \(staticSecret)\n"
    static let region = "AWS_DEFAULT_REGION"
    static let ssoToken = #"{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "sso-token-111122223333", "expiresAt": "2099-01-01T00:00:00Z"}"#

    static let all: [AWSChainScenario] = [
        AWSChainScenario(
            name: "environment keys with a session token", environment: [
                "AWS_ACCESS_KEY_ID": "ASIAENVKEY", "AWS_SECRET_ACCESS_KEY": AWSEmulator.secret("ASIAENVKEY"),
                "AWS_SESSION_TOKEN": AWSEmulator.token("ASIAENVKEY"), "AWS_CREDENTIAL_EXPIRATION": "2099-01-01T00:00:00Z"],
            method: "env"),
        AWSChainScenario(
            name: "environment keys win over an assume-role AWS_PROFILE",
            files: [".aws/config": "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/env-beaten\nsource_profile = base\n",
                    ".aws/credentials": baseProfile],
            environment: ["AWS_ACCESS_KEY_ID": "AKIDENVWINS", "AWS_SECRET_ACCESS_KEY": AWSEmulator.secret("AKIDENVWINS"),
                          "AWS_PROFILE": "role", "AWS_ENDPOINT_URL_STS": "$EMU"],
            method: "env"),
        AWSChainScenario(
            name: "assume-role with a source_profile in the credentials file (AWS_ENDPOINT_URL_STS)",
            files: [".aws/config": "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\nregion = eu-west-1\n",
                    ".aws/credentials": baseProfile],
            environment: ["AWS_PROFILE": "role", "AWS_ENDPOINT_URL_STS": "$EMU"], method: "assume-role"),
        AWSChainScenario(
            name: "assume-role chained through another role, external id and session name (AWS_ENDPOINT_URL)",
            files: [".aws/config": """
                [profile outer]
                role_arn = arn:aws:iam::123456789012:role/outer
                source_profile = inner
                external_id = ext-1
                role_session_name = chained
                [profile inner]
                role_arn = arn:aws:iam::123456789012:role/inner
                source_profile = base
                """, ".aws/credentials": baseProfile],
            environment: ["AWS_DEFAULT_PROFILE": "outer", "AWS_PROFILE": "ignored", "AWS_ENDPOINT_URL": "$EMU", region: "us-west-2"],
            method: "assume-role"),
        AWSChainScenario(
            name: "assume-role configured in the credentials file, endpoint_url in the profile",
            files: [".aws/credentials": baseProfile + "[role]\nrole_arn = arn:aws:iam::123456789012:role/in-credentials\nsource_profile = base\nregion = us-east-2\nendpoint_url = $EMU\n"],
            environment: ["AWS_PROFILE": "role"], method: "assume-role"),
        AWSChainScenario(
            name: "assume-role from credential_source Environment with an explicit profile",
            files: [".aws/config": "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/from-env\ncredential_source = Environment\n"],
            environment: ["AWS_ACCESS_KEY_ID": "AKIDSOURCEENV", "AWS_SECRET_ACCESS_KEY": AWSEmulator.secret("AKIDSOURCEENV"),
                          "AWS_ENDPOINT_URL_STS": "$EMU", region: "us-east-1"],
            profile: "role", method: "assume-role"),
        AWSChainScenario(
            name: "assume-role from credential_source EcsContainer",
            files: [".aws/config": "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/from-ecs\ncredential_source = EcsContainer\n"],
            environment: ["AWS_PROFILE": "role", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "$EMU/container/task-role",
                          "AWS_ENDPOINT_URL_STS": "$EMU", region: "us-east-1"],
            method: "assume-role"),
        AWSChainScenario(
            name: "assume-role from credential_source Ec2InstanceMetadata",
            files: [".aws/config": "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/from-imds\ncredential_source = Ec2InstanceMetadata\n"],
            environment: ["AWS_PROFILE": "role", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "$EMU/",
                          "AWS_ENDPOINT_URL_STS": "$EMU", region: "us-east-1"],
            method: "assume-role"),
        AWSChainScenario(
            name: "web identity from AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN",
            files: ["token": "web-identity-token-irsa"],
            environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa",
                          "AWS_ROLE_SESSION_NAME": "pod", "AWS_ENDPOINT_URL_STS": "$EMU", region: "eu-central-1"],
            method: "assume-role-with-web-identity"),
        AWSChainScenario(
            name: "web identity from the profile's web_identity_token_file",
            files: ["token": "web-identity-token-profile-web",
                    ".aws/config": "[default]\nweb_identity_token_file = $HOME/token\nrole_arn = arn:aws:iam::123456789012:role/profile-web\nregion = us-east-1\n"],
            environment: ["AWS_ENDPOINT_URL_STS": "$EMU"], method: "assume-role-with-web-identity"),
        AWSChainScenario(
            name: "IAM Identity Center with the legacy sso_start_url profile",
            files: [".aws/config": "[profile sso]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n",
                    ".aws/sso/cache/\(sha1("https://corp.awsapps.com/start")).json": ssoToken],
            environment: ["AWS_PROFILE": "sso", "AWS_ENDPOINT_URL_SSO": "$EMU"], method: "sso"),
        AWSChainScenario(
            name: "IAM Identity Center with an sso-session section",
            files: [".aws/config": "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
                    ".aws/sso/cache/\(sha1("corp")).json": ssoToken],
            environment: ["AWS_PROFILE": "sso", "AWS_ENDPOINT_URL_SSO": "$EMU"], method: "sso"),
        AWSChainScenario(
            name: "the shared credentials file's profile, with a session token",
            files: [".aws/credentials": "[dev]\naws_access_key_id = ASIAFILEDEV\naws_secret_access_key = \(AWSEmulator.secret("ASIAFILEDEV"))\naws_session_token = \(AWSEmulator.token("ASIAFILEDEV"))\n",
                    ".aws/config": "[profile dev]\naws_access_key_id = AKIDCONFIGLOSES\naws_secret_access_key = x\n"],
            environment: ["AWS_PROFILE": "dev"], method: "shared-credentials-file"),
        AWSChainScenario(
            name: "credential_process with an expiration, before the config file's keys",
            files: ["creds.sh": "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESS\", \"SecretAccessKey\": \"\(AWSEmulator.secret("ASIAPROCESS"))\", \"SessionToken\": \"\(AWSEmulator.token("ASIAPROCESS"))\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
                    ".aws/config": "[default]\ncredential_process = \"$HOME/creds.sh\" --profile x\naws_access_key_id = AKIDCONFIGLOSES\naws_secret_access_key = x\n"],
            method: "custom-process"),
        AWSChainScenario(
            name: "the config file's keys (AWS_CONFIG_FILE)",
            files: ["elsewhere/config": "[profile cfg]\naws_access_key_id = AKIDCONFIGFILE\naws_secret_access_key = \(AWSEmulator.secret("AKIDCONFIGFILE"))\n"],
            environment: ["AWS_CONFIG_FILE": "$HOME/elsewhere/config", "AWS_SHARED_CREDENTIALS_FILE": "$HOME/none", "AWS_PROFILE": "cfg"],
            method: "config-file"),
        AWSChainScenario(
            name: "the container endpoint with AWS_CONTAINER_AUTHORIZATION_TOKEN (ECS)",
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "$EMU/container/auth-ecs",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-auth-auth-ecs"],
            method: "container-role"),
        AWSChainScenario(
            name: "the container endpoint with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (EKS Pod Identity)",
            files: ["eks-token": "container-auth-auth-eks"],
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "$EMU/container/auth-eks",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "$HOME/eks-token",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-the-file-is-set"],
            method: "container-role"),
        AWSChainScenario(
            name: "the container endpoint at AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (ECS), before FULL_URI",
            environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/container/ecs-relative",
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI": "$EMU/container/not-this-one"],
            method: "container-role", patchesContainerHost: true),
        AWSChainScenario(
            name: "assume-role whose source profile gets its keys from credential_process",
            files: ["creds.sh": "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDFROMPROCESS\", \"SecretAccessKey\": \"\(AWSEmulator.secret("AKIDFROMPROCESS"))\"}'\n",
                    ".aws/config": "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/via-process\nsource_profile = tool\nregion = us-east-1\n[profile tool]\ncredential_process = $HOME/creds.sh\n"],
            environment: ["AWS_PROFILE": "role", "AWS_ENDPOINT_URL_STS": "$EMU"], method: "assume-role"),
        AWSChainScenario(
            name: "IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT)",
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "$EMU"], method: "iam-role"),
    ]

    static func sha1(_ text: String) -> String { AWSSSOCredentials.cacheKey(text) }

    /// The files and environment with `$HOME` and `$EMU` filled in.
    func materialized(emulator: String) throws -> (home: AWSScenarioHome, environment: [String: String]) {
        let home = try AWSScenarioHome(files: [:])
        func fill(_ text: String) -> String {
            text.replacingOccurrences(of: "$HOME", with: home.path).replacingOccurrences(of: "$EMU", with: emulator)
        }
        let filled = try AWSScenarioHome(path: home.path, files: files.mapValues(fill))
        var environment = environment.mapValues(fill)
        environment["HOME"] = filled.path
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (filled, environment)
    }
}

@Suite("AWS credential chain against botocore", .serialized)
struct AWSCredentialChainTests {
    @Test("each scenario chooses the same source and the same credentials as botocore, and botocore verifies a Bedrock request signed with them",
          arguments: AWSChainScenario.all)
    func matchesBotocore(_ scenario: AWSChainScenario) async throws {
        let emulator = try await AWSEmulator.shared.value
        let (home, environment) = try scenario.materialized(emulator: emulator.base)
        defer { home.remove() }
        var oracleEnvironment = environment
        var resolver = AWSCredentialResolver(environment: environment, homeDirectory: home.path)
        if scenario.patchesContainerHost {
            oracleEnvironment["ORACLE_CONTAINER_HOST"] = String(emulator.base.dropFirst("http://".count))
            resolver.containerHost = emulator.base
        }
        let expected = try await BotocoreCredentials.resolve(oracleEnvironment, profile: scenario.profile)
        #expect(expected.error == nil, "botocore failed: \(expected)")
        #expect(expected.method == scenario.method, "botocore chose \(expected)")

        let provider = try resolver.provider(profile: scenario.profile)
        let credentials = try await provider.credentials()
        #expect(BotocoreCredentials.ours(credentials, method: provider.method) == expected)

        // The Bedrock stand-in checks the signature with botocore, using the secret and token it issued. With a
        // patched container host the model is handed the provider (shared, as an app would share it).
        let model = try AmazonBedrockServerModel(
            modelID: "anthropic.claude-3-haiku-20240307-v1:0", region: "us-east-1",
            credentialsProvider: scenario.patchesContainerHost ? provider : nil, profile: scenario.profile,
            endpointURL: emulator.base, retry: .none, environment: environment, homeDirectory: home.path)
        let answer = try await model.generate([ChatMessage(role: .user, text: "hi")], options: GenerateOptions())
        #expect(answer.text == "verified \(credentials.accessKeyID)")
        if credentials.accessKeyID.hasPrefix("ASIA") { #expect(credentials.sessionToken != nil) }
    }

    @Test("with nothing configured and instance metadata silent, botocore and we both find no credentials")
    func nothingFound() async throws {
        let scenario = AWSChainScenario(name: "nothing", environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"],
                                        method: "")
        let (home, environment) = try scenario.materialized(emulator: "")
        defer { home.remove() }
        let expected = try await BotocoreCredentials.resolve(environment)
        #expect(expected.error == "NoCredentialsError")
        let provider = try AWSCredentialResolver(environment: environment, homeDirectory: home.path).provider()
        var message = ""
        do {
            _ = try await provider.credentials()
            Issue.record("expected no credentials")
        } catch {
            guard case .authentication(let text) = error else { Issue.record("got \(error)"); return }
            message = text
        }
        for place in ["AWS_ACCESS_KEY_ID", "\(home.path)/.aws/credentials", "\(home.path)/.aws/config", "credential_process",
                      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "EC2 instance metadata at http://127.0.0.1:9"] {
            #expect(message.contains(place), "\(message) does not mention \(place)")
        }
    }
}

