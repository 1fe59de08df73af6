/// Scheme, host and port: what a connection is for, and what decides whether credentials may follow a
/// redirect.
struct Origin: Hashable, Sendable {
    var scheme: String
    var host: String
    var port: Int

    /// Whether the connection needs TLS.
    var isSecure: Bool { scheme == "https" }

    /// The `Host` header value: the port only when it is not the scheme's default, IPv6 in brackets.
    var hostHeader: String {
        let name = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// Whether the host is an IP literal (no SNI is sent for those).
    var isIPAddress: Bool {
        host.utf8.contains(UInt8(ascii: ":")) || (!host.isEmpty && host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (48...57).contains($0) })
    }

    init(scheme: String, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// The origin of an absolute `http(s)` URL, or `nil`.
    init?(_ url: String) {
        guard let target = RequestTarget(url) else { return nil }
        self = target.origin
    }
}

/// An absolute `http(s)` URL split the way an HTTP/1.1 request needs it.
///
/// A hand-written parser rather than `URLComponents`: this runs for every request, and Foundation's
/// parser costs several microseconds on Linux. It accepts what RFC 3986 calls an absolute URI with an
/// authority; anything else (no host, a bad port, user info) is rejected rather than guessed at.
struct RequestTarget: Sendable {
    var origin: Origin
    /// Path and query, as sent on the request line (`/v1/chat/completions?api-version=…`).
    var pathAndQuery: String

    init?(_ url: String) {
        let bytes = Array(url.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
              bytes.count >= colon + 3, bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/")
        else { return nil }
        let scheme = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let authorityStart = colon + 3
        var authorityEnd = authorityStart
        while authorityEnd < bytes.count, !Self.endsAuthority(bytes[authorityEnd]) { authorityEnd += 1 }
        let authority = bytes[authorityStart..<authorityEnd]
        guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")) else { return nil }

        var host: ArraySlice<UInt8>
        var portText: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = authority[(authority.startIndex + 1)..<close]
            let rest = authority[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let portColon = authority.firstIndex(of: UInt8(ascii: ":")) {
            host = authority[..<portColon]
            portText = authority[(portColon + 1)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        var port = scheme == "https" ? 443 : 80
        if let portText, !portText.isEmpty {
            guard portText.count <= 5, portText.allSatisfy({ (48...57).contains($0) }),
                  let value = Int(String(decoding: portText, as: UTF8.self)), (1...65_535).contains(value)
            else { return nil }
            port = value
        }
        origin = Origin(scheme: scheme, host: String(decoding: host, as: UTF8.self).lowercased(), port: port)

        var pathEnd = authorityEnd
        while pathEnd < bytes.count, bytes[pathEnd] != UInt8(ascii: "#") { pathEnd += 1 }
        let rest = String(decoding: bytes[authorityEnd..<pathEnd], as: UTF8.self)
        pathAndQuery = rest.isEmpty ? "/" : (rest.hasPrefix("?") ? "/" + rest : rest)
        guard !pathAndQuery.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return nil }
    }

    private static func endsAuthority(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#")
    }
}
