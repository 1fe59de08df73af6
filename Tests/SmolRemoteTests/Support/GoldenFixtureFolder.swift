import Foundation
import SmolCore
import Testing

/// A bundled folder of golden fixtures: one `<scenario>.json` per scenario, plus `_`-prefixed shared files
/// (`_responses.json`, the canned replies the test servers send).
struct GoldenFixtureFolder: Sendable {
    /// The folder's path inside the test bundle's resources, e.g. `Fixtures/anthropic`.
    let path: String

    var directory: URL? { Bundle.module.resourceURL?.appendingPathComponent(path) }

    /// Every scenario: the fixture files not starting with `_`, without `.json`, sorted.
    func scenarioNames() -> [String] {
        guard let directory, let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            return []
        }
        return files.filter { $0.hasSuffix(".json") && !$0.hasPrefix("_") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The fixture `<name>.json`, parsed.
    func load(_ name: String) throws -> JSONValue {
        let url = try #require(directory).appendingPathComponent("\(name).json")
        return try JSONValue(parsing: Array(try Data(contentsOf: url)))
    }
}
