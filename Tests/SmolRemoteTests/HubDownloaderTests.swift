import Foundation
import SmolCore
import SmolLocal
@testable import SmolRemote
import Synchronization
import Testing

/// A hub on loopback: the model listing API and `resolve` URLs that redirect to a second server (the
/// "CDN", another origin) which serves the files of the tiny Llama fixture.
@Suite("Downloading a model from the hub into the Hugging Face cache")
struct HubDownloaderTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    /// The tiny Llama checkpoint of the local-engine tests, read from the source tree.
    static func fixtureFiles() throws -> [String: [UInt8]] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SmolLocalTests/Fixtures/tiny-llama")
        var files: [String: [UInt8]] = [:]
        for name in ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                     "tokenizer_config.json", "chat_template.jinja"] {
            files[name] = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        return files
    }

    @Test("a hub id missing locally is downloaded once into the cache layout and then loads offline")
    func downloadAndLoad() async throws {
        let files = try Self.fixtureFiles()
        let scratch = NSTemporaryDirectory() + "smol-hub-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await withTestServer({ request in
            guard let name = request.path.split(separator: "/").last.map(String.init), let body = files[name] else {
                return .full(status: 404, body: Array("not found".utf8))
            }
            return .full(headers: [("content-type", "application/octet-stream")], body: body)
        }) { cdn in
            try await withTestServer({ request in
                if request.path == "/api/models/tiny-org/Tiny-Llama/revision/main" {
                    let siblings = (files.keys.sorted() + ["README.md", "onnx/model.onnx"]).map { #"{"rfilename": "\#($0)"}"# }
                    return .full(headers: [("content-type", "application/json")], body: Array(
                        #"{"id": "tiny-org/Tiny-Llama", "sha": "\#(Self.commit)", "siblings": [\#(siblings.joined(separator: ", "))]}"#.utf8))
                }
                let prefix = "/tiny-org/Tiny-Llama/resolve/\(Self.commit)/"
                guard request.path.hasPrefix(prefix) else { return .full(status: 404, body: []) }
                return .redirect(status: 302, location: cdn.baseURL + "/blobs/" + request.path.dropFirst(prefix.count))
            }) { hub in
                let environment = ["HF_ENDPOINT": hub.baseURL, "HF_HOME": scratch, "HF_TOKEN": "hf_secret_token_123",
                                   "SMOL_MODELS_DIR": scratch + "/none"]
                let seen = ProgressLog()
                let downloader = HubDownloader(environment: environment, progress: { seen.append($0) })
                let model = try await TransformersModel.load(modelID: "tiny-org/Tiny-Llama", downloader: downloader,
                                                             maxNewTokens: 2, environment: environment)
                #expect(model.modelID == "tiny-org/Tiny-Llama")
                #expect(model.checkpoint.model.config.architecture == .llama)

                let repository = scratch + "/hub/models--tiny-org--Tiny-Llama"
                #expect(try String(contentsOfFile: repository + "/refs/main", encoding: .utf8) == Self.commit)
                let snapshot = repository + "/snapshots/" + Self.commit
                for (name, body) in files {
                    #expect(FileManager.default.contents(atPath: snapshot + "/" + name) == Data(body), "\(name)")
                    let link = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot + "/" + name)
                    #expect(link.hasPrefix("../../blobs/"), "\(name) → \(link)")
                }
                #expect(!FileManager.default.fileExists(atPath: snapshot + "/README.md"))
                #expect(!FileManager.default.fileExists(atPath: snapshot + "/onnx/model.onnx"))
                let incomplete = try FileManager.default.contentsOfDirectory(atPath: repository + "/blobs")
                    .filter { $0.hasSuffix(".incomplete") }
                #expect(incomplete.isEmpty)
                #expect(seen.entries.contains { $0.file == "model.safetensors" && $0.received == $0.total })

                // The hub saw the token; the CDN, another origin, never did.
                #expect(hub.requests.allSatisfy { $0.headers["authorization"] == "Bearer hf_secret_token_123" })
                #expect(cdn.requests.allSatisfy { $0.headers["authorization"] == nil })
                #expect(cdn.requests.count == files.count)

                // Offline and without a downloader, the cached snapshot is found.
                let offline = try TransformersModel(modelID: "tiny-org/Tiny-Llama",
                                                    environment: ["HF_HOME": scratch, "HF_HUB_OFFLINE": "1"])
                #expect(offline.checkpoint.path == snapshot)
                let again = try await TransformersModel.load(modelID: "tiny-org/Tiny-Llama", downloader: downloader,
                                                             environment: environment)
                #expect(again.checkpoint.path == snapshot)
                #expect(cdn.requests.count == files.count)
            }
        }
    }

    @Test("HF_HUB_OFFLINE forbids the download and the error lists where the model was searched")
    func offlineRefusesDownload() async throws {
        let scratch = NSTemporaryDirectory() + "smol-hub-" + UUID().uuidString
        let environment = ["HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": scratch, "HF_HUB_OFFLINE": "1",
                           "SMOL_MODELS_DIR": scratch]
        await #expect(throws: ModelError.self) {
            _ = try await TransformersModel.load(modelID: "org/absent", downloader: HubDownloader(environment: environment),
                                                 environment: environment)
        }
    }

    @Test("which files are fetched: metadata and safetensors, else the one GGUF; several GGUFs are an error")
    func fileSelection() throws {
        let files = ["README.md", "config.json", "model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors",
                     "model.safetensors.index.json", "tokenizer.json", "../escape.json", "onnx/model.onnx"]
        #expect(try HubDownloader.filesToFetch(files, repository: "a/b") == [
            "config.json", "model.safetensors.index.json", "tokenizer.json",
            "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        #expect(try HubDownloader.filesToFetch(["x.Q4_K_M.gguf", "README.md"], repository: "a/b") == ["x.Q4_K_M.gguf"])
        #expect(throws: ModelError.self) { try HubDownloader.filesToFetch(["a.gguf", "b.gguf"], repository: "a/b") }
        #expect(throws: ModelError.self) { try HubDownloader.filesToFetch(["README.md"], repository: "a/b") }
    }
}

/// Progress reports, collected from the downloader's callback.
private final class ProgressLog: Sendable {
    private let storage = Mutex<[DownloadProgress]>([])
    func append(_ progress: DownloadProgress) { storage.withLock { $0.append(progress) } }
    var entries: [DownloadProgress] { storage.withLock { $0 } }
}
