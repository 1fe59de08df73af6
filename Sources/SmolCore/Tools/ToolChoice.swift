/// Which tool the model must call.
public enum ToolChoice: Sendable, Hashable {
    /// The model decides.
    case auto
    /// The model must call some tool (smolagents' default when tools are given).
    case required
    /// The model must not call a tool.
    case none
    /// The model must call this tool: `{"type": "function", "function": {"name": …}}`.
    case function(String)
    /// Send no `tool_choice` at all, leaving the provider's default (smolagents' `tool_choice=None`).
    case unspecified
    /// Any other value, sent verbatim (smolagents forwards a bare tool-name string this way).
    case custom(JSONValue)

    /// The wire value, or `nil` for ``unspecified``.
    public var json: JSONValue? {
        switch self {
        case .auto: return "auto"
        case .required: return "required"
        case .none: return "none"
        case .function(let name): return ["type": "function", "function": ["name": .string(name)]]
        case .unspecified: return nil
        case .custom(let value): return value
        }
    }

    /// Reads a wire value: `"auto"`, `"required"`, `"none"`, a `{"type": "function", …}` object, `null`
    /// (``unspecified``); anything else is kept as ``custom(_:)``.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .unspecified
        case "auto": self = .auto
        case "required": self = .required
        case "none": self = .none
        default:
            if json["type"] == "function", case .string(let name)? = json["function"]?["name"],
                json.objectValue?.count == 2, json["function"]?.objectValue?.count == 1
            {
                self = .function(name)
            } else {
                self = .custom(json)
            }
        }
    }
}
