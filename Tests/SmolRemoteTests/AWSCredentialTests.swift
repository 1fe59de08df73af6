import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// A throwaway home directory with optional `~/.aws/credentials` and `~/.aws/config`, removed afterwards.
private func withAWSHome<T>(
    credentials: String? = nil, config: String? = nil, _ body: (String) throws -> T
) throws -> T {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("aws-home-\(UUID().uuidString)")
    let aws = home.appendingPathComponent(".aws")
    try FileManager.default.createDirectory(at: aws, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: home) }
    if let credentials { try Data(credentials.utf8).write(to: aws.appendingPathComponent("credentials")) }
    if let config { try Data(config.utf8).write(to: aws.appendingPathComponent("config")) }
    return try body(home.path)
}

private func resolve(
    _ environment: [String: String], home: String, profile: String? = nil
) throws -> (credentials: AWSCredentials, source: AWSCredentialResolver.Source) {
    try AWSCredentialResolver(environment: environment, homeDirectory: home)
        .locate(accessKeyID: nil, secretAccessKey: nil, sessionToken: nil, profile: profile)
}

/// The message of the authentication error `body` throws, or `nil` (and a recorded issue) if it throws none.
private func authenticationMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        Issue.record("expected an authentication error")
    } catch let error as ModelError {
        if case .authentication(let message) = error { return message }
        Issue.record("expected an authentication error, got \(error)")
    } catch {
        Issue.record("unexpected \(error)")
    }
    return nil
}

private let sampleCredentials = """
    # the default profile
    [default]
    aws_access_key_id = AKIDDEFAULT
    aws_secret_access_key = secret-default
      ; an indented comment

    [dev]
    aws_access_key_id=AKIDDEV
    aws_secret_access_key=secret-dev
    aws_session_token = token-dev
    region = eu-west-3
    """

private let sampleConfig = """
    [default]
    region = us-west-2

    [profile dev]
    region = ap-south-1
    aws_access_key_id = AKIDCONFIGDEV
    aws_secret_access_key = secret-config-dev

    [profile only-config]
    AWS_ACCESS_KEY_ID : AKIDONLYCONFIG
    Aws_Secret_Access_Key: secret-only-config
    region = ca-central-1
    s3 =
        region = nested-not-a-region
        max_concurrent_requests = 20

    [sso-session corp]
    region = us-east-2
    """

@Suite("AWS credential and region resolution")
struct AWSCredentialTests {
    @Test("explicit credentials win over the environment and the files")
    func explicitWins() throws {
        try withAWSHome(credentials: sampleCredentials) { home throws in
            let resolver = AWSCredentialResolver(
                environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env"], homeDirectory: home)
            let found = try resolver.locate(accessKeyID: "AKIDX", secretAccessKey: "secret-x", sessionToken: "tok", profile: "dev")
            #expect(found.source == .explicit)
            #expect(found.credentials == AWSCredentials(accessKeyID: "AKIDX", secretAccessKey: "secret-x", sessionToken: "tok"))
        }
    }

    @Test("an explicit access key without its secret key is an error, not a fallback")
    func partialExplicit() throws {
        let message = authenticationMessage {
            _ = try AWSCredentialResolver(environment: [:], homeDirectory: "/nonexistent").credentials(accessKeyID: "AKIDX")
        }
        #expect(message?.contains("missing: secretAccessKey") == true)
    }

    @Test("environment keys win over the profile files, even with AWS_PROFILE set")
    func environmentWins() throws {
        try withAWSHome(credentials: sampleCredentials) { home throws in
            let found = try resolve(
                ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env", "AWS_SESSION_TOKEN": "token-env",
                 "AWS_PROFILE": "dev"], home: home)
            #expect(found.source == .environment)
            #expect(found.credentials == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: "secret-env", sessionToken: "token-env"))
        }
    }

    @Test("AWS_SECURITY_TOKEN is taken before AWS_SESSION_TOKEN, and empty values count as unset")
    func environmentTokens() throws {
        let env = ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env"]
        let both = try resolve(env.merging(["AWS_SECURITY_TOKEN": "legacy", "AWS_SESSION_TOKEN": "new"]) { $1 }, home: "/nonexistent")
        #expect(both.credentials.sessionToken == "legacy")
        let emptyLegacy = try resolve(env.merging(["AWS_SECURITY_TOKEN": "", "AWS_SESSION_TOKEN": "new"]) { $1 }, home: "/nonexistent")
        #expect(emptyLegacy.credentials.sessionToken == "new")
        let none = try resolve(env.merging(["AWS_SESSION_TOKEN": ""]) { $1 }, home: "/nonexistent")
        #expect(none.credentials.sessionToken == nil)
    }

    @Test("an access key in the environment without a secret key is an error that shows neither value")
    func partialEnvironment() throws {
        let message = authenticationMessage {
            _ = try resolve(["AWS_ACCESS_KEY_ID": "AKIDLONELY"], home: "/nonexistent")
        }
        #expect(message?.contains("AWS_SECRET_ACCESS_KEY") == true)
        #expect(message?.contains("AKIDLONELY") == false)
    }

