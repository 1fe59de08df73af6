import Foundation
import SmolCore

/// Decides, per origin, which proxy a request goes through: pure, so every rule has a unit test.
///
/// From the environment it reads what curl and Python's requests read: for an `https` origin
/// `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY`; for an `http` origin `http_proxy`,
/// `HTTP_PROXY` (curl ignores the upper-case one, requests honours it; we follow requests), then the
/// `ALL_PROXY` pair. The lower-case spelling wins when both are set, as in curl; an empty value counts
/// as unset. A malformed URL is an error only for the origins that would use it, so a `socks5://` in
/// `ALL_PROXY` does not break https requests that `HTTPS_PROXY` covers.
struct ProxyResolver: Sendable {
    private var https: Result<ProxyServer?, ModelError>
    private var http: Result<ProxyServer?, ModelError>
    private var bypass: NoProxyList

    /// No proxy.
    static let direct = ProxyResolver(.none)

    /// An explicit configuration.
    init(_ configuration: ProxyConfiguration) {
        https = .success(configuration.https)
        http = .success(configuration.http)
        bypass = NoProxyList(configuration.noProxy)
    }

    /// The proxy variables of `environment`.
    init(environment: [String: String]) {
        func first(_ names: [String]) -> (String, String)? {
            for name in names {
                if let value = environment[name], !value.trimmingASCIISpaces().isEmpty { return (name, value) }
            }
            return nil
        }
        func server(_ names: [String]) -> Result<ProxyServer?, ModelError> {
            guard let (name, value) = first(names) else { return .success(nil) }
            do throws(ModelError) {
                return .success(try ProxyServer(url: value, variable: name))
            } catch {
                return .failure(error)
            }
        }
        https = server(["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])
        http = server(["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"])
        bypass = NoProxyList(first(["no_proxy", "NO_PROXY"]).map { NoProxyList.entries($0.1) } ?? [])
    }

    /// The environment variables this reads (and nothing else is kept from an environment).
    static let variables = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY",
                            "no_proxy", "NO_PROXY"]

    /// The proxy for `origin`, `nil` for a direct connection; throws when the variable that applies is malformed.
    func server(for origin: Origin) throws(ModelError) -> ProxyServer? {
        let server = try (origin.isSecure ? https : http).get()
        guard let server, !bypass.matches(host: origin.host, port: origin.port) else { return nil }
        return server
    }
}

/// A parsed `NO_PROXY` list, matched as curl matches it: `*` bypasses everything; a host name matches
/// itself and its subdomains on label boundaries (`example.com` and `.example.com` both match
/// `api.example.com` and `example.com`, never `badexample.com`); an IP literal matches that address; a
/// CIDR block (`10.0.0.0/8`, `::1/128`) matches addresses inside it; `:port` restricts an entry to one
/// port. Host names are not resolved: an IP entry never matches a name.
struct NoProxyList: Sendable, Hashable {
    enum Pattern: Sendable, Hashable {
        case everything
        case domain(String)
        case network(address: [UInt8], prefix: Int)
    }

    struct Rule: Sendable, Hashable {
        var pattern: Pattern
        var port: Int?
    }

    private(set) var rules: [Rule] = []

    /// The entries of a comma- (or space-) separated list.
    static func entries(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
    }

    init(_ entries: [String]) {
        rules = entries.compactMap(Self.rule)
    }

    private static func rule(_ raw: String) -> Rule? {
        var entry = Substring(raw.trimmingASCIISpaces().lowercased())
        if entry == "*" { return Rule(pattern: .everything) }
        var port: Int?
        // `[::1]:8080`, `host:8080`, `10.0.0.0/8:443`; a bare IPv6 literal has several colons and no port.
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            let after = entry[entry.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()) else { return nil }
                port = value
            }
            entry = entry[entry.index(after: entry.startIndex)..<close]
        } else if entry.filter({ $0 == ":" }).count == 1, let colon = entry.firstIndex(of: ":") {
            guard let value = Int(entry[entry.index(after: colon)...]) else { return nil }
            port = value
            entry = entry[..<colon]
        }
        if entry.hasPrefix("*.") { entry = entry.dropFirst(2) }
        while entry.hasPrefix(".") { entry = entry.dropFirst() }
        while entry.hasSuffix(".") { entry = entry.dropLast() }
        guard !entry.isEmpty else { return nil }
        if let slash = entry.firstIndex(of: "/") {
            guard let address = IPAddress.bytes(entry[..<slash]), let prefix = Int(entry[entry.index(after: slash)...]),
                  (0...(address.count * 8)).contains(prefix)
            else { return nil }
            return Rule(pattern: .network(address: address, prefix: prefix), port: port)
        }
        if let address = IPAddress.bytes(entry) {
            return Rule(pattern: .network(address: address, prefix: address.count * 8), port: port)
        }
        return Rule(pattern: .domain(String(entry)), port: port)
    }

    /// Whether a request to `host:port` goes direct.
    func matches(host rawHost: String, port: Int) -> Bool {
        var host = Substring(rawHost.lowercased())
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        while host.hasSuffix(".") { host = host.dropLast() }
        let address = IPAddress.bytes(host)
        return rules.contains { rule in
            if let wanted = rule.port, wanted != port { return false }
            switch rule.pattern {
            case .everything:
                return true
            case .domain(let domain):
                return address == nil && (host == domain || host.hasSuffix("." + domain))
            case .network(let network, let prefix):
                guard let address, address.count == network.count else { return false }
                return IPAddress.prefix(prefix, of: address, equals: network)
            }
        }
    }
}

/// IPv4 and IPv6 literals as bytes, for `NO_PROXY` matching.
enum IPAddress {
    /// 4 bytes for a dotted IPv4 address, 16 for IPv6 (with `::` and an embedded IPv4 tail), else `nil`.
    static func bytes(_ text: Substring) -> [UInt8]? {
        if text.contains(":") { return ipv6(text) }
        return ipv4(text)
    }

    static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func ipv6(_ text: Substring) -> [UInt8]? {
        // Drop a zone (`fe80::1%eth0`): it does not change which network the address is in.
        let text = text.split(separator: "%", maxSplits: 1).first ?? text
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = ipv4(piece) {
                    bytes += v4
                    continue
                }
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Whether the first `prefix` bits of `address` equal those of `network`.
    static func prefix(_ prefix: Int, of address: [UInt8], equals network: [UInt8]) -> Bool {
        for index in 0..<address.count {
            let bits = min(8, max(0, prefix - index * 8))
            if bits == 0 { return true }
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != network[index] & mask { return false }
        }
        return true
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingASCIISpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
