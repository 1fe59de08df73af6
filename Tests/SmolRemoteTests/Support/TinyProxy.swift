import Foundation
import NIOCore
import NIOPosix

@testable import SmolRemote

/// A real forward proxy for tests: Debian's `tinyproxy` (installed by `scripts/oracles/setup.sh proxy`),
/// started by the test on a free loopback port with its own configuration and log file.
///
/// tinyproxy handles `CONNECT` to any port (no `ConnectPort` line), absolute-form `http` requests, and
/// `BasicAuth`; at `LogLevel Connect` it logs each request line (`CONNECT 127.0.0.1:4443 HTTP/1.1`,
/// `POST http://127.0.0.1:8080/v1/chat/completions HTTP/1.1`), which is what the tests check.
final class TinyProxy: @unchecked Sendable {  // Process: terminate and wait are thread-safe
    let port: Int
    let logPath: String
    private let process: Process
    private let directory: String

    /// `127.0.0.1:<port>`.
    var address: String { "127.0.0.1:\(port)" }

    /// The proxy URL, with `credentials` (`user:password`) when given.
    func url(credentials: String? = nil) -> String {
        "http://" + (credentials.map { $0 + "@" } ?? "") + address
    }

    /// Every request line the proxy logged so far (`CONNECT host:port HTTP/1.1`, `POST http://… HTTP/1.1`).
    var requestLines: [String] {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "): ", options: []), line.contains("Request (file descriptor") else { return nil }
            return String(line[range.upperBound...])
        }
    }

    private init(port: Int, logPath: String, process: Process, directory: String) {
        self.port = port
        self.logPath = logPath
        self.process = process
        self.directory = directory
    }

    /// The tinyproxy executable, or `nil` when it is not installed.
    static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/tinyproxy" } + ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts tinyproxy in the foreground; `basicAuth` is `(user, password)` when it should ask for them.
    static func start(basicAuth: (String, String)? = nil) async throws -> TinyProxy {
        guard let executable else {
            throw ConformanceError("tinyproxy is not installed: run `bash scripts/oracles/setup.sh proxy` "
                                   + "(or `apt-get install tinyproxy`); `bash scripts/test.sh` does it")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smol-tinyproxy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try ChildServer.freePort()
        let logPath = directory + "/tinyproxy.log"
        var config = """
            Port \(port)
            Listen 127.0.0.1
            Timeout 30
            LogFile "\(logPath)"
            LogLevel Connect
            MaxClients 64
            Allow 127.0.0.1
            DisableViaHeader Yes

            """
        if let basicAuth { config += "BasicAuth \(basicAuth.0) \(basicAuth.1)\n" }
        try config.write(toFile: directory + "/tinyproxy.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-d", "-c", directory + "/tinyproxy.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let proxy = TinyProxy(port: port, logPath: logPath, process: process, directory: directory)
        // Ready when it accepts a connection (it logs "Starting main loop" just before).
        for _ in 0..<200 {
            if await Self.accepts(port: port) { return proxy }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        proxy.stop()
        throw ConformanceError("tinyproxy did not start on port \(port): \(log.suffix(1_000))")
    }

    private static func accepts(port: Int) async -> Bool {
        guard let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        else { return false }
        try? await channel.close()
        return true
    }

    /// Stops the proxy (SIGKILL to the process this started) and removes its files.
    func stop() {
        if process.isRunning {
            // Not SIGTERM: tinyproxy then waits for its open connections (our pooled keep-alive ones) to end.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with a fresh ``TinyProxy`` and stops it afterwards.
func withTinyProxy<T>(basicAuth: (String, String)? = nil, _ body: (TinyProxy) async throws -> T) async throws -> T {
    let proxy = try await TinyProxy.start(basicAuth: basicAuth)
    defer { proxy.stop() }
    return try await body(proxy)
}
