import Foundation
import SmolCore

/// The project, location and credentials of a `vertex_ai/` model, found where LiteLLM finds them.
///
/// LiteLLM takes them as `litellm.completion` keyword arguments, so ``LiteLLMModel`` takes them as model
/// parameters (they are never sent in a body):
/// - project: `vertex_project` (or `vertex_ai_project`), then `VERTEXAI_PROJECT`, then the credentials'
///   `project_id` (a user's `quota_project_id`);
/// - location: `vertex_location` (or `vertex_ai_location`), then `VERTEXAI_LOCATION`, then `us-central1`;
/// - credentials: `vertex_credentials` (or `vertex_ai_credentials`: a path or the JSON itself), then
///   `VERTEXAI_CREDENTIALS`, then Application Default Credentials as google-auth looks for them: the file named
///   by `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's `$CLOUDSDK_CONFIG/application_default_credentials.json`
///   (default `~/.config/gcloud`). The metadata server of Google's own machines is not asked.
struct VertexSettings: Sendable {
    var endpoint: VertexEndpoint
    var credentials: GoogleCredentials

    /// Parameter names that configure Vertex and must not reach the request body.
    static let parameterNames: Set<String> = [
        "vertex_project", "vertex_ai_project", "vertex_location", "vertex_ai_location", "vertex_credentials",
        "vertex_ai_credentials",
    ]

    /// `parameters` without the Vertex keywords.
    static func withoutVertexKeywords(_ parameters: ModelParameters) -> ModelParameters {
        var kept = parameters
        for name in parameterNames { kept[name] = nil }
        return kept
    }

    /// Where credentials are looked for, in order, for messages.
    static let credentialSettings = [
        "vertex_credentials", "VERTEXAI_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS",
        "gcloud's application_default_credentials.json",
    ]

    /// Resolves the settings, reading a credentials file if one is named.
    ///
    /// - Throws: ``GoogleCredentialsError`` for missing, unreadable or unusable credentials or a missing project;
    ///   ``/SmolCore/ModelError/invalidInput(message:location:)`` for an invalid location.
    static func resolve(parameters: ModelParameters, apiBase: String?, environment: [String: String])
        throws(ModelError) -> VertexSettings
    {
        func parameter(_ names: String...) -> String? {
            for name in names {
                switch parameters[name] {
                case .value(.string(let value))? where !value.isEmpty: return value
                // LiteLLM also takes the credentials as a dict: the same document, serialised.
                case .value(let value)? where value.objectValue != nil: return value.description
                default: continue
                }
            }
            return nil
        }
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let credentials: GoogleCredentials
        do throws(GoogleCredentialsError) {
            if let value = parameter("vertex_credentials", "vertex_ai_credentials") {
                credentials = try .load(value, from: "vertex_credentials")
            } else if let value = variable("VERTEXAI_CREDENTIALS") {
                credentials = try .load(value, from: "VERTEXAI_CREDENTIALS")
            } else if let path = variable("GOOGLE_APPLICATION_CREDENTIALS") {
                credentials = try .file(path, named: "GOOGLE_APPLICATION_CREDENTIALS")
            } else if let path = gcloudDefaultCredentialsPath(environment), FileManager.default.fileExists(atPath: path) {
                credentials = try .file(path, named: "gcloud application default credentials")
            } else {
                throw .missing(settings: credentialSettings)
            }
        } catch {
            throw error.modelError
        }
        guard let project = parameter("vertex_project", "vertex_ai_project") ?? variable("VERTEXAI_PROJECT")
            ?? credentials.projectID
        else {
            throw GoogleCredentialsError.missingProject(settings: ["vertex_project", "VERTEXAI_PROJECT"]).modelError
        }
        let location = parameter("vertex_location", "vertex_ai_location") ?? variable("VERTEXAI_LOCATION") ?? "us-central1"
        return VertexSettings(endpoint: try VertexEndpoint(project: project, location: location, apiBase: apiBase),
                              credentials: credentials)
    }

    /// gcloud's ADC file: `$CLOUDSDK_CONFIG/application_default_credentials.json`, default under `$HOME/.config/gcloud`
    /// (only the given environment is read, so a model built with an empty one never finds a user's file).
    static func gcloudDefaultCredentialsPath(_ environment: [String: String]) -> String? {
        if let config = environment["CLOUDSDK_CONFIG"], !config.isEmpty {
            return config + "/application_default_credentials.json"
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.config/gcloud/application_default_credentials.json"
    }
}
