import SmolCore

/// Native local inference: GGUF / safetensors loaders, tokenizers, chat templates and the engine.
///
/// The engine arrives with its own work items; this namespace carries the module's version so that
/// tools can report what they were built with.
public enum SmolLocal {
    /// The version of the local engine.
    public static let version = SmolVersion.current
}
