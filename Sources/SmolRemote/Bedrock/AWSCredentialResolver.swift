import Foundation
import SmolCore

/// Finds AWS credentials and the region the way botocore (boto3) does.
///
/// ``provider(accessKeyID:secretAccessKey:sessionToken:profile:region:)`` is botocore's whole default chain
/// (environment, assume-role, web identity, IAM Identity Center, the shared files, `credential_process`,
/// the container endpoint, EC2 instance metadata) behind one ``AWSCredentialsProvider`` that refreshes
/// temporary credentials before they expire; ``AmazonBedrockServerModel`` uses it.
///
/// ``credentials(accessKeyID:secretAccessKey:sessionToken:profile:)`` is the part that needs no network and
/// no process, answered at once:
/// 1. explicit `accessKeyID` + `secretAccessKey` (+ `sessionToken`);
/// 2. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, with `AWS_SECURITY_TOKEN` or `AWS_SESSION_TOKEN` as the
///    token (skipped when a profile is passed explicitly, as botocore skips it for `Session(profile_name=)`);
/// 3. the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), section
///    `[profile-name]`: `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token` / `aws_security_token`;
/// 4. the config file (`AWS_CONFIG_FILE`, default `~/.aws/config`), section `[profile name]` (`[default]` for
///    the default profile), same keys.
///
/// The profile is the explicit one, else `AWS_DEFAULT_PROFILE`, else `AWS_PROFILE` (botocore's order), else
/// `default`. A source that has an access key but no secret key is an error, as in botocore (it does not fall
/// through to the next source).
///
/// The INI files are read as Python's `configparser` (which botocore uses) reads them: `#` and `;` start
/// comment lines (not inline comments), keys are case-insensitive, `=` or `:` separates key and value, and
/// indented blocks under a key (`s3 =` followed by indented settings) are nested settings and are ignored here.
/// Unlike `configparser`, duplicate sections or keys are merged (the last value wins) and stray lines are
/// skipped rather than failing the whole file.
public struct AWSCredentialResolver: Sendable {
    /// The environment variables consulted (the process environment by default).
    public var environment: [String: String]
    /// The directory `~` stands for in file paths.
    public var homeDirectory: String
    /// Where `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is resolved: ECS's fixed `http://169.254.170.2`, which
    /// tests point at a loopback emulator.
    var containerHost = "http://169.254.170.2"

