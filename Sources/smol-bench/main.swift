// smol-bench: the client side of scripts/bench/openai-client.sh.
//
//   smol-bench plain  N CONCURRENCY BASE_URL   N non-streamed requests, CONCURRENCY in flight
//   smol-bench stream N BASE_URL               N streams, every delta consumed
//   smol-bench litellm-plain N MODEL_ID BASE_URL  N non-streamed calls, one after another, through
//                                                LiteLLMModel(MODEL_ID, apiBase: BASE_URL) (scripts/bench/litellm-client.sh)
//
// Diagnostics (not in the table; they split our cost into transport and decoding):
//   smol-bench ahc-plain N CONCURRENCY BASE_URL  the same requests straight through AsyncHTTPClient, configured
//                                                as HTTPEngine configures it, bodies collected but not decoded
//   smol-bench ahc-stream N BASE_URL             the same streams through AsyncHTTPClient, bytes only
//   smol-bench decode N SSE_FILE                 SSEParser + ChatCompletionsStreamDecoder over a file held in
//                                                memory, N times (no network, no tasks)
//
// Environment: SMOL_BENCH_PROXY=URL sends our requests through that forward proxy; SMOL_BENCH_TRANSPORT=ahc runs
// them on AsyncHTTPClientTransport instead of the built-in transport (the engine's policy unchanged).
//
// Prints one JSON line: wall seconds, requests, chunks, and CPU seconds (user+sys from
// getrusage(RUSAGE_SELF)) measured around the loop only, after one warm-up request.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AsyncHTTPClient
import Foundation
import NIOCore
import SmolAsyncHTTPClient
import SmolModels

func cpuSeconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

func wallSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("smol-bench: \(message)\n".utf8))
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else {
    fail("usage: smol-bench plain N CONCURRENCY BASE_URL | smol-bench stream N BASE_URL")
}

let messages = [ChatMessage(role: .user, text: "Say hello.")]
let options = GenerateOptions()

/// The engine configuration: `SMOL_BENCH_PROXY` (a proxy URL) routes every request through that forward proxy,
/// `SMOL_BENCH_TRANSPORT=ahc` swaps the built-in transport for AsyncHTTPClient (`SmolAsyncHTTPClient`).
func benchHTTPConfiguration() throws -> HTTPConfiguration {
    let environment = ProcessInfo.processInfo.environment
    var http = HTTPConfiguration()
    if let proxy = environment["SMOL_BENCH_PROXY"] { http.proxy = try ProxyConfiguration(url: proxy) }
    if environment["SMOL_BENCH_TRANSPORT"] == "ahc" { http.transport = AsyncHTTPClientTransport() }
    return http
}

func makeModel(_ base: String) -> OpenAIServerModel {
    do {
        return try OpenAIServerModel(modelID: "gpt-4o-mini", apiBase: base, apiKey: "sk-bench", http: benchHTTPConfiguration(),
                                     environment: [:])
    } catch {
        fail("cannot build the model: \(error)")
    }
}

/// Consumes one stream; returns the number of deltas.
func drain(_ model: OpenAIServerModel) async throws -> Int {
    var count = 0
    for try await _ in model.generateStream(messages, options: options) { count += 1 }
    return count
}

