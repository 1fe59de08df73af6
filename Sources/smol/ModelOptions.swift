import ArgumentParser
import Foundation
import SmolModels

/// The flags that choose and configure a model, shared by every model command.
struct ModelOptions: ParsableArguments {
    @Option(help: "The backend class: OpenAIServerModel, AzureOpenAIServerModel, InferenceClientModel, VLLMModel, AmazonBedrockServerModel, LiteLLMModel, LiteLLMRouterModel (--model-id is the model group, with --model-list), TransformersModel and MLXModel (local, no server) (smolagents' aliases OpenAIModel, AzureOpenAIModel and AmazonBedrockModel work too).")
    var modelType: String = "OpenAIServerModel"

    @Option(help: "The model: a provider model name, an Azure deployment, or a Hub id; for TransformersModel a .gguf file, a model folder or a Hub id in the local cache (default: the model scripts/fetch-model.sh installs); for MLXModel an MLX model folder or Hub id (mlx-community/…).")
    var modelID: String?

    @Option(help: "The endpoint: an OpenAI-compatible base URL (…/v1), an Azure endpoint, or a dedicated HF endpoint.")
    var apiBase: String?

    @Option(help: "The API key (default: the provider's environment variable, e.g. OPENAI_API_KEY, AZURE_OPENAI_API_KEY, HF_TOKEN).")
    var apiKey: String?

    @Option(help: "The Hugging Face Inference Provider (InferenceClientModel), e.g. together; default: automatic.")
    var provider: String?

    @Option(help: "The Azure OpenAI API version (default: OPENAI_API_VERSION).")
    var apiVersion: String?

    @Option(help: "The AWS region for AmazonBedrockServerModel (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's).")
    var region: String?

    @Option(help: "The AWS profile for AmazonBedrockServerModel (default: AWS_PROFILE, then default).")
    var profile: String?

    @Option(help: "LiteLLMRouterModel: a JSON file holding LiteLLM's model_list (an array of {model_name, litellm_params, model_info}), or an object with \"model_list\" and optional \"router_settings\" (LiteLLM Router arguments such as routing_strategy, num_retries, fallbacks).")
    var modelList: String?

    @Option(help: "Time limit in seconds: for a whole non-streamed request, retries and their waits included, and for the first byte of a streamed answer.")
    var timeout: Double = 600

    @Option(help: "Seconds to wait for a TCP/TLS connection (default: 10, or --timeout if shorter).")
    var connectTimeout: Double?

    @Option(help: "The longest silence in seconds while reading a response, between any two bytes of a stream too (default: --timeout).")
    var readTimeout: Double?

    @Option(help: "TransformersModel, MLXModel: tokens the context holds (default: the model's limit, at most 8192).")
    var contextLength: Int?

    @Option(help: "TransformersModel, MLXModel: kernel threads (default: the CPUs this process may use, after affinity and cgroup quota; at most 16).")
    var threads: Int?

    func validate() throws {
        guard ModelType(className: modelType) != nil else {
            throw ValidationError("unknown --model-type '\(modelType)'; choose one of: \(ModelType.allClassNames.joined(separator: ", "))")
        }
        for (flag, value) in [("--timeout", timeout), ("--connect-timeout", connectTimeout), ("--read-timeout", readTimeout)] {
            guard let value else { continue }
            guard value > 0, value.isFinite else { throw ValidationError("\(flag) must be a positive number of seconds") }
        }
        if let contextLength, contextLength < 2 { throw ValidationError("--context-length must be at least 2") }
        if let threads, !(1...16).contains(threads) { throw ValidationError("--threads must be between 1 and 16") }
    }

    /// The local model TransformersModel loads when no `--model-id` is given.
    static let defaultLocalModel = "HuggingFaceTB/SmolLM2-135M-Instruct"

