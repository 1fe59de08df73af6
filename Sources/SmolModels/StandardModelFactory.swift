import SmolCore
import SmolRemote
#if LocalEngine
import SmolLocal
#endif

extension ModelFactory {
    /// The factory for every model type this package has: the remote ones, and (with the `LocalEngine` trait,
    /// on by default) `TransformersModel` and `MLXModel`, which download a Hub id that is not on disk with
    /// `downloader` when the configuration allows it.
    ///
    /// Without the trait a local type is a typed ``/SmolCore/ModelError/unsupported(message:)``.
    public static func standard(downloader: (any ModelDownloader)? = HubDownloader()) -> ModelFactory {
        #if LocalEngine
        ModelFactory { configuration in
            let fetcher = configuration.allowsDownload ? downloader : nil
            // Local models take only plain values; a `.remove` marker has nothing to remove there.
            var parameters = JSONObject()
            for (key, parameter) in configuration.parameters {
                if case .value(let value) = parameter { parameters[key] = value }
            }
            switch configuration.type {
            case .mlx:
                return try await MLXModel.load(
                    modelID: try configuration.requiredModelID("modelID (an MLX model folder or Hub id)"),
                    parameters: parameters, contextLength: configuration.contextLength, threads: configuration.threads,
                    maxBatchSize: configuration.maxBatchSize, downloader: fetcher,
                    environment: configuration.environment)
            default:
                return try await TransformersModel.load(
                    modelID: try configuration.requiredModelID(), revision: configuration.revision, downloader: fetcher,
                    parameters: parameters, contextLength: configuration.contextLength, threads: configuration.threads,
                    maxBatchSize: configuration.maxBatchSize, environment: configuration.environment)
            }
        }
        #else
        ModelFactory.remote
        #endif
    }

    /// ``standard(downloader:)`` with the Hub downloader.
    public static var standard: ModelFactory { standard() }
}
