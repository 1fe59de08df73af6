import Foundation
import SmolCore

/// botocore's `ProcessProvider`: the profile's `credential_process` command prints version-1 JSON
/// (`{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}`).
///
/// The command is split as `shlex.split` splits it and run without a shell, in the resolver's environment.
/// With an `Expiration` the credentials are refreshed by running it again.
enum AWSProcessCredentials {
    static func provider(context: AWSCredentialContext, profile: String) -> AWSCredentialsProvider? {
        guard let command = context.profiles[profile]?["credential_process"], !command.isEmpty else { return nil }
        let environment = context.resolver.environment
        return AWSCredentialsProvider(method: "custom-process", now: context.now) { () throws(ModelError) in
            let origin = "credential_process of profile \(profile)"
            let (status, output, errors) = try await run(AWSINIFile.shellWords(command), environment: environment, origin: origin)
            guard status == 0 else {
                // botocore quotes the command's stderr; we do not: a failing credential tool may print what it read.
                throw .authentication(message: "\(origin) exited with status \(status) (\(errors.count) bytes on stderr, not shown)")
            }
            let json = try AWSCredentialParsing.json(output, origin: origin)
            guard json["Version"]?.intValue == 1 else {
                throw .authentication(message: "Unsupported version '\(json["Version"].map { "\($0)" } ?? "<Version key not provided>")' for credential process provider (\(origin)), supported versions: 1")
            }
            return try AWSCredentialParsing.credentials(
                json, origin: origin, keys: ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"),
                tokenRequired: false, expirationRequired: false)
        }
    }

    /// Runs `arguments` (the first found on `PATH` unless it holds a `/`), returning status, stdout and stderr.
    static func run(_ arguments: [String], environment: [String: String], origin: String) async throws(ModelError)
        -> (Int32, [UInt8], [UInt8])
    {
        guard let name = arguments.first else { throw .authentication(message: "\(origin) is empty") }
        let searchPath = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        let executable = name.contains("/") ? name
            : searchPath.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let executable else {
            throw .authentication(message: "\(origin): the command \(name) was not found on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .authentication(message: "\(origin): \(executable) could not be started")
        }
        // Blocking reads and the wait happen on Dispatch threads, never on the cooperative pool.
        async let out = readAll(output.fileHandleForReading)
        async let err = readAll(errors.fileHandleForReading)
        let (stdout, stderr) = await (out, err)
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { process.waitUntilExit(); continuation.resume() }
        }
        return (process.terminationStatus, stdout, stderr)
    }

    private static func readAll(_ handle: FileHandle) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Array(handle.readDataToEndOfFile())) }
        }
    }
}
