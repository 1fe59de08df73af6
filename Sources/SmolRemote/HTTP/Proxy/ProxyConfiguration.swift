import Foundation
import SmolCore

/// A forward HTTP proxy: where it listens, and the credentials it asks for (proxy basic auth).
///
/// Printing one never shows the credentials: ``description`` is `http://host:port`, and the password is a
/// ``/SmolCore/Secret``.
public struct ProxyServer: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The proxy's host name or IP literal (IPv6 without brackets).
    public var host: String
    /// The proxy's port.
    public var port: Int
    /// The user name for proxy basic auth, if the proxy asks for one.
    public var username: String?
    /// The password for proxy basic auth.
    public var password: Secret?

    /// A proxy at `host:port`, with optional basic-auth credentials.
    public init(host: String, port: Int, username: String? = nil, password: Secret? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// A proxy from a URL as `HTTPS_PROXY` spells it: `http://[user:password@]host[:port]`, or just
    /// `host[:port]` (taken as `http://`, as curl and Python's requests do). The port defaults to 80, as
    /// httpx (the OpenAI SDK's client) reads `http://proxy`. User name and password are percent-decoded.
    ///
    /// Throws ``/SmolCore/ModelError/invalidInput(message:location:)`` for anything else (a `socks5://` or
    /// `https://` proxy, a bad port, a path); `variable` names where the URL came from (`HTTPS_PROXY`,
    /// `proxy`) and becomes the error's location. The message never repeats the URL, which may hold a
    /// password.
    public init(url: String, variable: String = "proxy") throws(ModelError) {
        switch ProxyURLParser.parse(url) {
        case .success(let server): self = server
        case .failure(let problem):
            throw .invalidInput(message: "\(variable) is not a usable proxy URL: \(problem.reason)", location: variable)
        }
    }

    /// `host:port` (IPv6 in brackets): what error messages name. Never the credentials.
    public var address: String {
        host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `http://host:port`, without credentials.
    public var description: String { "http://\(address)" }
    /// The same as ``description``.
    public var debugDescription: String { description }
    /// Only the address, so `dump` and debuggers cannot show the credentials either.
    public var customMirror: Mirror { Mirror(self, children: ["address": address], displayStyle: .struct) }

    /// The `Proxy-Authorization` header value, when the proxy has credentials.
    var authorization: String? {
        guard let username else { return nil }
        let pair = username + ":" + (password?.revealed ?? "")
        return "Basic " + Data(pair.utf8).base64EncodedString()
    }
}

/// Which proxy an ``HTTPEngine`` uses for each origin: one for `https` origins (reached through a `CONNECT`
/// tunnel), one for `http` origins (sent absolute-form requests), and the hosts that bypass both.
///
/// Set it on ``HTTPConfiguration/proxy`` to override the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY`, `NO_PROXY`); ``none`` turns proxies off whatever the environment says.
public struct ProxyConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The proxy for `https` origins.
    public var https: ProxyServer?
    /// The proxy for `http` origins.
    public var http: ProxyServer?
    /// Hosts reached directly, in `NO_PROXY` syntax: `*`, host names (suffixes on label boundaries,
    /// with or without a leading dot), IPv4/IPv6 literals, CIDR blocks, each optionally with `:port`.
    public var noProxy: [String]

    /// Separate proxies per origin scheme.
    public init(https: ProxyServer?, http: ProxyServer?, noProxy: [String] = []) {
        self.https = https
        self.http = http
        self.noProxy = noProxy
    }

    /// One proxy for every origin.
    public init(_ server: ProxyServer, noProxy: [String] = []) {
        self.init(https: server, http: server, noProxy: noProxy)
    }

    /// One proxy for every origin, from its URL (see ``ProxyServer/init(url:variable:)``); `noProxy` is a
    /// comma-separated `NO_PROXY` list.
    public init(url: String, noProxy: String? = nil) throws(ModelError) {
        self.init(try ProxyServer(url: url), noProxy: noProxy.map(NoProxyList.entries) ?? [])
    }

    /// No proxy at all, even when the environment names one.
    public static let none = ProxyConfiguration(https: nil, http: nil)

    /// The proxy a request to `url` goes through, or `nil` for a direct connection.
    public func server(for url: String) -> ProxyServer? {
        guard let origin = Origin(url) else { return nil }
        return try? ProxyResolver(self).server(for: origin)
    }

    /// The proxies' addresses and the bypass list; never credentials.
    public var description: String {
        "ProxyConfiguration(https: \(https?.description ?? "none"), http: \(http?.description ?? "none"), "
            + "noProxy: \(noProxy))"
    }
}

/// Parses proxy URLs without Foundation: `URLComponents` accepts too much (paths, `socks5h`) and its
/// error says nothing about which part is wrong.
enum ProxyURLParser {
    struct Problem: Error, Equatable {
        var reason: String
    }

    static func parse(_ text: String) -> Result<ProxyServer, Problem> {
        var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if rest.isEmpty { return .failure(Problem(reason: "it is empty")) }
        if let range = rest.range(of: "://") {
            let scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "http" else {
                let hint = scheme.hasPrefix("socks") ? "SOCKS proxies are not supported" : "only http:// proxies are supported"
                return .failure(Problem(reason: "its scheme is \(scheme)://; \(hint)"))
            }
            rest = rest[range.upperBound...]
        }
        // A trailing slash is common (`http://proxy:3128/`); any other path is a mistake.
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("/") || rest.contains("?") || rest.contains("#") {
            return .failure(Problem(reason: "it has a path; write http://host:port"))
        }
        var username: String?
        var password: Secret?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = percentDecoded(parts[0]), let pass = parts.count > 1 ? percentDecoded(parts[1]) : "" else {
                return .failure(Problem(reason: "its user name or password has a bad percent escape"))
            }
            username = user
            password = parts.count > 1 ? Secret(pass) : nil
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return .failure(Problem(reason: "an IPv6 address lacks its ]")) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return .failure(Problem(reason: "text follows the IPv6 address")) }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        let bracketed = rest.hasPrefix("[")
        guard !host.isEmpty, !host.contains(" "), bracketed || !host.contains(":") else {
            return .failure(Problem(reason: "it has no valid host"))
        }
        var port = 80
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value), portText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return .failure(Problem(reason: "its port is not a number from 1 to 65535"))
            }
            port = value
        }
        return .success(ProxyServer(host: host.lowercased(), port: port, username: username, password: password))
    }

    /// `%XX` escapes decoded (user names such as `user%40corp`), or `nil` for a bad escape.
    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard iterator.count >= 2, let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
            iterator = iterator.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
