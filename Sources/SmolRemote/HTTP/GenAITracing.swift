import SmolTracing

/// The remote backends' GenAI spans: the shared implementation in SmolTracing (the local engine uses it too), under
/// the name the clients have always called.
typealias GenAITracing = SmolTracing.GenAITracing
