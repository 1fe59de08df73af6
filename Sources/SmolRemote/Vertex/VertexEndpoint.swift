import Foundation
import SmolCore

/// Where a Vertex AI Gemini request goes, built as LiteLLM 1.108.7 builds it (`get_vertex_url`,
/// `get_vertex_base_url`, `_check_custom_proxy`).
///
/// - Host: `https://{location}-aiplatform.googleapis.com` for a region (`us-central1`), `https://aiplatform.googleapis.com`
///   for `global`, `https://aiplatform.{geo}.rep.googleapis.com` for a multi-region (`us`, `eu`).
/// - Path: `/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
///   (`:streamGenerateContent?alt=sse` for streams); a model made of digits only is a tuned model's endpoint,
///   `…/endpoints/{model}:…`. LiteLLM's `gemini/` marker (`vertex_ai/gemini/{id}`) is dropped from the name.
/// - A custom `apiBase` (a gateway or a Private Service Connect host) with no path gets that whole path; one
///   ending in `/v1` or `/v1beta1` gets the path after the version; any other is the full resource and gets
///   `:{method}` appended.
public struct VertexEndpoint: Sendable, Hashable {
    /// The Google Cloud project.
    public var project: String
    /// The location: a region (`us-central1`), a multi-region (`us`, `eu`) or `global`.
    public var location: String
    /// A base URL replacing Google's host, if any.
    public var apiBase: String?

    /// Creates an endpoint.
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` for a location that is not `global` and
    ///   not lower-case letters, digits and hyphens starting with a letter (LiteLLM's rule: the location becomes
    ///   part of a host name, where anything else could point the request, and the token, elsewhere).
    public init(project: String, location: String, apiBase: String? = nil) throws(ModelError) {
        let valid = location == "global" || (location.first.map { ("a"..."z").contains($0) } == true
            && location.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        guard valid else {
            throw .invalidInput(message: "\"\(location)\" is not a Vertex AI location (e.g. us-central1, europe-west4, global)",
                                location: "vertex_location")
        }
        guard !project.isEmpty, project.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else {
            throw .invalidInput(message: "\"\(project)\" is not a Google Cloud project id", location: "vertex_project")
        }
        self.project = project
        self.location = location
        self.apiBase = apiBase
    }

    /// Google's host for the location.
    public var host: String {
        if location == "global" { return "https://aiplatform.googleapis.com" }
        if !location.contains("-") { return "https://aiplatform.\(location).rep.googleapis.com" }
        return "https://\(location)-aiplatform.googleapis.com"
    }

    /// The URL of a `generateContent` (or, when `stream`, `streamGenerateContent?alt=sse`) call on `model`.
    public func url(model: String, stream: Bool) -> String {
        let method = stream ? "streamGenerateContent" : "generateContent"
        var name = model
        if let range = name.range(of: "gemini/") { name = String(name[range.upperBound...]) }
        let encoded = name.addingPercentEncoding(withAllowedCharacters: AmazonBedrockServerModel.pathSegmentAllowed) ?? name
        let resource = !name.isEmpty && name.allSatisfy(\.isNumber)
            ? "endpoints/\(encoded)" : "publishers/google/models/\(encoded)"
        let path = "/projects/\(project)/locations/\(location)/\(resource):\(method)"
        var url: String
        if let apiBase, let components = URLComponents(string: apiBase) {
            let basePath = components.percentEncodedPath
            var trimmed = apiBase
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            if basePath.isEmpty || basePath == "/" {
                url = trimmed + "/v1" + path
            } else if ["/v1", "/v1beta1"].contains(where: { basePath == $0 || basePath == $0 + "/" }) {
                url = trimmed + path
            } else {
                url = apiBase + ":" + method
            }
        } else {
            url = host + "/v1" + path
        }
        if stream { url += url.contains("?") ? "&alt=sse" : "?alt=sse" }
        return url
    }
}
