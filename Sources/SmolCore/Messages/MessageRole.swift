/// Who a message is from. Raw values are smolagents' (`"tool-call"`, `"tool-response"`), so messages
/// round-trip through smolagents' JSON unchanged.
public enum MessageRole: String, Sendable, Hashable, CaseIterable, Codable {
    /// The person or program asking.
    case user
    /// The model.
    case assistant
    /// Instructions that frame the conversation.
    case system
    /// An agent's record of the tool calls it made (sent to APIs as `assistant` by default).
    case toolCall = "tool-call"
    /// An agent's record of a tool's result (sent to APIs as `user` by default).
    case toolResponse = "tool-response"

    /// smolagents' `MessageRole.roles()`: every raw value, in declaration order.
    public static var roles: [String] { allCases.map(\.rawValue) }

    /// smolagents' default `tool_role_conversions`: tool calls become assistant messages and tool
    /// responses user messages, since chat APIs have no such roles.
    public static let toolRoleConversions: [MessageRole: MessageRole] = [
        .toolCall: .assistant, .toolResponse: .user,
    ]

    /// Parses a role from its raw value, with smolagents' error for anything else.
    public init(validating rawValue: String) throws(ModelError) {
        guard let role = MessageRole(rawValue: rawValue) else {
            let roles = MessageRole.roles.map { "'\($0)'" }.joined(separator: ", ")
            throw .invalidInput(
                message: "Incorrect role \(rawValue), only [\(roles)] are supported for now.", location: "role")
        }
        self = role
    }
}
