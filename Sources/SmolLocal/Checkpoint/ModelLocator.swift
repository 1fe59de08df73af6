import Foundation
import SmolCore

/// Turns a `modelID` into a checkpoint on disk, the way a Hugging Face user expects.
///
/// In order: an existing path (a `.gguf` file or a model folder; `~` expanded); a hub id (`owner/name`)
/// in the Hugging Face cache (`HF_HUB_CACHE`, else `HF_HOME/hub`, else `XDG_CACHE_HOME/huggingface/hub`,
/// else `~/.cache/huggingface/hub`,
/// `models--owner--name/snapshots/<refs/main>`); a `.gguf` in this project's model folder
/// (`SMOL_MODELS_DIR`, else `~/.cache/swift-smolagents/models`) whose name is the id's last part,
/// optionally followed by a quantization suffix (`SmolLM2-135M-Instruct` finds
/// `SmolLM2-135M-Instruct.Q4_1.gguf`), which is where `scripts/fetch-model.sh` installs the default
/// model. Nothing found is an error listing every place searched.
public struct ModelLocator: Sendable {
    /// The environment read for the cache folders.
    public var environment: [String: String]

    /// A locator reading `environment` (the process environment by default).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The Hugging Face hub cache folder.
    public var hubCache: String {
        if let cache = environment["HF_HUB_CACHE"], !cache.isEmpty { return expand(cache) }
        if let home = environment["HF_HOME"], !home.isEmpty { return expand(home) + "/hub" }
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return expand(cache) + "/huggingface/hub" }
        return homeDirectory + "/.cache/huggingface/hub"
    }

    /// This project's model folder.
    public var modelsDirectory: String {
        if let directory = environment["SMOL_MODELS_DIR"], !directory.isEmpty { return expand(directory) }
        return homeDirectory + "/.cache/swift-smolagents/models"
    }

    /// Whether `HF_HUB_OFFLINE` forbids downloads.
    public var isOffline: Bool { ["1", "ON", "YES", "TRUE"].contains((environment["HF_HUB_OFFLINE"] ?? "").uppercased()) }

    /// Whether `modelID` has the shape of a hub id (`owner/name`) rather than a path.
    public func isHubID(_ modelID: String) -> Bool {
        let parts = modelID.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." } && !modelID.hasPrefix("~")
            && !FileManager.default.fileExists(atPath: modelID)
    }

    /// The path of the checkpoint `modelID` names.
    public func locate(_ modelID: String) throws(ModelError) -> String {
        let trimmed = modelID.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .invalidInput(message: "modelID is empty", location: "modelID") }
        var searched: [String] = []
        let direct = expand(trimmed)
        if FileManager.default.fileExists(atPath: direct) { return direct }
        searched.append(direct)

        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }), !trimmed.hasPrefix("~") {
            let repository = hubCache + "/models--\(parts[0])--\(parts[1])"
            searched.append(repository)
            if let snapshot = snapshot(in: repository) { return snapshot }
        }

        let name = String(parts.last ?? Substring(trimmed))
        searched.append(modelsDirectory + "/\(name)*.gguf")
        if let file = localGGUF(named: name) { return file }

        throw .invalidInput(
            message: "model '\(trimmed)' not found; searched: \(searched.joined(separator: ", "))"
                + (isOffline ? " (HF_HUB_OFFLINE is set)" : "")
                + ". Install the default model with scripts/fetch-model.sh, or pass a .gguf file or model folder.",
            location: "modelID")
    }

    /// The snapshot `refs/main` points to, else the only snapshot.
    private func snapshot(in repository: String) -> String? {
        let snapshots = repository + "/snapshots"
        if let data = FileManager.default.contents(atPath: repository + "/refs/main") {
            let revision = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let path = snapshots + "/" + revision
            if !revision.isEmpty, !revision.contains("/"), FileManager.default.fileExists(atPath: path) { return path }
        }
        let all = (try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? []
        return all.count == 1 ? snapshots + "/" + all[0] : nil
    }

    private func localGGUF(named name: String) -> String? {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: modelsDirectory)) ?? [])
            .filter { $0.hasSuffix(".gguf") }
        if let exact = files.first(where: { $0 == name || $0 == name + ".gguf" }) { return modelsDirectory + "/" + exact }
        let matches = files.filter { $0.hasPrefix(name + ".") || $0.hasPrefix(name + "-") }.sorted()
        return matches.count == 1 ? modelsDirectory + "/" + matches[0] : nil
    }

    private var homeDirectory: String {
        environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    }

    private func expand(_ path: String) -> String {
        if path == "~" { return homeDirectory }
        if path.hasPrefix("~/") { return homeDirectory + path.dropFirst() }
        return path
    }
}
