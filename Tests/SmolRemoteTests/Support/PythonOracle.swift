import Foundation
import SmolCore

/// A Python oracle server from `scripts/oracles/` run as a child of the test process: started with a venv's
/// Python and a file to write its port to, it serves on loopback and exits when its standard input closes (so it
/// never outlives the tests, even when they crash).
struct PythonOracle: Sendable {
    let port: Int
    let process: Process
    let input: Pipe

    /// `scripts/oracles/`.
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/oracles").path

    /// The Python of `venv-<name>` under the oracle cache (`scripts/oracles/setup.sh <name>` installs it).
    static func python(venv name: String) throws -> String {
        let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"]
            ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents"
        let python = cache + "/venv-\(name)/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ModelError.unsupported(message: "no oracle venv at \(python): run `bash scripts/oracles/setup.sh \(name)`")
        }
        return python
    }

    /// Starts `script` with `venv`'s Python and waits (up to 10 s) for its port; `missing` says what to check when
    /// it does not start.
    static func start(_ script: String, venv: String, missing: String) async throws -> PythonOracle {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(script)-\(UUID().uuidString)").path
        let process = Process(), input = Pipe()
        process.executableURL = URL(fileURLWithPath: try python(venv: venv))
        process.arguments = [scripts + "/" + script, portFile]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if let data = FileManager.default.contents(atPath: portFile), let port = Int(String(decoding: data, as: UTF8.self)) {
                try? FileManager.default.removeItem(atPath: portFile)
                return PythonOracle(port: port, process: process, input: input)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ModelError.unsupported(message: "\(script) did not start (\(missing))")
    }

    /// Closing its standard input ends it; not waited for, so no cooperative thread blocks on its exit.
    func stop() {
        try? input.fileHandleForWriting.close()
    }
}
