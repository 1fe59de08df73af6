import SmolCore

/// Why Google credentials could not be found, read or exchanged for a token.
///
/// Every case names the setting or file at fault and never holds a secret: no private key, refresh token,
/// signed assertion or access token, and no content of a credentials file (only its path). A model converts it
/// to ``/SmolCore/ModelError/authentication(message:)`` with the same text.
public enum GoogleCredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No credentials anywhere: `settings` lists where they were looked for, in order.
    case missing(settings: [String])
    /// A credentials file named by `setting` could not be read.
    case unreadable(path: String, setting: String, reason: String)
    /// A credentials document (a file or an inline value, named by `source`) is not usable.
    case invalid(source: String, reason: String)
    /// A credentials document of a type this library cannot use (`external_account`, `impersonated_service_account`, …).
    case unsupported(source: String, type: String)
    /// The token endpoint refused the exchange or answered something that is not a token.
    case tokenExchange(endpoint: String, status: Int?, reason: String)
    /// No project: neither the settings nor the credentials name one.
    case missingProject(settings: [String])

    /// A sentence naming what is wrong and where to fix it.
    public var description: String {
        switch self {
        case .missing(let settings):
            "No Google credentials for Vertex AI: pass \(settings.first ?? "credentials")"
                + (settings.count > 1 ? ", or set \(settings.dropFirst().joined(separator: " or "))" : "")
        case .unreadable(let path, let setting, let reason):
            "The Google credentials file \(path) (from \(setting)) cannot be used: \(reason)"
        case .invalid(let source, let reason):
            "The Google credentials in \(source) cannot be used: \(reason)"
        case .unsupported(let source, let type):
            "The Google credentials in \(source) are of type \"\(type)\"; only service_account and authorized_user "
                + "credentials are supported"
        case .tokenExchange(let endpoint, let status, let reason):
            "The Google token endpoint \(endpoint) did not give an access token"
                + (status.map { " (HTTP \($0))" } ?? "") + ": \(reason)"
        case .missingProject(let settings):
            "No Google Cloud project for Vertex AI: pass \(settings.first ?? "a project")"
                + (settings.count > 1 ? ", or set \(settings.dropFirst().joined(separator: " or "))" : "")
                + ", or use credentials that name one"
        }
    }

    /// The error as the `Model` layer reports it.
    var modelError: ModelError { .authentication(message: description) }
}
