import SmolCore

extension LiteLLMRouterOptions {
    /// The `client_kwargs` keys this router understands (LiteLLM `Router` keyword arguments).
    public static let knownKeys = [
        "routing_strategy", "num_retries", "retry_after", "fallbacks", "default_fallbacks", "context_window_fallbacks",
        "max_fallbacks", "allowed_fails", "cooldown_time", "disable_cooldowns", "timeout", "routing_strategy_args",
    ]

    /// Reads LiteLLM `Router` keyword arguments (smolagents' `client_kwargs`) from a JSON object.
    ///
    /// `fallbacks` and `context_window_fallbacks` take LiteLLM's list of one-key objects
    /// (`[{"gpt-4o": ["claude"]}]`; the key `"*"` sets the default fallbacks, as LiteLLM does);
    /// durations are seconds. `model_list` is accepted and ignored (the router takes it separately).
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` naming the key for an unknown key (with the
    ///   known ones), an unknown strategy, or a value of the wrong type or range.
    public init(json: JSONObject) throws(ModelError) {
        self.init()
        for (key, value) in json {
            let location = "client_kwargs.\(key)"
            switch key {
            case "model_list":
                continue
            case "routing_strategy":
                let name = try Self.string(value, location)
                guard let strategy = LiteLLMRoutingStrategy(rawValue: name)
                        ?? (name == "usage-based-routing-v2" ? .usageBased : nil) else {
                    let known = LiteLLMRoutingStrategy.allCases.map(\.rawValue).joined(separator: ", ")
                    throw .invalidInput(message: "unsupported routing_strategy '\(name)'; supported: \(known)",
                                        location: location)
                }
                routingStrategy = strategy
            case "num_retries": numRetries = try Self.count(value, location)
            case "max_fallbacks": maxFallbacks = try Self.count(value, location)
            case "allowed_fails": allowedFails = try value.isNull ? nil : Self.count(value, location)
            case "retry_after": retryAfter = try Self.seconds(value, location)
            case "cooldown_time": cooldownTime = try Self.seconds(value, location)
            case "timeout": timeout = try value.isNull ? nil : Self.seconds(value, location)
            case "disable_cooldowns":
                guard case .bool(let flag) = value else {
                    throw .invalidInput(message: "must be true or false", location: location)
                }
                disableCooldowns = flag
            case "default_fallbacks": defaultFallbacks = try Self.groups(value, location)
            case "fallbacks":
                let (map, defaults) = try Self.fallbackMap(value, location)
                fallbacks = map
                if let defaults { defaultFallbacks = defaults }
            case "context_window_fallbacks": contextWindowFallbacks = try Self.fallbackMap(value, location).0
            case "routing_strategy_args":
                guard case .object(let arguments) = value else {
                    throw .invalidInput(message: "must be an object", location: location)
                }
                for (name, argument) in arguments {
                    switch name {
                    case "lowest_latency_buffer":
                        guard let buffer = argument.doubleValue, buffer.isFinite, buffer >= 0 else {
                            throw .invalidInput(message: "must be a non-negative number", location: "\(location).\(name)")
                        }
                        lowestLatencyBuffer = buffer
                    case "max_latency_list_size":
                        maxLatencyListSize = max(1, try Self.count(argument, "\(location).\(name)"))
                    case "ttl":
                        continue  // our windows are per minute / per list size; the cache TTL has no equivalent
                    default:
                        throw .invalidInput(message: "unknown routing_strategy_args key (known: lowest_latency_buffer, max_latency_list_size, ttl)",
                                            location: "\(location).\(name)")
                    }
                }
            default:
                throw .invalidInput(message: "unsupported router option; supported: \(Self.knownKeys.joined(separator: ", "))",
                                    location: location)
            }
        }
    }

    private static func string(_ value: JSONValue, _ location: String) throws(ModelError) -> String {
        guard case .string(let text) = value else { throw .invalidInput(message: "must be a string", location: location) }
        return text
    }

    private static func count(_ value: JSONValue, _ location: String) throws(ModelError) -> Int {
        guard let number = value.intValue, number >= 0 else {
            throw .invalidInput(message: "must be a non-negative integer, got \(value)", location: location)
        }
        return number
    }

    private static func seconds(_ value: JSONValue, _ location: String) throws(ModelError) -> Duration {
        guard let seconds = value.doubleValue, seconds.isFinite, seconds >= 0 else {
            throw .invalidInput(message: "must be a non-negative number of seconds, got \(value)", location: location)
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    private static func groups(_ value: JSONValue, _ location: String) throws(ModelError) -> [String] {
        guard case .array(let items) = value else {
            throw .invalidInput(message: "must be a list of model group names", location: location)
        }
        var names: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let name) = item else {
                throw .invalidInput(message: "must be a model group name", location: "\(location)[\(index)]")
            }
            names.append(name)
        }
        return names
    }

    /// `[{"group": ["fallback", …]}, …]` → group → fallbacks, and the `"*"` entry separately.
    private static func fallbackMap(_ value: JSONValue, _ location: String)
        throws(ModelError) -> ([String: [String]], [String]?)
    {
        guard case .array(let entries) = value else {
            throw .invalidInput(message: #"must be a list like [{"group": ["fallback-group"]}]"#, location: location)
        }
        var map: [String: [String]] = [:]
        var defaults: [String]?
        for (index, entry) in entries.enumerated() {
            guard case .object(let object) = entry else {
                throw .invalidInput(message: #"must be an object like {"group": ["fallback-group"]}"#,
                                    location: "\(location)[\(index)]")
            }
            for (group, targets) in object {
                let names = try groups(targets, "\(location)[\(index)].\(group)")
                if group == "*" { defaults = names } else { map[group] = names }
            }
        }
        return (map, defaults)
    }
}