    /// Creates a resolver.
    ///
    /// - Parameters:
    ///   - environment: The environment to read `AWS_*` variables from.
    ///   - homeDirectory: What `~` expands to; by default `HOME` from `environment`, else the user's home.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, homeDirectory: String? = nil
    ) {
        self.environment = environment
        self.homeDirectory =
            homeDirectory ?? environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.path
    }

    /// Where credentials were found.
    enum Source: String, Sendable, Equatable {
        case explicit, environment, sharedCredentialsFile, configFile
    }

    /// The profile in use: `explicit`, else `AWS_DEFAULT_PROFILE`, else `AWS_PROFILE`, else `default`.
    public func profileName(_ explicit: String? = nil) -> String {
        nonEmpty(explicit) ?? value("AWS_DEFAULT_PROFILE") ?? value("AWS_PROFILE") ?? "default"
    }

    /// The path of the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`).
    public var credentialsFilePath: String { expand(value("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials") }

    /// The path of the config file (`AWS_CONFIG_FILE` or `~/.aws/config`).
    public var configFilePath: String { expand(value("AWS_CONFIG_FILE") ?? "~/.aws/config") }

    /// botocore's default credential chain, as one provider that every request can share.
    ///
    /// The source is chosen now, from the environment and the files, in botocore's order (see
    /// ``AWSCredentialResolver``); temporary credentials are fetched on first use and refreshed before they
    /// expire. Explicit keys win over everything.
    ///
    /// - Parameters:
    ///   - accessKeyID: An explicit access key ID (with `secretAccessKey`).
    ///   - secretAccessKey: The explicit secret key.
    ///   - sessionToken: The explicit session token.
    ///   - profile: A profile named explicitly: the environment's keys and web identity variables are then
    ///     ignored, as botocore ignores them for `Session(profile=…)`.
    ///   - region: The region STS is called in when neither `AWS_DEFAULT_REGION` nor the profile sets one.
    /// - Throws: ``/SmolCore/ModelError/authentication(message:)`` for partial or contradictory configuration,
    ///   and when nothing is configured and EC2 instance metadata is disabled (`AWS_EC2_METADATA_DISABLED`).
    ///   When instance metadata is enabled, "no credentials" comes from the provider's first
    ///   ``AWSCredentialsProvider/credentials()`` call, after about a second off EC2.
    public func provider(
        accessKeyID: String? = nil, secretAccessKey: Secret? = nil, sessionToken: Secret? = nil,
        profile: String? = nil, region: String? = nil
    ) throws(ModelError) -> AWSCredentialsProvider {
        try provider(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
                     profile: profile, region: region, now: { Date() })
    }

    /// ``provider(accessKeyID:secretAccessKey:sessionToken:profile:region:)`` on the clock `now` (tests move it).
    func provider(
        accessKeyID: String? = nil, secretAccessKey: Secret? = nil, sessionToken: Secret? = nil,
        profile: String? = nil, region: String? = nil, now: @escaping @Sendable () -> Date
    ) throws(ModelError) -> AWSCredentialsProvider {
        if nonEmpty(accessKeyID) != nil || secretAccessKey?.isEmpty == false {
            let explicit = try locate(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey,
                                      sessionToken: sessionToken, profile: profile)
            return AWSCredentialsProvider(credentials: explicit.credentials, method: "explicit")
        }
        let context = AWSCredentialContext(resolver: self, profile: profileName(profile), fallbackRegion: region, now: now)
        return try AWSCredentialChain(context: context, explicitProfile: nonEmpty(profile) != nil).provider()
    }

    /// The credentials found without network: explicit values, the environment, then the two files (see
    /// the type's documentation). Profiles that need STS, SSO, a process, the container endpoint or instance
    /// metadata are only served by ``provider(accessKeyID:secretAccessKey:sessionToken:profile:region:)``.
    ///
    /// - Throws: ``/SmolCore/ModelError/authentication(message:)`` when no source has credentials (the message lists
    ///   every place searched, never a value), or when a source has an access key without a secret key.
    public func credentials(
        accessKeyID: String? = nil, secretAccessKey: Secret? = nil, sessionToken: Secret? = nil,
        profile: String? = nil
    ) throws(ModelError) -> AWSCredentials {
        try locate(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
                   profile: profile).credentials
    }

    /// The region: `explicit`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`
    /// (from the config file, overridden by the credentials file as in botocore); `nil` when none is set.
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` when the region is not a valid host label.
    public func region(_ explicit: String? = nil, profile: String? = nil) throws(ModelError) -> String? {
        let name = profileName(profile)
        let fromFiles = {
            nonEmpty(Self.credentialsProfiles(parse(credentialsFilePath))[name]?["region"])
                ?? nonEmpty(Self.configProfiles(parse(configFilePath))[name]?["region"])
        }
        guard let region = nonEmpty(explicit) ?? value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? fromFiles()
        else { return nil }
        guard Self.isValidRegion(region) else {
            throw .invalidInput(message: "Provided region_name '\(region)' doesn't match a supported format.")
        }
        return region
    }

    /// Whether `region` is a valid region name (botocore's check: a DNS label of letters, digits and `-`).
    static func isValidRegion(_ region: String) -> Bool {
        let bytes = Array(region.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "-")
        }
    }

    /// The credentials and where they were found.
    func locate(
        accessKeyID: String?, secretAccessKey: Secret?, sessionToken: Secret?, profile: String?
    ) throws(ModelError) -> (credentials: AWSCredentials, source: Source) {
        // 1. Explicit values.
        switch (nonEmpty(accessKeyID), secretAccessKey.flatMap { $0.isEmpty ? nil : $0 }) {
        case (let key?, let secret?):
            return (AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token(sessionToken)), .explicit)
        case (nil, nil):
            break
        case (nil, _?):
            throw .authentication(message: "Partial credentials found in explicit parameters, missing: accessKeyID")
        case (_?, nil):
            throw .authentication(message: "Partial credentials found in explicit parameters, missing: secretAccessKey")
        }
        let name = profileName(profile)
        var searched = ["explicit parameters (accessKeyID, secretAccessKey)"]

        // 2. Environment (not when the caller named a profile).
        if nonEmpty(profile) == nil {
            if let key = value("AWS_ACCESS_KEY_ID") {
                guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
                    throw .authentication(
                        message: "Partial credentials found in environment variables, missing: AWS_SECRET_ACCESS_KEY")
                }
                let token = value("AWS_SECURITY_TOKEN") ?? value("AWS_SESSION_TOKEN")
                return (AWSCredentials(accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: token.map { Secret($0) }),
                        .environment)
            }
            searched.append("environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        } else {
            searched.append("environment variables (skipped: a profile was passed explicitly)")
        }

        // 3. and 4. The shared credentials file, then the config file.
        let files: [(path: String, profiles: (AWSINIFile?) -> [String: [String: String]], source: Source, section: String)] = [
            (credentialsFilePath, Self.credentialsProfiles, .sharedCredentialsFile, "[\(name)]"),
            (configFilePath, Self.configProfiles, .configFile, name == "default" ? "[default]" : "[profile \(name)]"),
        ]
        var profileExists = false
        for file in files {
            let ini = parse(file.path)
            let label = file.source == .configFile ? "config file" : "shared credentials file"
            guard ini != nil else {
                searched.append("\(label) \(file.path) (not found)")
                continue
            }
            guard let settings = file.profiles(ini)[name] else {
                searched.append("\(label) \(file.path) (no \(file.section) section)")
                continue
            }
            profileExists = true
            if let key = settings["aws_access_key_id"], !key.isEmpty {
                guard let secret = settings["aws_secret_access_key"], !secret.isEmpty else {
                    throw .authentication(
                        message: "Partial credentials found in \(label) \(file.path) section \(file.section), missing: aws_secret_access_key")
                }
                let token = nonEmpty(settings["aws_security_token"]) ?? nonEmpty(settings["aws_session_token"])
                return (AWSCredentials(accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: token.map { Secret($0) }),
                        file.source)
            }
            let unsupported = ["role_arn", "sso_session", "sso_start_url", "credential_process", "web_identity_token_file"]
                .filter { settings[$0] != nil }
            let note = unsupported.isEmpty ? "" : "; it uses \(unsupported.joined(separator: ", ")), which only provider(profile:) resolves"
            searched.append("\(label) \(file.path) (section \(file.section) has no aws_access_key_id\(note))")
        }
        var message = "Unable to locate AWS credentials for profile '\(name)'."
        if !profileExists && name != "default" { message += " The profile '\(name)' was not found in either file." }
        message += " Searched: " + searched.joined(separator: "; ") + ". Pass credentials explicitly, set "
            + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add the keys to the profile."
        throw .authentication(message: message)
    }

    // MARK: - Files

    /// The credentials file's profiles: every section, under its own name.
    static func credentialsProfiles(_ ini: AWSINIFile?) -> [String: [String: String]] {
        var profiles: [String: [String: String]] = [:]
        for (section, settings) in ini?.sections ?? [] { profiles[section, default: [:]].merge(settings) { $1 } }
        return profiles
    }

    /// The config file's profiles: `[default]`, and `[profile NAME]` under `NAME` (botocore's `build_profile_map`).
    static func configProfiles(_ ini: AWSINIFile?) -> [String: [String: String]] {
        var profiles: [String: [String: String]] = [:]
        for (section, settings) in ini?.sections ?? [] {
            if section.hasPrefix("profile") {
                let words = AWSINIFile.shellWords(section)
                if words.count == 2 { profiles[words[1]] = settings }
            } else if section == "default" {
                profiles["default"] = settings
            }
        }
        return profiles
    }

    /// The parsed file at `path`, or `nil` when it cannot be read.
    func parse(_ path: String) -> AWSINIFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return AWSINIFile(parsing: String(decoding: data, as: UTF8.self))
    }

    /// `path` with a leading `~` replaced by the home directory and `$VAR` / `${VAR}` by their values.
    func expand(_ path: String) -> String {
        var result = ""
        var rest = Substring(path)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            var name: Substring = ""
            var end = after.startIndex
            if after.hasPrefix("{"), let close = after.firstIndex(of: "}") {
                name = after[after.index(after: after.startIndex)..<close]
                end = after.index(after: close)
            } else if !after.hasPrefix("{") {
                name = after.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                end = name.endIndex
            }
            if !name.isEmpty, let value = environment[String(name)] {
                result += value
            } else {
                result += rest[dollar..<end]
            }
            rest = after[end...]
        }
        result += rest
        if result == "~" { return homeDirectory }
        if result.hasPrefix("~/") { return homeDirectory + result.dropFirst() }
        return result
    }

    private func value(_ name: String) -> String? { nonEmpty(environment[name]) }
    private func token(_ secret: Secret?) -> Secret? { secret.flatMap { $0.isEmpty ? nil : $0 } }
}

private func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    return text
}

/// An INI file read as Python's `configparser.RawConfigParser` reads it (see ``AWSCredentialResolver``).
struct AWSINIFile: Sendable {
    /// The sections in file order, each with its flat `key = value` settings (keys lowercased). Nested
    /// settings (an empty value followed by indented lines) are left out.
    var sections: [(name: String, settings: [String: String])] = []

    init(parsing text: String) {
        var current: Int?
        var key: String?
        var keyIndent = Int.max
        var nested: Set<String> = []
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            let indent = rawLine.prefix { $0 == " " || $0 == "\t" }.count
            if let section = current, let name = key, indent > keyIndent {
                // A continuation line: part of a nested block, or more lines of a value.
                if !nested.contains(name), let value = sections[section].settings[name] {
                    if value.isEmpty { nested.insert(name); sections[section].settings[name] = nil }
                    else { sections[section].settings[name] = value + "\n" + line }
                }
                continue
            }
            keyIndent = indent
            key = nil
            if line.hasPrefix("["), let close = line.lastIndex(of: "]"), close > line.index(after: line.startIndex) {
                let name = String(line[line.index(after: line.startIndex)..<close])
                if let existing = sections.firstIndex(where: { $0.name == name }) {
                    current = existing
                } else {
                    sections.append((name, [:]))
                    current = sections.count - 1
                }
                nested = []
                continue
            }
            guard let section = current, let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                continue
            }
            let name = line[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
            guard !name.isEmpty else { continue }
            sections[section].settings[name] = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            nested.remove(name)
            key = name
        }
    }

    /// `text` split into words as Python's `shlex.split` splits simple input: whitespace separates words,
    /// and single or double quotes group.
    static func shellWords(_ text: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
