import Crypto
import Foundation
import SmolCore

/// How far a download has got.
public struct DownloadProgress: Sendable, Equatable {
    /// The file being downloaded (its path in the repository).
    public var file: String
    /// Bytes received so far.
    public var received: Int64
    /// The file's size, when the server said.
    public var total: Int64?
}

/// Downloads a model repository from the Hugging Face Hub into the cache layout `huggingface_hub` uses
/// (`models--owner--name/blobs/<sha256>`, `snapshots/<commit>/<file>` as relative symlinks, `refs/<branch>`),
/// so that Python tools and this package share one cache.
///
/// Only what a local model needs is fetched: `config.json`, `generation_config.json`, tokenizer files, the
/// chat template and the safetensors weights (with their index); a repository with no safetensors but
/// exactly one `.gguf` gets that file. Files already in the snapshot are not fetched again. Each file
/// streams to a `.incomplete` blob while its SHA-256 is computed, then moves into place, so an interrupted
/// download never leaves a truncated file that looks complete. Requests carry the token
/// (`HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, the HF CLI's token file) only to the hub itself: redirects to the
/// CDN drop it.
public struct HubDownloader: ModelDownloader {
    /// The hub, `HF_ENDPOINT` or `https://huggingface.co`.
    public var endpoint: String
    private let token: Secret?
    private let engine: HTTPEngine
    private let progress: (@Sendable (DownloadProgress) -> Void)?

    /// Creates a downloader reading `HF_ENDPOINT` and the token from `environment`. `progress` is called as
    /// bytes arrive (at most every 1 MiB per file, and at each file's end).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                http: HTTPConfiguration = HTTPConfiguration(totalTimeout: nil),
                progress: (@Sendable (DownloadProgress) -> Void)? = nil) {
        var endpoint = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        token = InferenceClientModel.storedToken(environment).map { Secret($0) }
        // The same proxy and TLS variables as the models (HTTPS_PROXY, SSL_CERT_FILE, …) from `environment`.
        engine = HTTPEngine(configuration: http.inheriting(environment: environment))
        self.progress = progress
    }

    /// Downloads what a local model needs from `repository` at `revision`; returns the snapshot folder.
    public func download(repository: String, revision: String, hubCache: String) async throws -> String {
        let parts = repository.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw ModelError.invalidInput(message: "'\(repository)' is not a hub id (owner/name)", location: "modelID")
        }
        let (commit, files) = try await listing(repository: repository, revision: revision)
        let wanted = try Self.filesToFetch(files, repository: repository)
        let root = hubCache + "/models--\(parts[0])--\(parts[1])"
        let snapshot = root + "/snapshots/" + commit
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/blobs", withIntermediateDirectories: true)
        for file in wanted where !fm.fileExists(atPath: snapshot + "/" + file) {
            try await fetch(file, repository: repository, commit: commit, root: root, snapshot: snapshot)
        }
        if revision != commit {
            try fm.createDirectory(atPath: root + "/refs", withIntermediateDirectories: true)
            try Data(commit.utf8).write(to: URL(fileURLWithPath: root + "/refs/" + revision), options: .atomic)
        }
        return snapshot
    }

    /// The commit `revision` resolves to and the repository's file names.
    private func listing(repository: String, revision: String) async throws -> (String, [String]) {
        let url = "\(endpoint)/api/models/\(repository)/revision/\(Self.escaped(revision))"
        let secrets = token.map { [$0] } ?? []
        let response = try await engine.send(request(url), secrets: secrets)
        // The listing reaches the error as text: a hub (or a proxy in front of it) may echo the token.
        func excerpt() -> String { Secret.redact(String(decoding: response.body.prefix(2_000), as: UTF8.self), secrets: secrets) }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: response.body)
        } catch {
            throw ModelError.decoding(message: "the hub's model listing is not JSON: \(error)", payload: excerpt())
        }
        guard let commit = json["sha"]?.stringValue, !commit.isEmpty, !commit.contains("/"), commit != "..",
              let siblings = json["siblings"]?.arrayValue
        else {
            throw ModelError.decoding(message: "the hub's model listing has no sha or siblings", payload: excerpt())
        }
        return (commit, siblings.compactMap { $0["rfilename"]?.stringValue })
    }

    /// The files a local model loads, in the order they are fetched (small ones first).
    static func filesToFetch(_ files: [String], repository: String) throws(ModelError) -> [String] {
        let metadata: Set<String> = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                                     "special_tokens_map.json", "chat_template.jinja", "model.safetensors.index.json"]
        let safe = files.filter { !$0.contains("..") && !$0.hasPrefix("/") }
        let weights = safe.filter { $0.hasSuffix(".safetensors") && !$0.contains("/") }.sorted()
        var chosen = safe.filter { metadata.contains($0) }.sorted()
        if !weights.isEmpty {
            return chosen + weights
        }
        let ggufs = safe.filter { $0.hasSuffix(".gguf") }.sorted()
        guard ggufs.count == 1 else {
            throw .invalidInput(
                message: ggufs.isEmpty
                    ? "\(repository) has neither safetensors nor GGUF weights"
                    : "\(repository) has several GGUF files (\(ggufs.joined(separator: ", "))); download one and pass its path",
                location: "modelID")
        }
        chosen.append(ggufs[0])
        return chosen
    }

    private func fetch(_ file: String, repository: String, commit: String, root: String, snapshot: String) async throws {
        let url = "\(endpoint)/\(repository)/resolve/\(commit)/\(file.split(separator: "/").map { Self.escaped(String($0)) }.joined(separator: "/"))"
        let response = try await engine.stream(request(url), secrets: token.map { [$0] } ?? [])
        let total = response.headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int64($0.1) }
        let partial = root + "/blobs/" + UUID().uuidString + ".incomplete"
        guard FileManager.default.createFile(atPath: partial, contents: nil) else {
            throw ModelError.invalidInput(message: "cannot write \(partial)", location: "hubCache")
        }
        var hasher = SHA256()
        var received: Int64 = 0
        var reported: Int64 = 0
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
            defer { try? handle.close() }
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    try handle.write(contentsOf: bytes)
                }
                received += Int64(chunk.readableBytes)
                if received - reported >= 1 << 20 {
                    reported = received
                    progress?(DownloadProgress(file: file, received: received, total: total))
                }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        if let total, total != received {
            try? FileManager.default.removeItem(atPath: partial)
            throw ModelError.connection(message: "\(file): received \(received) of \(total) bytes")
        }
        progress?(DownloadProgress(file: file, received: received, total: total ?? received))
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let blob = root + "/blobs/" + digest
        let fm = FileManager.default
        if fm.fileExists(atPath: blob) { try fm.removeItem(atPath: partial) } else { try fm.moveItem(atPath: partial, toPath: blob) }
        let link = snapshot + "/" + file
        try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let depth = file.split(separator: "/").count + 1
        try? fm.removeItem(atPath: link)
        try fm.createSymbolicLink(atPath: link, withDestinationPath: String(repeating: "../", count: depth) + "blobs/" + digest)
    }

    private func request(_ url: String) -> HTTPEngine.Request {
        var headers = [("User-Agent", "swift-smolagents/\(SmolVersion.current)")]
        if let token { headers.append(("Authorization", "Bearer \(token.revealed)")) }
        return HTTPEngine.Request(method: "GET", url: url, headers: headers)
    }

    private static func escaped(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? component
    }
}
