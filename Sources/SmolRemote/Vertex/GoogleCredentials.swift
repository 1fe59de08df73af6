import Foundation
import SmolCore

/// Google credentials as the JSON files Google hands out describe them: a service account's key (`"type":
/// "service_account"`, from the Cloud console) or a user's refresh token (`"type": "authorized_user"`, from
/// `gcloud auth application-default login`).
///
/// The private key and the refresh token are ``/SmolCore/Secret``s: no description, error or log shows them.
public enum GoogleCredentials: Sendable, CustomStringConvertible {
    /// A service account: an RS256-signed JWT is exchanged for an access token at `tokenURI`.
    case serviceAccount(GoogleServiceAccount)
    /// A user's OAuth client and refresh token, exchanged for an access token at `tokenURI`.
    case authorizedUser(clientID: String, clientSecret: Secret, refreshToken: Secret, quotaProjectID: String?,
                        tokenURI: String)

    /// google-auth's token endpoint, used when the JSON names none.
    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// The project the credentials belong to (`project_id`, or a user's `quota_project_id`), if they name one.
    public var projectID: String? {
        switch self {
        case .serviceAccount(let account): account.projectID
        case .authorizedUser(_, _, _, let quota, _): quota
        }
    }

    /// What the credentials are, without any secret: `service account smol@p.iam.gserviceaccount.com`.
    public var description: String {
        switch self {
        case .serviceAccount(let account): "service account \(account.clientEmail)"
        case .authorizedUser(let clientID, _, _, _, _): "authorized user (OAuth client \(clientID))"
        }
    }

    /// Parses a credentials JSON document.
    ///
    /// - Parameters:
    ///   - json: The document's text.
    ///   - source: Where it came from, for errors (a path or a variable name; never the content).
    /// - Throws: ``GoogleCredentialsError/invalid(source:reason:)`` for text that is not such a document,
    ///   ``GoogleCredentialsError/unsupported(source:type:)`` for other credential types.
    public init(json: String, source: String) throws(GoogleCredentialsError) {
        let object: JSONObject
        do {
            guard let parsed = try JSONValue(parsing: json).objectValue else {
                throw GoogleCredentialsError.invalid(source: source, reason: "it is not a JSON object")
            }
            object = parsed
        } catch let error as GoogleCredentialsError {
            throw error
        } catch {
            // The parser's message may quote the text, which holds the key: only say where it failed.
            throw .invalid(source: source, reason: "it is not valid JSON")
        }
        func field(_ name: String) throws(GoogleCredentialsError) -> String {
            guard let value = object[name]?.stringValue, !value.isEmpty else {
                throw .invalid(source: source, reason: "the field \"\(name)\" is missing or empty")
            }
            return value
        }
        let tokenURI = object["token_uri"]?.stringValue ?? Self.defaultTokenURI
        switch object["type"]?.stringValue {
        case "service_account"?, nil:
            self = .serviceAccount(GoogleServiceAccount(
                clientEmail: try field("client_email"), privateKeyID: object["private_key_id"]?.stringValue,
                privateKey: Secret(try field("private_key")), tokenURI: tokenURI,
                projectID: object["project_id"]?.stringValue))
        case "authorized_user"?:
            self = .authorizedUser(
                clientID: try field("client_id"), clientSecret: Secret(try field("client_secret")),
                refreshToken: Secret(try field("refresh_token")), quotaProjectID: object["quota_project_id"]?.stringValue,
                tokenURI: tokenURI)
        case let other?:
            throw .unsupported(source: source, type: other)
        }
    }

    /// Credentials from LiteLLM's `vertex_credentials` value: a JSON document when it starts with `{`, else the
    /// path of a file holding one.
    ///
    /// - Parameters:
    ///   - value: The JSON text or the path.
    ///   - name: Where the value came from (`vertex_credentials`, `VERTEXAI_CREDENTIALS`, …), for errors.
    public static func load(_ value: String, from name: String) throws(GoogleCredentialsError) -> GoogleCredentials {
        // A byte-order mark is no content: without dropping it, inline JSON would be taken for a path.
        let trimmed = value.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}")))
        if trimmed.isEmpty { throw .invalid(source: name, reason: "it is empty") }
        if trimmed.hasPrefix("{") { return try GoogleCredentials(json: trimmed, source: "\(name) (inline JSON)") }
        do {
            return try file(trimmed, named: name)
        } catch .unreadable(_, _, let reason) {
            // The value may be credentials in a form not recognised (base64, quoted JSON): never echo it.
            throw .invalid(source: name, reason: "it is neither JSON credentials (starting with `{`) nor the path of a readable "
                           + "file (\(reason))")
        }
    }

    /// Credentials from the JSON file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - name: The setting that named the file (`GOOGLE_APPLICATION_CREDENTIALS`, …), for errors.
    public static func file(_ path: String, named name: String) throws(GoogleCredentialsError) -> GoogleCredentials {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "there is no such file"
            throw .unreadable(path: path, setting: name, reason: reason)
        }
        return try GoogleCredentials(json: String(decoding: data, as: UTF8.self), source: "\(path) (from \(name))")
    }
}

/// A Google Cloud service account's key, as in the JSON file the Cloud console downloads.
public struct GoogleServiceAccount: Sendable, CustomStringConvertible {
    /// `client_email`: the JWT's issuer.
    public var clientEmail: String
    /// `private_key_id`: the JWT header's `kid`.
    public var privateKeyID: String?
    /// `private_key`: the PEM RSA key that signs the JWT.
    public var privateKey: Secret
    /// `token_uri`: where the JWT is exchanged for an access token.
    public var tokenURI: String
    /// `project_id`.
    public var projectID: String?

    /// Creates a service account.
    ///
    /// - Parameters:
    ///   - clientEmail: The account's e-mail address.
    ///   - privateKeyID: The key's id.
    ///   - privateKey: The PEM private key (PKCS#8 or PKCS#1).
    ///   - tokenURI: The token endpoint.
    ///   - projectID: The account's project.
    public init(clientEmail: String, privateKeyID: String?, privateKey: Secret,
                tokenURI: String = GoogleCredentials.defaultTokenURI, projectID: String?) {
        self.clientEmail = clientEmail
        self.privateKeyID = privateKeyID
        self.privateKey = privateKey
        self.tokenURI = tokenURI
        self.projectID = projectID
    }

    /// The account's e-mail address (the key is never shown).
    public var description: String { "GoogleServiceAccount(\(clientEmail))" }
}