func report(client: String = "swift-smolagents", mode: String, concurrency: Int, requests: Int, chunks: Int, wall: Double,
            before: (user: Double, system: Double), after: (user: Double, system: Double)) {
    let user = after.user - before.user
    let system = after.system - before.system
    print(#"{"client":"\#(client)","mode":"\#(mode)","concurrency":\#(concurrency),"requests":\#(requests),"chunks":\#(chunks),"wall_s":\#(wall),"user_s":\#(user),"sys_s":\#(system),"cpu_s":\#(user + system)}"#)
}

extension Range<Int> {
    /// Runs `body` once per element, one after another; returns the count.
    func asyncCount(_ body: () async throws -> Void) async throws -> Int {
        for _ in self { try await body() }
        return count
    }
}

/// `n` non-streamed calls, one after another.
func sequential(_ n: Int, model: OpenAIServerModel) async throws -> Int {
    for _ in 0..<n { _ = try await model.generate(messages, options: options) }
    return n
}

switch mode {
case "plain":
    guard arguments.count == 4, let n = Int(arguments[1]), let concurrency = Int(arguments[2]), n > 0,
          concurrency > 0 else { fail("usage: smol-bench plain N CONCURRENCY BASE_URL") }
    let model = makeModel(arguments[3])
    do {
        let warm = try await model.generate(messages, options: options)
        guard warm.text?.isEmpty == false else { fail("warm-up response has no text") }
        let before = cpuSeconds()
        let start = wallSeconds()
        // At concurrency 1 the calls run one after another in this task, as the Python clients' plain loop
        // does; a child task per call would add a task spawn and a thread hop the SDK side does not pay.
        let completed = concurrency == 1 ? try await sequential(n, model: model) : try await withThrowingTaskGroup(of: Int.self) { group in
            var issued = 0
            var done = 0
            let initial = min(concurrency, n)
            for _ in 0..<initial {
                group.addTask { _ = try await model.generate(messages, options: options); return 1 }
            }
            issued = initial
            while let one = try await group.next() {
                done += one
                if issued < n {
                    group.addTask { _ = try await model.generate(messages, options: options); return 1 }
                    issued += 1
                }
            }
            return done
        }
        let wall = wallSeconds() - start
        report(mode: "plain", concurrency: concurrency, requests: completed, chunks: 0, wall: wall,
               before: before, after: cpuSeconds())
    } catch {
        fail("request failed: \(error)")
    }
case "litellm-plain":
    guard arguments.count == 4, let n = Int(arguments[1]), n > 0 else {
        fail("usage: smol-bench litellm-plain N MODEL_ID BASE_URL")
    }
    do {
        let model = try LiteLLMModel(modelID: arguments[2], apiBase: arguments[3], apiKey: "sk-bench", environment: [:])
        let warm = try await model.generate(messages, options: options)
        guard warm.text?.isEmpty == false else { fail("warm-up response has no text") }
        let before = cpuSeconds()
        let start = wallSeconds()
        for _ in 0..<n { _ = try await model.generate(messages, options: options) }
        let wall = wallSeconds() - start
        report(mode: "litellm-plain", concurrency: 1, requests: n, chunks: 0, wall: wall, before: before, after: cpuSeconds())
    } catch {
        fail("request failed: \(error)")
    }
case "stream":
    guard arguments.count == 3, let n = Int(arguments[1]), n > 0 else {
        fail("usage: smol-bench stream N BASE_URL")
    }
    let model = makeModel(arguments[2])
    do {
        let warm = try await drain(model)
        guard warm > 0 else { fail("warm-up stream has no deltas") }
        let before = cpuSeconds()
        let start = wallSeconds()
        var chunks = 0
        for _ in 0..<n { chunks += try await drain(model) }
        let wall = wallSeconds() - start
        report(mode: "stream", concurrency: 1, requests: n, chunks: chunks, wall: wall, before: before,
               after: cpuSeconds())
    } catch {
        fail("stream failed: \(error)")
    }
case "ahc-plain", "ahc-stream":
    let streaming = mode == "ahc-stream"
    guard arguments.count == (streaming ? 3 : 4), let n = Int(arguments[1]), n > 0 else {
        fail("usage: smol-bench ahc-plain N CONCURRENCY BASE_URL | smol-bench ahc-stream N BASE_URL")
    }
    let concurrency = streaming ? 1 : (Int(arguments[2]) ?? 0)
    guard concurrency > 0 else { fail("bad concurrency") }
    let url = arguments.last! + "/chat/completions"
    // HTTPClientPool's configuration (Sources/SmolRemote/HTTP/HTTPFailure.swift).
    var config = HTTPClient.Configuration(
        redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(600)),
        decompression: .enabled(limit: .ratio(100)))
    config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    let body: [UInt8] = Array((streaming
        ? #"{"messages":[{"role":"user","content":[{"type":"text","text":"Say hello."}]}],"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true}}"#
        : #"{"messages":[{"role":"user","content":[{"type":"text","text":"Say hello."}]}],"model":"gpt-4o-mini"}"#).utf8)
    @Sendable func one() async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "User-Agent", value: "swift-smolagents/bench")
        request.headers.add(name: "Authorization", value: "Bearer sk-bench")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "accept-encoding", value: "gzip, deflate")
        request.headers.add(name: "content-length", value: String(body.count))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, deadline: .now() + .seconds(600))
        guard response.status == .ok else { fail("status \(response.status)") }
        var bytes = 0
        for try await chunk in response.body { bytes += chunk.readableBytes }
        return bytes
    }
    do {
        _ = try await one()
        let before = cpuSeconds()
        let start = wallSeconds()
        let completed = concurrency == 1 ? try await (0..<n).asyncCount { _ = try await one() } : try await withThrowingTaskGroup(of: Int.self) { group in
            var issued = min(concurrency, n)
            var done = 0
            for _ in 0..<issued { group.addTask { _ = try await one(); return 1 } }
            while let one1 = try await group.next() {
                done += one1
                if issued < n { group.addTask { _ = try await one(); return 1 }; issued += 1 }
            }
            return done
        }
        let wall = wallSeconds() - start
        report(client: "asynchttpclient", mode: streaming ? "stream" : "plain", concurrency: concurrency,
               requests: completed, chunks: 0, wall: wall, before: before, after: cpuSeconds())
    } catch {
        fail("request failed: \(error)")
    }
