import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// `scripts/oracles/otlp_receiver.py`: a loopback OTLP/HTTP collector that decodes each export with
/// OpenTelemetry's own protobuf classes (the otel venv). One per test; it exits when its standard input closes.
final class OTLPReceiver: Sendable {
    let endpoint: String
    private let oracle: PythonOracle

    private init(_ oracle: PythonOracle) {
        self.oracle = oracle
        endpoint = "http://127.0.0.1:\(oracle.port)"
    }

    static func start() async throws -> OTLPReceiver {
        OTLPReceiver(try await PythonOracle.start("otlp_receiver.py", venv: "otel",
                                                  missing: "is opentelemetry-proto in the otel venv?"))
    }

    /// Every span received so far, as the receiver decoded it; any body it could not decode fails the test.
    func spans() async throws -> [JSONValue] {
        let response = try await HTTPEngine.shared.send(HTTPEngine.Request(method: "GET", url: endpoint + "/_spans"))
        let json = try JSONValue(parsing: response.body)
        #expect(json["errors"] == [], "undecodable exports: \(json["errors"]?.description ?? "")")
        return try #require(json["spans"]?.arrayValue)
    }

    /// Ends the receiver (see ``PythonOracle/stop()``).
    func stop() { oracle.stop() }
}

/// `smol` with OTEL_EXPORTER_OTLP_ENDPOINT: the libraries' GenAI spans reach a real OTLP/HTTP receiver, decoded from
/// protobuf there, before the command exits.
@Suite("smol exports GenAI spans over OTLP/HTTP")
struct SmolTracingExportTests {
    static func withReceiver(_ body: (OTLPReceiver) async throws -> Void) async throws {
        let receiver = try await OTLPReceiver.start()
        defer { receiver.stop() }
        try await body(receiver)
    }

