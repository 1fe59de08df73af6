/// Fetches a model repository into the Hugging Face cache layout, for local models whose id is not found
/// on disk (`TransformersModel.load(…, downloader:)`; SmolRemote's `HubDownloader` is the implementation).
public protocol ModelDownloader: Sendable {
    /// Downloads the files a local model needs from `repository` (`owner/name`) at `revision` into
    /// `hubCache` (`models--owner--name/{blobs,snapshots,refs}`) and returns the snapshot folder.
    func download(repository: String, revision: String, hubCache: String) async throws -> String
}
