import Prometheus
import SmolCore

/// The server's Prometheus metrics (`GET /metrics`, text exposition format), in a registry of its own so
/// that a library user's global metrics system is left alone.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
    ]

    private func descriptor(_ name: String, _ help: String, unit: String = "") -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "smol", subsystem: "serve", metricName: name, unitName: unit, helpText: help)
    }

    /// A finished request: its status and, when known, its tokens and timings.
    func request(model: String, status: Int, usage: TokenUsage?, firstToken: Duration?, total: Duration) {
        registry.makeCounter(descriptor: descriptor("requests", "Requests by model and HTTP status.", unit: "total"),
                             labels: [("model", model), ("status", String(status))]).increment()
        guard let usage else { return }
        registry.makeCounter(descriptor: descriptor("prompt_tokens", "Prompt tokens processed.", unit: "total"),
                             labels: [("model", model)]).increment(by: Int64(usage.inputTokens))
        registry.makeCounter(descriptor: descriptor("completion_tokens", "Completion tokens generated.", unit: "total"),
                             labels: [("model", model)]).increment(by: Int64(usage.outputTokens))
        if let firstToken {
            registry.makeDurationHistogram(descriptor: descriptor("time_to_first_token", "Time to the first streamed token.", unit: "seconds"),
                                           labels: [("model", model)], buckets: Self.latencyBuckets).record(firstToken)
        }
        if usage.outputTokens > 0 {
            let start = firstToken ?? .zero
            let perToken = (total - start) / max(1, usage.outputTokens - (firstToken == nil ? 0 : 1))
            registry.makeDurationHistogram(descriptor: descriptor("time_per_output_token", "Time per generated token after the first.", unit: "seconds"),
                                           labels: [("model", model)], buckets: Self.latencyBuckets).record(perToken)
        }
    }

    /// Requests waiting for a slot, per model.
    func queueDepth(model: String, _ value: Int) {
        registry.makeGauge(descriptor: descriptor("queue_depth", "Requests waiting for a generation slot."),
                           labels: [("model", model)]).set(to: Double(value))
    }

    /// Requests generating, per model.
    func active(model: String, _ value: Int) {
        registry.makeGauge(descriptor: descriptor("active_sequences", "Requests generating now."),
                           labels: [("model", model)]).set(to: Double(value))
    }

    /// The exposition text.
    func exposition() -> String { registry.emitToString() }
}