    @Test("an explicitly named profile skips the environment, as botocore's Session(profile_name=) does")
    func explicitProfileSkipsEnvironment() throws {
        try withAWSHome(credentials: sampleCredentials) { home throws in
            let resolver = AWSCredentialResolver(
                environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env"], homeDirectory: home)
            let found = try resolver.locate(accessKeyID: nil, secretAccessKey: nil, sessionToken: nil, profile: "dev")
            #expect(found.source == .sharedCredentialsFile)
            #expect(found.credentials.accessKeyID == "AKIDDEV")
        }
    }

    @Test("the synchronous lookup names a profile that needs the full chain (assume-role, SSO) in its error")
    func unsupportedProviderIsExplained() throws {
        try withAWSHome(config: "[profile corp]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n") { home throws in
            // Closures stay out of #require: two closures in one test, one inside the macro, ran the same body.
            let found = authenticationMessage { _ = try resolve(["AWS_PROFILE": "corp"], home: home) }
            let message = try #require(found)
            #expect(message.contains("it uses role_arn, which only provider(profile:) resolves"), "\(message)")
            let explicit = authenticationMessage {
                _ = try AWSCredentialResolver(environment: [:], homeDirectory: home).credentials(profile: "corp")
            }
            #expect(explicit?.contains("skipped: a profile was passed explicitly") == true, "\(explicit ?? "")")
        }
    }

    @Test("the shared credentials file gives the default profile, or AWS_PROFILE's with its session token")
    func sharedCredentialsFile() throws {
        try withAWSHome(credentials: sampleCredentials, config: sampleConfig) { home throws in
            let plain = try resolve([:], home: home)
            #expect(plain.source == .sharedCredentialsFile)
            #expect(plain.credentials == AWSCredentials(accessKeyID: "AKIDDEFAULT", secretAccessKey: "secret-default"))
            // [dev] in the credentials file beats [profile dev] in the config file.
            let dev = try resolve(["AWS_PROFILE": "dev"], home: home)
            #expect(dev.source == .sharedCredentialsFile)
            #expect(dev.credentials == AWSCredentials(accessKeyID: "AKIDDEV", secretAccessKey: "secret-dev", sessionToken: "token-dev"))
        }
    }

    @Test("AWS_DEFAULT_PROFILE is read before AWS_PROFILE, as in botocore")
    func profileVariableOrder() throws {
        let resolver = AWSCredentialResolver(environment: ["AWS_DEFAULT_PROFILE": "a", "AWS_PROFILE": "b"], homeDirectory: "/h")
        #expect(resolver.profileName() == "a")
        #expect(resolver.profileName("c") == "c")
        #expect(AWSCredentialResolver(environment: ["AWS_PROFILE": "b"], homeDirectory: "/h").profileName() == "b")
        #expect(AWSCredentialResolver(environment: [:], homeDirectory: "/h").profileName() == "default")
    }

    @Test("the config file gives [profile NAME] sections, with case-insensitive keys and ':' separators")
    func configFileProfiles() throws {
        try withAWSHome(config: sampleConfig) { home throws in
            let found = try resolve(["AWS_PROFILE": "only-config"], home: home)
            #expect(found.source == .configFile)
            #expect(found.credentials == AWSCredentials(accessKeyID: "AKIDONLYCONFIG", secretAccessKey: "secret-only-config"))
            let dev = try resolve(["AWS_PROFILE": "dev"], home: home)
            #expect(dev.credentials.accessKeyID == "AKIDCONFIGDEV")
        }
    }

    @Test("a [NAME] section in the config file is not a profile, and [profile NAME] in the credentials file is literal")
    func sectionNamingPerFile() throws {
        let config = "[dev]\naws_access_key_id = A\naws_secret_access_key = B\n"
        let credentials = "[profile dev]\naws_access_key_id = C\naws_secret_access_key = D\n"
        try withAWSHome(credentials: credentials, config: config) { home throws in
            let message = authenticationMessage { _ = try resolve(["AWS_PROFILE": "dev"], home: home) }
            #expect(message?.contains("[profile dev]") == true)
            #expect(try resolve(["AWS_PROFILE": "profile dev"], home: home).credentials.accessKeyID == "C")
        }
    }

    @Test("AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the files, with ~ and $VAR expanded")
    func fileLocationOverrides() throws {
        try withAWSHome { home throws in
            try Data("[default]\naws_access_key_id = MOVED\naws_secret_access_key = s\n".utf8)
                .write(to: URL(fileURLWithPath: home + "/creds.ini"))
            try Data("[profile x]\nregion = sa-east-1\n".utf8).write(to: URL(fileURLWithPath: home + "/conf.ini"))
            let env = ["AWS_SHARED_CREDENTIALS_FILE": "~/creds.ini", "AWS_CONFIG_FILE": "${MYHOME}/conf.ini", "MYHOME": home]
            let resolver = AWSCredentialResolver(environment: env, homeDirectory: home)
            #expect(resolver.credentialsFilePath == home + "/creds.ini")
            #expect(resolver.configFilePath == home + "/conf.ini")
            #expect(try resolver.credentials().accessKeyID == "MOVED")
            #expect(try resolver.region(profile: "x") == "sa-east-1")
            let unset = AWSCredentialResolver(environment: ["AWS_CONFIG_FILE": "$NOPE/c"], homeDirectory: home)
            #expect(unset.configFilePath == "$NOPE/c")
        }
    }

    @Test("INI parsing: comments, blank lines, CRLF, nested blocks and duplicate sections as configparser reads them")
    func iniParsing() {
        let text = "; top comment\r\n[default]\r\n  # indented comment\r\nregion = us-east-1 # kept, as botocore keeps it\r\n"
            + "s3 =\r\n    region = nested\r\n\r\n    addressing_style = path\r\nmulti = one\r\n  two\r\n"
            + "[other]\nkey=value\n[default]\nextra : yes\nno separator here\n"
        let ini = AWSINIFile(parsing: text)
        #expect(ini.sections.map(\.name) == ["default", "other"])
        let defaults = ini.sections[0].settings
        #expect(defaults["region"] == "us-east-1 # kept, as botocore keeps it")
        #expect(defaults["s3"] == nil)
        #expect(defaults["addressing_style"] == nil)
        #expect(defaults["multi"] == "one\ntwo")
        #expect(defaults["extra"] == "yes")
        #expect(ini.sections[1].settings == ["key": "value"])
        #expect(AWSINIFile.shellWords("profile 'my dev'") == ["profile", "my dev"])
    }

    @Test("the region comes from the argument, AWS_REGION, AWS_DEFAULT_REGION, then the profile's files")
    func regionOrder() throws {
        try withAWSHome(credentials: sampleCredentials, config: sampleConfig) { home throws in
            func region(_ env: [String: String], _ explicit: String? = nil, profile: String? = nil) throws -> String? {
                try AWSCredentialResolver(environment: env, homeDirectory: home).region(explicit, profile: profile)
            }
            let both = ["AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "eu-south-1"]
            #expect(try region(both, "me-south-1") == "me-south-1")
            #expect(try region(both) == "eu-north-1")
            #expect(try region(["AWS_DEFAULT_REGION": "eu-south-1", "AWS_REGION": ""]) == "eu-south-1")
            #expect(try region([:]) == "us-west-2")  // [default] of the config file
            #expect(try region(["AWS_PROFILE": "only-config"]) == "ca-central-1")  // not the nested s3 region
            // botocore merges the credentials file over the config file: [dev]'s region there wins.
            #expect(try region([:], profile: "dev") == "eu-west-3")
        }
        #expect(try AWSCredentialResolver(environment: [:], homeDirectory: "/nonexistent").region() == nil)
    }

    @Test("a region that is not a host label is rejected")
    func invalidRegion() {
        #expect(throws: ModelError.self) {
            try AWSCredentialResolver(environment: [:], homeDirectory: "/nonexistent").region("us-east-1.evil.com/")
        }
        #expect(AWSCredentialResolver.isValidRegion("us-gov-west-1"))
        #expect(!AWSCredentialResolver.isValidRegion("-us"))
        #expect(!AWSCredentialResolver.isValidRegion(""))
    }

    @Test("missing credentials: the error names every place searched and no secret value")
    func missingCredentialsMessage() throws {
        let config = "[profile dev]\nregion = us-east-1\naws_secret_access_key = config-secret-value\n"
        try withAWSHome(config: config) { home throws in
            let env = ["AWS_PROFILE": "dev", "AWS_SECRET_ACCESS_KEY": "env-secret-value", "AWS_SESSION_TOKEN": "env-token-value"]
            let found = authenticationMessage { _ = try resolve(env, home: home) }
            let message = try #require(found)
            for expected in [
                "profile 'dev'", "explicit parameters", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "shared credentials file \(home)/.aws/credentials (not found)", "config file \(home)/.aws/config",
                "[profile dev] has no aws_access_key_id",
            ] {
                #expect(message.contains(expected), "\(expected) in \(message)")
            }
            for secret in ["config-secret-value", "env-secret-value", "env-token-value"] {
                #expect(!message.contains(secret))
            }
        }
    }

    @Test("a profile that exists in neither file is reported as not found")
    func unknownProfile() throws {
        try withAWSHome(credentials: sampleCredentials, config: sampleConfig) { home throws in
            let message = authenticationMessage { _ = try resolve(["AWS_PROFILE": "nope"], home: home) }
            #expect(message?.contains("The profile 'nope' was not found") == true)
            #expect(message?.contains("no [nope] section") == true)
            #expect(message?.contains("no [profile nope] section") == true)
        }
    }

    @Test("a file profile with an access key but no secret key is an error naming the file, not the key")
    func partialFileCredentials() throws {
        try withAWSHome(credentials: "[default]\naws_access_key_id = AKIDHALF\n", config: sampleConfig) { home throws in
            let message = authenticationMessage { _ = try resolve([:], home: home) }
            #expect(message?.contains("\(home)/.aws/credentials") == true)
            #expect(message?.contains("missing: aws_secret_access_key") == true)
            #expect(message?.contains("AKIDHALF") == false)
        }
    }
}