    /// Builds the chosen model with the package's one factory; configuration problems are ``ModelError``s
    /// (exit status 1), missing flags usage errors (exit status 2).
    /// `maxBatchSize`: the sequences a local model decodes together (`smol serve --parallel`).
    func makeModel(maxBatchSize: Int = 8) async throws -> any Model {
        guard let type = ModelType(className: modelType) else { throw ValidationError("unknown --model-type '\(modelType)'") }
        var configuration = ModelConfiguration(
            type: type, modelID: modelID, apiBase: apiBase, apiKey: apiKey.map { Secret($0) }, provider: provider,
            apiVersion: apiVersion, region: region, profile: profile,
            http: httpConfiguration, contextLength: contextLength, threads: threads)
        configuration.maxBatchSize = maxBatchSize
        switch type {
        case .openAIServer, .azureOpenAIServer, .amazonBedrockServer:
            _ = try required(modelID, "--model-id")
        case .liteLLM:
            _ = try required(modelID, "--model-id (provider/model)")
        case .vllm:
            _ = try required(modelID, "--model-id")
            _ = try required(apiBase, "--api-base (the vLLM server's …/v1 URL)")
        case .mlx:
            _ = try required(modelID, "--model-id (an MLX model folder or Hub id)")
        case .liteLLMRouter:
            _ = try required(modelID, "--model-id (the model group)")
            (configuration.modelList, configuration.clientKwargs) = try readModelList()
        case .transformers:
            configuration.modelID = modelID ?? Self.defaultLocalModel
        case .inferenceClient:
            break
        }
        return try await ModelFactory.standard(downloader: HubDownloader(progress: DownloadBar.report))
            .makeModel(configuration)
    }

    /// The timeouts the flags ask for. `--timeout` is the user's bound on waiting: by default the read
    /// timeout (silence mid-stream) and the connect timeout do not exceed it either, so a stalled
    /// server never holds the command longer than `--timeout` without a byte.
    var httpConfiguration: HTTPConfiguration {
        func duration(_ seconds: Double) -> Duration { .milliseconds(Int64((seconds * 1000).rounded(.up))) }
        return HTTPConfiguration(connectTimeout: duration(connectTimeout ?? min(10, timeout)),
                                 readTimeout: duration(readTimeout ?? timeout), totalTimeout: duration(timeout))
    }

    /// `smol serve --model-list`: one LiteLLMRouterModel per model group of the list, named by the group,
    /// in the list's order.
    func makeGatewayModels() async throws -> [(name: String, model: any Model)] {
        let (list, settings) = try readModelList()
        var groups: [String] = []
        for entry in list.arrayValue ?? [] {
            if let name = entry["model_name"]?.stringValue, !groups.contains(name) { groups.append(name) }
        }
        guard !groups.isEmpty else { throw ValidationError("--model-list: no entry has a \"model_name\"") }
        var models: [(name: String, model: any Model)] = []
        for group in groups {
            var configuration = ModelConfiguration(type: .liteLLMRouter, modelID: group, http: httpConfiguration)
            (configuration.modelList, configuration.clientKwargs) = (list, settings)
            models.append((group, try await ModelFactory.standard(downloader: nil).makeModel(configuration)))
        }
        return models
    }

    /// `--model-list`: LiteLLM's `model_list` array, or a config object with `model_list` and
    /// `router_settings` (the keys of a LiteLLM proxy config, in JSON).
    private func readModelList() throws -> (JSONValue, JSONObject) {
        let path = try required(modelList, "--model-list FILE")
        var list = try readJSON(path, flag: "--model-list")
        var settings = JSONObject()
        if case .object(let config) = list {
            guard let entries = config["model_list"] else {
                throw ValidationError("--model-list: \(path) must hold a model_list array or an object with \"model_list\"")
            }
            list = entries
            if let routerSettings = config["router_settings"] {
                guard case .object(let object) = routerSettings else {
                    throw ValidationError("--model-list: router_settings in \(path) must be an object")
                }
                settings = object
            }
        }
        return (list, settings)
    }

    private func required(_ value: String?, _ flag: String) throws -> String {
        guard let value, !value.isEmpty else { throw ValidationError("\(modelType) needs \(flag)") }
        return value
    }
}

/// A one-line progress bar on stderr for model downloads.
enum DownloadBar {
    @Sendable static func report(_ progress: DownloadProgress) {
        let megabytes = { (bytes: Int64) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        var line = "\rdownloading \(progress.file): \(megabytes(progress.received)) MB"
        if let total = progress.total, total > 0 {
            let fraction = min(1, Double(progress.received) / Double(total))
            let filled = Int(fraction * 30)
            line += " / \(megabytes(total)) MB [" + String(repeating: "#", count: filled)
                + String(repeating: " ", count: 30 - filled) + "] " + String(format: "%3.0f%%", fraction * 100)
        }
        if let total = progress.total, progress.received >= total { line += "\n" }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