case "decode":
    guard arguments.count == 3, let n = Int(arguments[1]), n > 0,
          let file = FileManager.default.contents(atPath: arguments[2]) else {
        fail("usage: smol-bench decode N SSE_FILE")
    }
    let bytes = [UInt8](file)
    // Feed it in 16 KiB slices, as reads from a socket would arrive.
    let slices = stride(from: 0, to: bytes.count, by: 16_384).map { Array(bytes[$0..<min($0 + 16_384, bytes.count)]) }
    var deltas = 0
    let before = cpuSeconds()
    let start = wallSeconds()
    do {
        for _ in 0..<n {
            var parser = SSEParser()
            var decoder = ChatCompletionsStreamDecoder()
            for slice in slices {
                for event in parser.push(slice) where try decoder.decode(event) != nil { deltas += 1 }
            }
        }
    } catch {
        fail("decode failed: \(error)")
    }
    let wall = wallSeconds() - start
    report(client: "decode-only", mode: "stream", concurrency: 1, requests: n, chunks: deltas, wall: wall,
           before: before, after: cpuSeconds())
case "codec":
    // The client's own per-request work with no transport: the request body built and serialized as
    // OpenAIServerModel does it, and the canned completion decoded into a ChatMessage.
    guard arguments.count == 3, let n = Int(arguments[1]), n > 0,
          let file = FileManager.default.contents(atPath: arguments[2]) else {
        fail("usage: smol-bench codec N COMPLETION_FILE")
    }
    let response = [UInt8](file)
    var bytes = 0
    let before = cpuSeconds()
    let start = wallSeconds()
    do {
        for _ in 0..<n {
            let prepared = try prepareCompletionParameters(
                messages: messages, options: options, modelID: "gpt-4o-mini", modelParameters: [:],
                extraParameters: ["model": "gpt-4o-mini"], roleConversions: nil, convertImagesToImageURLs: true,
                flattenMessagesAsText: false, nativeToolMessages: true)
            bytes += JSONEmitter().bytes(from: .object(ChatCompletionsCodec.requestBody(prepared, stream: false))).count
            bytes += try ChatCompletionsCodec.decodeResponse(response).text?.utf8.count ?? 0
        }
    } catch {
        fail("codec failed: \(error)")
    }
    let wall = wallSeconds() - start
    guard bytes > 0 else { fail("nothing encoded") }
    report(client: "codec-only", mode: "plain", concurrency: 1, requests: n, chunks: 0, wall: wall,
           before: before, after: cpuSeconds())
default:
    fail("unknown mode \(mode)")
}
