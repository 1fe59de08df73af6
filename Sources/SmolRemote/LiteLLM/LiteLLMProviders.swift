/// LiteLLM's provider prefixes: which protocol each speaks, where it lives, and which environment
/// variables LiteLLM reads for its key and base URL (first found wins).
public struct LiteLLMProvider: Sendable, Hashable {
    /// The wire protocol a provider speaks.
    public enum WireProtocol: Sendable, Hashable {
        /// OpenAI chat completions.
        case openAICompatible
        /// Anthropic Messages.
        case anthropic
        /// Azure OpenAI deployments.
        case azure
        /// Hugging Face Inference Providers.
        case huggingface
        /// Amazon Bedrock Converse.
        case bedrock
        /// Google Gemini generateContent.
        case gemini
        /// Ollama's native chat API (`/api/chat`).
        case ollamaChat
        /// Ollama's completion API (`/api/generate`), the chat flattened into one prompt as LiteLLM does.
        case ollamaGenerate
        /// Gemini on Google Cloud's Vertex AI: generateContent with an OAuth token from Google credentials.
        case vertexAI
        /// Cohere's v2 chat API.
        case cohere
        /// Azure AI Foundry / model inference: chat completions with Azure's URL and key rules.
        case azureAI
    }

    /// The prefix before the first `/` in the model string.
    public var prefix: String
    /// The protocol.
    public var wireProtocol: WireProtocol
    /// The default base URL, if the provider has a fixed one.
    public var defaultBase: String?
    /// Environment variables holding the API key, in LiteLLM's order.
    public var keyVariables: [String]
    /// Environment variables holding the base URL, in LiteLLM's order.
    public var baseVariables: [String]

    init(_ prefix: String, _ wireProtocol: WireProtocol = .openAICompatible, base: String?, keys: [String] = [],
         bases: [String] = []) {
        self.prefix = prefix
        self.wireProtocol = wireProtocol
        self.defaultBase = base
        self.keyVariables = keys
        self.baseVariables = bases
    }

    /// The providers this library serves natively, by prefix.
    public static let all: [String: LiteLLMProvider] = Dictionary(uniqueKeysWithValues: [
        LiteLLMProvider("openai", base: "https://api.openai.com/v1", keys: ["OPENAI_API_KEY"],
                        bases: ["OPENAI_BASE_URL", "OPENAI_API_BASE"]),
        LiteLLMProvider("anthropic", .anthropic, base: "https://api.anthropic.com", keys: ["ANTHROPIC_API_KEY"],
                        bases: ["ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"]),
        LiteLLMProvider("azure", .azure, base: nil, keys: ["AZURE_API_KEY", "AZURE_OPENAI_API_KEY"], bases: ["AZURE_API_BASE"]),
        LiteLLMProvider("huggingface", .huggingface, base: nil, keys: ["HUGGINGFACE_API_KEY", "HF_TOKEN"],
                        bases: ["HF_API_BASE", "HUGGINGFACE_API_BASE"]),
        LiteLLMProvider("bedrock", .bedrock, base: nil),
        LiteLLMProvider("gemini", .gemini, base: "https://generativelanguage.googleapis.com/v1beta",
                        keys: ["GOOGLE_API_KEY", "GEMINI_API_KEY"], bases: ["GEMINI_API_BASE"]),
        LiteLLMProvider("ollama", .ollamaGenerate, base: "http://localhost:11434", keys: ["OLLAMA_API_KEY"],
                        bases: ["OLLAMA_API_BASE"]),
        LiteLLMProvider("ollama_chat", .ollamaChat, base: "http://localhost:11434", keys: ["OLLAMA_API_KEY"],
                        bases: ["OLLAMA_API_BASE"]),
        LiteLLMProvider("groq", base: "https://api.groq.com/openai/v1", keys: ["GROQ_API_KEY"], bases: ["GROQ_API_BASE"]),
        LiteLLMProvider("together_ai", base: "https://api.together.ai/v1",
                        keys: ["TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_TOKEN"]),
        LiteLLMProvider("fireworks_ai", base: "https://api.fireworks.ai/inference/v1",
                        keys: ["FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY", "FIREWORKSAI_API_KEY", "FIREWORKS_AI_TOKEN"]),
        LiteLLMProvider("deepseek", base: "https://api.deepseek.com/beta", keys: ["DEEPSEEK_API_KEY"], bases: ["DEEPSEEK_API_BASE"]),
        LiteLLMProvider("mistral", base: "https://api.mistral.ai/v1", keys: ["MISTRAL_API_KEY"], bases: ["MISTRAL_API_BASE"]),
        LiteLLMProvider("openrouter", base: "https://openrouter.ai/api/v1", keys: ["OPENROUTER_API_KEY", "OR_API_KEY"],
                        bases: ["OPENROUTER_API_BASE"]),
        LiteLLMProvider("xai", base: "https://api.x.ai/v1", keys: ["XAI_API_KEY"], bases: ["XAI_API_BASE"]),
        LiteLLMProvider("cerebras", base: "https://api.cerebras.ai/v1", keys: ["CEREBRAS_API_KEY"], bases: ["CEREBRAS_API_BASE"]),
        LiteLLMProvider("perplexity", base: "https://api.perplexity.ai", keys: ["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"]),
        LiteLLMProvider("nebius", base: "https://api.studio.nebius.ai/v1", keys: ["NEBIUS_API_KEY"], bases: ["NEBIUS_API_BASE"]),
        LiteLLMProvider("sambanova", base: "https://api.sambanova.ai/v1", keys: ["SAMBANOVA_API_KEY"], bases: ["SAMBANOVA_API_BASE"]),
        LiteLLMProvider("deepinfra", base: "https://api.deepinfra.com/v1/openai", keys: ["DEEPINFRA_API_KEY"],
                        bases: ["DEEPINFRA_API_BASE"]),
        LiteLLMProvider("nvidia_nim", base: "https://integrate.api.nvidia.com/v1", keys: ["NVIDIA_NIM_API_KEY"],
                        bases: ["NVIDIA_NIM_API_BASE"]),
        LiteLLMProvider("github", base: "https://models.inference.ai.azure.com", keys: ["GITHUB_API_KEY"]),
        LiteLLMProvider("llamafile", base: "http://127.0.0.1:8080/v1", keys: ["LLAMAFILE_API_KEY"], bases: ["LLAMAFILE_API_BASE"]),
        LiteLLMProvider("lm_studio", base: nil, keys: ["LM_STUDIO_API_KEY"], bases: ["LM_STUDIO_API_BASE"]),
        LiteLLMProvider("hosted_vllm", base: nil, keys: ["HOSTED_VLLM_API_KEY"], bases: ["HOSTED_VLLM_API_BASE"]),
        LiteLLMProvider("litellm_proxy", base: nil, keys: ["LITELLM_PROXY_API_KEY"], bases: ["LITELLM_PROXY_API_BASE"]),
        LiteLLMProvider("vertex_ai", .vertexAI, base: nil),
        LiteLLMProvider("cohere", .cohere, base: "https://api.cohere.com/v2/chat", keys: ["COHERE_API_KEY", "CO_API_KEY"],
                        bases: ["COHERE_API_BASE"]),
        LiteLLMProvider("azure_ai", .azureAI, base: nil, keys: ["AZURE_AI_API_KEY"], bases: ["AZURE_AI_API_BASE"]),
    ].map { ($0.prefix, $0) })

    /// LiteLLM prefixes not served natively yet (their protocols are still to come): none of LiteLLM's main
    /// providers since `vertex_ai`, `cohere` and `azure_ai` got native codecs.
    public static let notYetNative: Set<String> = []
}
