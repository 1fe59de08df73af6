import SmolCore

/// The remote (HTTP API) backends: the OpenAI-compatible family, Bedrock, LiteLLM-style routing.
///
/// The backends arrive with their own work items; this namespace carries the module's version so that
/// tools can report what they were built with.
public enum SmolRemote {
    /// The version of the remote backends.
    public static let version = SmolVersion.current
}
