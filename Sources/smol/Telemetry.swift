import Foundation
import Logging
import OTel
import ServiceLifecycle

/// OTLP export of the libraries' GenAI spans, for `smol` only: the libraries depend on the tracing API alone, so an
/// application picks its own exporter; `smol` picks swift-otel when the standard variables ask for one.
///
/// With neither `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` nor `OTEL_EXPORTER_OTLP_ENDPOINT` set (or with
/// `OTEL_SDK_DISABLED=true`) nothing is bootstrapped: the libraries' spans go to the no-op tracer and cost nothing.
/// Otherwise swift-otel reads the other `OTEL_*` variables itself (headers, timeout, compression, sampler, batch
/// settings, resource attributes, service name); `smol` only sets defaults: service name `smol`, protocol
/// `http/protobuf`, diagnostics at `warning` on standard error (standard output carries the command's answer).
enum Telemetry {
    /// A configuration `smol` refuses before running anything (exit status 2, like a bad flag).
    struct ConfigurationError: Error, CustomStringConvertible {
        var description: String
    }

    /// The running exporter: its spans are flushed by ``shutdown()``.
    struct Exporter: Sendable {
        private let group: ServiceGroup
        private let task: Task<Void, any Error>
        private let logger: Logger

        fileprivate init(_ observability: some Service) {
            var logger = Logger(label: "smol.otel", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = .warning
            // No signal handling here: `smol serve` handles SIGINT/SIGTERM itself and then returns, which ends this group.
            let group = ServiceGroup(services: [observability], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
            self.group = group
            self.logger = logger
            task = Task { try await group.run() }
        }

        /// Exports what is queued and stops. Called before every exit, success or failure: a short `smol generate`
        /// ends long before the batch processor's 5 s schedule, and a failed generation's span matters most.
        func shutdown() async {
            // Graceful shutdown ends the tracer, then flushes the batch processor's queue, then closes the HTTP client.
            await group.triggerGracefulShutdown()
            do {
                try await task.value
            } catch {
                logger.warning("OpenTelemetry export did not shut down cleanly: \(error)")
            }
        }
    }

    /// Bootstraps the tracer and starts exporting when the environment asks for it; `nil` (and nothing done) otherwise.
    static func start(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Exporter? {
        guard let configuration = try configuration(environment) else { return nil }
        do {
            return Exporter(try OTel.bootstrap(configuration: configuration, environment: environment))
        } catch {
            throw ConfigurationError(description: "OpenTelemetry: \(error)")
        }
    }

    /// swift-otel's configuration for `environment`, or `nil` when no export is asked for.
    ///
    /// Throws what swift-otel would only find later or turn into a crash: an endpoint that is not an http(s) URL
    /// (it would fail every export, silently for a short command) and `grpc`, which this build leaves out (swift-otel
    /// stops the process with `fatalError` when a trait-less exporter is chosen).
    static func configuration(_ environment: [String: String]) throws -> OTel.Configuration? {
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        }
        let endpointVariable = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"].first { value($0) != nil }
        guard let endpointVariable, let endpoint = value(endpointVariable) else { return nil }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" { return nil }
        guard let url = URL(string: endpoint.trimmingCharacters(in: .whitespaces)), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError(description: "\(endpointVariable)=\(endpoint) is not an http:// or https:// URL")
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            guard let requested = value(name) else { continue }
            guard requested == "http/protobuf" || requested == "http/json" else {
                throw ConfigurationError(description: "\(name)=\(requested): smol exports over OTLP/HTTP only (http/protobuf or http/json)")
            }
            break
        }
        // swift-otel stops the process (`fatalError`) for the samplers it names but does not implement.
        if let sampler = value("OTEL_TRACES_SAMPLER"),
           ["jaeger_remote", "parentbased_jaeger_remote", "xray"].contains(sampler.lowercased()) {
            throw ConfigurationError(description: "OTEL_TRACES_SAMPLER=\(sampler) is not supported by smol's exporter "
                                     + "(use always_on, always_off, traceidratio or their parentbased_ forms)")
        }
        var configuration = OTel.Configuration.default
        // OTEL_SERVICE_NAME, then service.name in OTEL_RESOURCE_ATTRIBUTES, win over this default (the spec's order;
        // swift-otel ignores the resource attribute once a name is set in code, so set it only when neither is given).
        let resourceKeys = (value("OTEL_RESOURCE_ATTRIBUTES") ?? "").split(separator: ",")
            .map { $0.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces) ?? "" }
        if value("OTEL_SERVICE_NAME") == nil, !resourceKeys.contains("service.name") {
            configuration.serviceName = "smol"
        }
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.diagnosticLogLevel = .warning
        return configuration
    }
}
