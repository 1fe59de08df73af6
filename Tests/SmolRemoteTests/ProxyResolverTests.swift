import SmolCore
import Testing

@testable import SmolRemote

/// The proxy for a URL under `environment` (its address, `nil` for direct).
private func proxy(_ url: String, _ environment: [String: String]) throws -> String? {
    try ProxyResolver(environment: environment).server(for: #require(Origin(url)))?.address
}

/// Whether `NO_PROXY=list` sends a request to `url` direct.
private func bypasses(_ list: String, _ url: String) throws -> Bool {
    try proxy(url, ["HTTPS_PROXY": "proxy:3128", "HTTP_PROXY": "proxy:3128", "NO_PROXY": list]) == nil
}

@Suite("Proxy resolution: which proxy a request goes through, as curl and requests decide")
struct ProxyResolverTests {
    @Test("an https origin uses https_proxy/HTTPS_PROXY, then ALL_PROXY; an http origin HTTP_PROXY, then ALL_PROXY")
    func schemes() throws {
        let env = ["HTTPS_PROXY": "http://secure:1", "HTTP_PROXY": "http://plain:2"]
        #expect(try proxy("https://api.openai.com/v1", env) == "secure:1")
        #expect(try proxy("http://localhost:8000/v1", env) == "plain:2")
        #expect(try proxy("https://api.openai.com", ["ALL_PROXY": "http://all:3"]) == "all:3")
        #expect(try proxy("http://example.com", ["all_proxy": "http://all:3"]) == "all:3")
        #expect(try proxy("https://api.openai.com", ["HTTP_PROXY": "http://plain:2"]) == nil)
        #expect(try proxy("http://example.com", ["HTTPS_PROXY": "http://secure:1"]) == nil)
        #expect(try proxy("https://api.openai.com", ["HTTPS_PROXY": "http://secure:1", "ALL_PROXY": "http://all:3"]) == "secure:1")
    }

    @Test("the lower-case variable wins over the upper-case one, as in curl; empty values count as unset")
    func lowerCaseWins() throws {
        #expect(try proxy("https://a.com", ["https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:2"]) == "lower:1")
        #expect(try proxy("http://a.com", ["http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2"]) == "lower:1")
        #expect(try proxy("https://a.com", ["https_proxy": "", "HTTPS_PROXY": "http://upper:2"]) == "upper:2")
        #expect(try bypasses("other.com", "https://a.com") == false)
        #expect(try proxy("https://a.com", ["HTTPS_PROXY": "p:1", "no_proxy": "a.com", "NO_PROXY": "b.com"]) == nil)
    }

    @Test("no environment and an empty environment mean no proxy")
    func none() throws {
        #expect(try proxy("https://api.openai.com", [:]) == nil)
        #expect(try ProxyResolver.direct.server(for: #require(Origin("http://x.com"))) == nil)
    }

    @Test("NO_PROXY '*' bypasses every host")
    func star() throws {
        #expect(try bypasses("*", "https://api.openai.com"))
        #expect(try bypasses(" * ", "http://10.1.2.3:8080"))
    }

    @Test("NO_PROXY host names match themselves and subdomains on label boundaries, with or without a leading dot")
    func suffixes() throws {
        #expect(try bypasses("example.com", "https://example.com"))
        #expect(try bypasses("example.com", "https://api.example.com/v1"))
        #expect(try bypasses(".example.com", "https://api.example.com"))
        #expect(try bypasses(".example.com", "https://example.com"))
        #expect(try bypasses("*.example.com", "https://deep.api.example.com"))
        #expect(try !bypasses("example.com", "https://badexample.com"))
        #expect(try !bypasses("api.example.com", "https://example.com"))
        #expect(try bypasses("EXAMPLE.com", "https://Api.Example.COM"))
        #expect(try bypasses("localhost, internal.corp", "http://build.internal.corp:9000"))
        #expect(try bypasses("a.com b.com", "https://b.com"))
    }

    @Test("NO_PROXY IP literals match the address, never a name")
    func addresses() throws {
        #expect(try bypasses("127.0.0.1", "http://127.0.0.1:8080/v1"))
        #expect(try !bypasses("127.0.0.1", "http://127.0.0.2:8080/v1"))
        #expect(try !bypasses("127.0.0.1", "http://localhost:8080/v1"))
        #expect(try bypasses("::1", "http://[::1]:8080/v1"))
        #expect(try bypasses("0:0:0:0:0:0:0:1", "http://[::1]/"))
        #expect(try bypasses("[::1]", "https://[::1]/"))
    }

    @Test("NO_PROXY CIDR blocks match every address inside them")
    func cidr() throws {
        #expect(try bypasses("10.0.0.0/8", "https://10.200.3.4"))
        #expect(try !bypasses("10.0.0.0/8", "https://11.0.0.1"))
        #expect(try bypasses("192.168.1.0/24", "http://192.168.1.255"))
        #expect(try !bypasses("192.168.1.0/24", "http://192.168.2.1"))
        #expect(try bypasses("172.16.0.0/12", "http://172.31.255.1"))
        #expect(try bypasses("::1/128", "http://[::1]:11434"))
        #expect(try bypasses("fd00::/8", "http://[fd12:3456::1]"))
        #expect(try !bypasses("fd00::/8", "http://[fe80::1]"))
        #expect(try bypasses("0.0.0.0/0", "http://8.8.8.8"))
        #expect(try !bypasses("10.0.0.0/8", "http://10.example.com"))
    }

    @Test("NO_PROXY ':port' restricts an entry to one port (the scheme's default when the URL has none)")
    func ports() throws {
        #expect(try bypasses("example.com:8443", "https://example.com:8443"))
        #expect(try !bypasses("example.com:8443", "https://example.com"))
        #expect(try bypasses("example.com:443", "https://example.com"))
        #expect(try bypasses("127.0.0.1:8080", "http://127.0.0.1:8080"))
        #expect(try !bypasses("127.0.0.1:8080", "http://127.0.0.1:8081"))
        #expect(try bypasses("[::1]:8080", "http://[::1]:8080"))
        #expect(try !bypasses("[::1]:8080", "http://[::1]:9090"))
    }

    @Test("an explicit configuration overrides the environment; .none turns proxies off")
    func explicit() throws {
        let configuration = try ProxyConfiguration(url: "http://corp:8080", noProxy: "internal.corp")
        #expect(configuration.server(for: "https://api.openai.com/v1")?.address == "corp:8080")
        #expect(configuration.server(for: "http://localhost:1234")?.address == "corp:8080")
        #expect(configuration.server(for: "https://llm.internal.corp/v1") == nil)
        #expect(ProxyConfiguration.none.server(for: "https://api.openai.com") == nil)
        let split = ProxyConfiguration(https: ProxyServer(host: "s", port: 1), http: nil)
        #expect(split.server(for: "http://a.com") == nil)
        #expect(split.server(for: "https://a.com")?.address == "s:1")
    }

    @Test("proxy URLs: scheme-less host:port, default port 80, percent-decoded credentials, IPv6 in brackets")
    func urls() throws {
        let plain = try ProxyServer(url: "proxy.corp:3128")
        #expect(plain.host == "proxy.corp" && plain.port == 3128 && plain.username == nil)
        #expect(try ProxyServer(url: "http://proxy.corp").port == 80)
        #expect(try ProxyServer(url: "http://proxy.corp:3128/").port == 3128)
        let auth = try ProxyServer(url: "http://user%40corp:p%3Ass@proxy:8080")
        #expect(auth.username == "user@corp" && auth.password?.revealed == "p:ss")
        #expect(auth.authorization == "Basic dXNlckBjb3JwOnA6c3M=")
        let v6 = try ProxyServer(url: "http://[::1]:3128")
        #expect(v6.host == "::1" && v6.address == "[::1]:3128")
    }

    @Test("a malformed proxy URL is an invalidInput error naming the variable, never the password")
    func malformed() throws {
        let cases = ["socks5://user:hunter22@proxy:1080", "http://user:hunter22@proxy:notaport", "https://user:hunter22@proxy:443",
                     "http://user:hunter22@proxy:3128/path", "http://user:hunter22@:3128", "http://proxy:70000"]
        for value in cases {
            let resolver = ProxyResolver(environment: ["HTTPS_PROXY": value])
            let origin = try #require(Origin("https://api.openai.com"))
            let error = #expect(throws: ModelError.self) { try resolver.server(for: origin) }
            guard case .invalidInput(let message, let location)? = error else {
                Issue.record("expected invalidInput for \(value.count)-character value, got \(String(describing: error))")
                continue
            }
            #expect(location == "HTTPS_PROXY")
            #expect(message.contains("HTTPS_PROXY"))
            #expect(!"\(error!)".contains("hunter22"))
        }
    }

    @Test("a malformed ALL_PROXY does not break an https request that HTTPS_PROXY covers")
    func lazy() throws {
        let env = ["HTTPS_PROXY": "http://ok:1", "ALL_PROXY": "socks5://x:1080"]
        #expect(try proxy("https://api.openai.com", env) == "ok:1")
        #expect(throws: ModelError.self) { try proxy("http://example.com", env) }
    }

    @Test("descriptions, dumps and configurations never show the proxy's password")
    func redaction() throws {
        let server = try ProxyServer(url: "http://alice:hunter22@proxy:3128")
        var dumped = ""
        dump(server, to: &dumped)
        let configuration = HTTPConfiguration(proxy: ProxyConfiguration(server),
                                              environment: ["HTTPS_PROXY": "http://bob:hunter22@p:1", "OPENAI_API_KEY": "sk-x"])
        var dumpedConfiguration = ""
        dump(configuration, to: &dumpedConfiguration)
        for text in ["\(server)", String(reflecting: server), dumped, "\(ProxyConfiguration(server))", dumpedConfiguration] {
            #expect(!text.contains("hunter22"), "\(text)")
            #expect(!text.contains("alice"), "\(text)")
        }
        #expect(configuration.environment == ["HTTPS_PROXY": "http://bob:hunter22@p:1"], "only the network variables are kept")
    }
}
