import Foundation
import SmolCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A server process this library started and must stop: a child on a free loopback port whose
/// output goes to a log file (its tail explains a failed start).
final class ChildServer: Sendable {
    let baseURL: String
    let logPath: String
    private let process: Mutex<Process?>

    private init(baseURL: String, logPath: String, process: Process) {
        self.baseURL = baseURL
        self.logPath = logPath
        self.process = Mutex(process)
    }

    static func start(_ command: ServerCommand, model: String, engine: HTTPEngine) async throws -> ChildServer {
        let host = "127.0.0.1"
        let port = try freePort()
        let arguments = command.arguments.map {
            $0.replacingOccurrences(of: "{model}", with: model).replacingOccurrences(of: "{host}", with: host)
                .replacingOccurrences(of: "{port}", with: String(port))
        }
        guard let executable = resolve(command.executable) else {
            throw ModelError.invalidInput(message: "cannot find the server executable '\(command.executable)' on PATH",
                                          location: "server.executable")
        }
        let logPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("smol-server-\(port)-\(UUID().uuidString.prefix(8)).log").path
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw ModelError.invalidInput(message: "cannot create the server log file", location: logPath)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(command.environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ModelError.connection(message: "could not start \(executable): \(error)")
        }
        let server = ChildServer(baseURL: "http://\(host):\(port)/v1", logPath: logPath, process: process)
        do {
            try await server.waitUntilReady(engine: engine, timeout: command.startupTimeout)
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    private func waitUntilReady(engine: HTTPEngine, timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var probe = HTTPConfiguration(connectTimeout: .seconds(2), readTimeout: .seconds(5), totalTimeout: .seconds(5),
                                      retry: .none)
        probe.decompression = engine.configuration.decompression
        let prober = HTTPEngine(configuration: probe)
        while clock.now < deadline {
            try Task.checkCancellation()
            if let exit = process.withLock({ $0.map { $0.isRunning ? nil : $0.terminationStatus } ?? nil }) {
                throw ModelError.connection(message: "the server exited with status \(exit) before it was ready:\n\(logTail())")
            }
            if (try? await prober.send(HTTPEngine.Request(method: "GET", url: endpoint(baseURL, appending: "models")))) != nil {
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ModelError.timeout(message: "the server did not answer within \(timeout):\n\(logTail())")
    }

    /// The last lines the server printed.
    func logTail(lines: Int = 20) -> String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "" }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Sends SIGTERM (SIGKILL after 10 s) and waits for the exit.
    func stop() async {
        guard let running = process.withLock({ $0 }) else { return }
        if running.isRunning { running.terminate() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while running.isRunning, clock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if running.isRunning { kill(running.processIdentifier, SIGKILL) }
        process.withLock { $0 = nil }
    }

    /// Sends SIGTERM without waiting (for `deinit`).
    func terminate() {
        process.withLock { process in
            if let process, process.isRunning { process.terminate() }
            process = nil
        }
    }

    private static func resolve(_ executable: String) -> String? {
        if executable.contains("/") { return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(executable)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A port the kernel says is free on 127.0.0.1 (bound to port 0, read back, released).
    static func freePort() throws -> Int {
        // Glibc imports SOCK_STREAM as an enum case, Darwin as a plain Int32.
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ModelError.connection(message: "socket() failed: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ModelError.connection(message: "bind() failed: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw ModelError.connection(message: "getsockname() failed: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
