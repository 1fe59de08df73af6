/// smolagents' model classes, by the names smolagents gives them: what a model factory, a configuration
/// file or the `smol` command's `--model-type` chooses between.
public enum ModelType: String, CaseIterable, Sendable, Codable {
    /// `OpenAIServerModel` (alias `OpenAIModel`): the OpenAI API or any OpenAI-compatible server.
    case openAIServer = "OpenAIServerModel"
    /// `AzureOpenAIServerModel` (alias `AzureOpenAIModel`).
    case azureOpenAIServer = "AzureOpenAIServerModel"
    /// `InferenceClientModel`: Hugging Face Inference Providers.
    case inferenceClient = "InferenceClientModel"
    /// `LiteLLMModel`: one `provider/model` string for many providers.
    case liteLLM = "LiteLLMModel"
    /// `LiteLLMRouterModel`: LiteLLM's router over a `model_list`.
    case liteLLMRouter = "LiteLLMRouterModel"
    /// `AmazonBedrockServerModel` (alias `AmazonBedrockModel`): Bedrock's Converse API.
    case amazonBedrockServer = "AmazonBedrockServerModel"
    /// `VLLMModel`: a vLLM server.
    case vllm = "VLLMModel"
    /// `TransformersModel`: a local model run by this package's engine.
    case transformers = "TransformersModel"
    /// `MLXModel`: a local MLX-quantized checkpoint run by this package's engine.
    case mlx = "MLXModel"

    /// smolagents' deprecated class aliases and the class each stands for.
    public static let aliases: [String: ModelType] = [
        "OpenAIModel": .openAIServer, "AzureOpenAIModel": .azureOpenAIServer, "AmazonBedrockModel": .amazonBedrockServer,
    ]

    /// The type a smolagents class name (or one of its ``aliases``) names; `nil` for any other text.
    public init?(className: String) {
        guard let type = ModelType(rawValue: className) ?? Self.aliases[className] else { return nil }
        self = type
    }

    /// The smolagents class name.
    public var className: String { rawValue }

    /// Every accepted name, class names and aliases, sorted: for help texts and error messages.
    public static var allClassNames: [String] { (allCases.map(\.rawValue) + aliases.keys).sorted() }

    /// Whether the model runs in this process (needs the local engine, `SmolLocal`) rather than behind an API.
    public var isLocal: Bool { self == .transformers || self == .mlx }
}
