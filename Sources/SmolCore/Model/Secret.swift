/// A credential (API key, bearer token, AWS secret) that never prints.
///
/// `description`, `debugDescription`, string interpolation, `dump` and `Mirror` all show
/// `Secret(redacted)`; only ``revealed`` gives the value, for the one place that puts it on the wire.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, ExpressibleByStringLiteral
{
    private let value: String

    /// Wraps a credential.
    public init(_ value: String) { self.value = value }

    public init(stringLiteral value: String) { self.value = value }

    /// The credential itself. Use it only to build the request that needs it.
    public var revealed: String { value }

    /// Whether the credential is the empty string.
    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "Secret(redacted)" }
    public var debugDescription: String { "Secret(redacted)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Replaces every occurrence of each secret in `text` with `[REDACTED]`.
    ///
    /// Transports run provider messages and payloads through this before building a ``ModelError``:
    /// some providers echo the key they rejected.
    public static func redact(_ text: String, secrets: [Secret]) -> String {
        var result = text
        // Longest first, so a secret that contains another is removed whole.
        for secret in secrets.sorted(by: { $0.value.count > $1.value.count }) where secret.value.count >= 4 {
            result = result.replacingAll(secret.value, with: "[REDACTED]")
        }
        return result
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target` (matched on UTF-8 bytes, left to right).
    func replacingAll(_ target: String, with replacement: String) -> String {
        let haystack = Array(utf8)
        let needle = Array(target.utf8)
        guard !needle.isEmpty, haystack.count >= needle.count else { return self }
        var output: [UInt8] = []
        output.reserveCapacity(haystack.count)
        var index = 0
        var changed = false
        while index < haystack.count {
            if let found = UTF8Search.firstIndex(of: needle, in: haystack, from: index) {
                output.append(contentsOf: haystack[index..<found])
                output.append(contentsOf: replacement.utf8)
                index = found + needle.count
                changed = true
            } else {
                output.append(contentsOf: haystack[index...])
                break
            }
        }
        return changed ? String(decoding: output, as: UTF8.self) : self
    }
}
