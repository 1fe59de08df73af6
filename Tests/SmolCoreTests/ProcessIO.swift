import Foundation

/// Waiting on a child process without blocking Swift's cooperative thread pool.
///
/// The pool has one thread per core (two here); a test blocked in `readDataToEndOfFile` or
/// `waitUntilExit` starves every other test running meanwhile, including in-process servers.
enum ProcessIO {
    static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }

    static func waitForExit(_ process: Process) async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
    }
}