    @Test("generate: one `chat m` client span with the request's parameters, usage and finish reason, flushed before exit")
    func generateSpan() async throws {
        try await Self.withReceiver { receiver in
            try await withTestServer({ _ in .json(SmolCommandTests.completion) }) { server in
                let outcome = try await SmolCommand.run(
                    ["generate", "--api-base", server.baseURL + "/v1", "--api-key", "sk-otel-secret", "--model-id", "m",
                     "--param", "temperature=0.5", "--param", "max_tokens=5", "--param", "top_p=0.9", "--stop", "END",
                     "What is the capital of France?"],
                    environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=team-a"])
                #expect(outcome.status == 0, "\(outcome.stderr)")
                #expect(outcome.stdout == "Paris.\n")
            }
            // Read right after the exit: a span still in the batch processor's queue would be lost.
            let spans = try await receiver.spans()
            try #require(spans.count == 1, "\(spans)")
            let span = spans[0]
            #expect(span["name"] == "chat m")
            #expect(span["kind"] == "SPAN_KIND_CLIENT")
            #expect(span["status"] == "STATUS_CODE_UNSET")
            #expect(span["parent_span_id"] == "")
            #expect(span["attributes"] == [
                "gen_ai.operation.name": ["string": "chat"],
                "gen_ai.provider.name": ["string": "openai"],
                "gen_ai.request.model": ["string": "m"],
                "gen_ai.request.temperature": ["double": 0.5],
                "gen_ai.request.top_p": ["double": 0.9],
                "gen_ai.request.max_tokens": ["int": 5],
                "gen_ai.request.stop_sequences": ["array": [["string": "END"]]],
                "gen_ai.response.finish_reasons": ["array": [["string": "stop"]]],
                "gen_ai.usage.input_tokens": ["int": 9],
                "gen_ai.usage.output_tokens": ["int": 2],
            ])
            #expect(span["resource"]?["service.name"] == ["string": "smol"])
            // OTEL_EXPORTER_OTLP_ENDPOINT is a base: the traces path is appended; the headers variable is honoured.
            #expect(span["path"] == "/v1/traces")
            #expect(span["headers"]?["content-type"] == "application/x-protobuf")
            #expect(span["headers"]?["x-tenant"] == "team-a")
            // Prompts, answers and keys never leave as attributes.
            #expect(!span.description.contains("France") && !span.description.contains("Paris") && !span.description.contains("sk-otel"))
        }
    }

    @Test("generate --stream: the span ends with the stream; the traces endpoint is used as given; OTEL_SERVICE_NAME wins")
    func streamSpan() async throws {
        try await Self.withReceiver { receiver in
            try await withTestServer({ _ in SmolCommandTests.streamResponse() }) { server in
                let outcome = try await SmolCommand.run(
                    ["generate", "--api-base", server.baseURL + "/v1", "--api-key", "k", "--model-id", "m", "--stream", "hi"],
                    environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint + "/collector/traces",
                                  "OTEL_SERVICE_NAME": "my-agent"])
                #expect(outcome.status == 0, "\(outcome.stderr)")
                #expect(outcome.stdout == "Paris.\n")
            }
            let spans = try await receiver.spans()
            try #require(spans.count == 1, "\(spans)")
            let span = spans[0]
            #expect(span["name"] == "chat m")
            #expect(span["attributes"]?["gen_ai.operation.name"] == ["string": "chat"])
            #expect(span["attributes"]?["gen_ai.provider.name"] == ["string": "openai"])
            #expect(span["attributes"]?["gen_ai.request.model"] == ["string": "m"])
            #expect(span["attributes"]?["gen_ai.response.finish_reasons"] == ["array": [["string": "stop"]]])
            #expect(span["attributes"]?["gen_ai.usage.input_tokens"] == ["int": 9])
            #expect(span["attributes"]?["gen_ai.usage.output_tokens"] == ["int": 2])
            #expect(span["resource"]?["service.name"] == ["string": "my-agent"])
            #expect(span["path"] == "/collector/traces")
            let start = try #require(span["start_unix_nano"]?.intValue), end = try #require(span["end_unix_nano"]?.intValue)
            #expect(end > start)
        }
    }

    @Test("a failed generation still exports its span: error status, error.type the HTTP status, the exception recorded")
    func failedSpan() async throws {
        let refusal: JSONValue = ["error": ["message": "bad request", "type": "invalid_request_error"]]
        try await Self.withReceiver { receiver in
            try await withTestServer({ _ in .json(refusal, status: 400) }) { server in
                let outcome = try await SmolCommand.run(
                    ["generate", "--api-base", server.baseURL + "/v1", "--api-key", "k", "--model-id", "m", "hi"],
                    environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
                #expect(outcome.status == 1)
                #expect(outcome.stderr.contains("HTTP 400"))
            }
            let spans = try await receiver.spans()
            try #require(spans.count == 1, "\(spans)")
            let span = spans[0]
            #expect(span["name"] == "chat m")
            #expect(span["status"] == "STATUS_CODE_ERROR")
            #expect(span["attributes"]?["error.type"] == ["string": "400"])
            #expect(span["attributes"]?["gen_ai.usage.input_tokens"] == nil)
            #expect(span["events"]?.arrayValue?.contains { $0["name"] == "exception" } == true)
        }
    }

    @Test("a local model's span (kind internal, provider transformers) is exported the same way")
    func localModelSpan() async throws {
        // The committed tiny Llama fixture of the local engine's tests: no download, decodes in milliseconds.
        let folder = URL(fileURLWithPath: PythonOracle.scripts).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/SmolLocalTests/Fixtures/tiny-llama").path
        try await Self.withReceiver { receiver in
            let outcome = try await SmolCommand.run(
                ["generate", "--model-type", "TransformersModel", "--model-id", folder, "--param", "max_new_tokens=3", "--json", "hi"],
                environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let message = try JSONValue(parsing: try #require(outcome.stdout.split(separator: "\n").last.map(String.init)))
            let spans = try await receiver.spans()
            try #require(spans.count == 1, "\(spans)")
            let span = spans[0]
            #expect(span["name"] == .string("chat " + folder))
            #expect(span["kind"] == "SPAN_KIND_INTERNAL")
            #expect(span["attributes"]?["gen_ai.provider.name"] == ["string": "transformers"])
            #expect(span["attributes"]?["gen_ai.request.model"] == ["string": .string(folder)])
            #expect(span["attributes"]?["gen_ai.request.temperature"] == ["double": 0.0])
            #expect(span["attributes"]?["gen_ai.request.max_tokens"] == ["int": 3])
            #expect(span["attributes"]?["gen_ai.usage.input_tokens"] == ["int": message["token_usage"]?["input_tokens"] ?? "?"])
            #expect(span["attributes"]?["gen_ai.usage.output_tokens"] == ["int": message["token_usage"]?["output_tokens"] ?? "?"])
            let finish = try #require(message["finish_reason"])
            #expect(span["attributes"]?["gen_ai.response.finish_reasons"] == ["array": [["string": finish]]])
        }
    }

    @Test("a bad endpoint, the gRPC protocol or a sampler swift-otel lacks is refused with exit 2 before anything runs; OTEL_SDK_DISABLED exports nothing")
    func configurationErrors() async throws {
        try await Self.withReceiver { receiver in
            try await withTestServer({ _ in .json(SmolCommandTests.completion) }) { server in
                let arguments = ["generate", "--api-base", server.baseURL + "/v1", "--api-key", "k", "--model-id", "m", "hi"]
                let refused: [([String: String], String)] = [
                    (["OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318"], "OTEL_EXPORTER_OTLP_ENDPOINT=127.0.0.1:4318 is not an http:// or https:// URL"),
                    (["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://collector"], "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=ftp://collector"),
                    (["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"],
                     "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: smol exports over OTLP/HTTP only"),
                    (["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_TRACES_SAMPLER": "jaeger_remote"],
                     "OTEL_TRACES_SAMPLER=jaeger_remote is not supported"),
                ]
                for (environment, message) in refused {
                    let outcome = try await SmolCommand.run(arguments, environment: environment)
                    #expect(outcome.status == 2, "\(environment): \(outcome.stderr)")
                    #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
                    #expect(outcome.stdout.isEmpty)
                }
                #expect(server.requests.isEmpty)
                let disabled = try await SmolCommand.run(
                    arguments, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_SDK_DISABLED": "true"])
                #expect(disabled.status == 0, "\(disabled.stderr)")
                #expect(disabled.stdout == "Paris.\n")
            }
            #expect(try await receiver.spans().isEmpty)
        }
    }
}
