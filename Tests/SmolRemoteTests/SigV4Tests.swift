import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// The AWS Signature Version 4 test suite (from botocore), bundled under `Fixtures/aws4_testsuite`.
enum AWS4TestSuite {
    static var directory: URL? { Bundle.module.resourceURL?.appendingPathComponent("Fixtures/aws4_testsuite") }

    /// The suite's fixed inputs.
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    /// Cases botocore skips that we skip too, with the reason. Empty: the Swift signer passes every case,
    /// including the four botocore skips (`normalize-path/get-space`, whose request line Python's HTTP
    /// parser rejects, and the three duplicate-query-key cases its dict-based parameters cannot express).
    static let skipped: [String: String] = [:]

    /// Every case, found by listing the folder: the relative path of each folder holding a `.req` file.
    static func caseNames() -> [String] {
        guard let directory, let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        var names: [String] = []
        while let path = enumerator.nextObject() as? String {
            if path.hasSuffix(".req") { names.append((path as NSString).deletingLastPathComponent) }
        }
        return names.sorted()
    }

    struct Case {
        var request: RawHTTPRequest
        var canonicalRequest: String
        var stringToSign: String
        var authorization: String
        /// The session token: the `x-amz-security-token` line of the expected canonical request (as botocore reads it).
        var token: String?
    }

    static func load(_ name: String) throws -> Case {
        let folder = try #require(directory).appendingPathComponent(name)
        let base = (name as NSString).lastPathComponent
        func read(_ suffix: String) throws -> String {
            let data = try Data(contentsOf: folder.appendingPathComponent(base + suffix))
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        }
        let canonical = try read(".creq")
        let token = canonical.split(separator: "\n").first { $0.hasPrefix("x-amz-security-token:") }
            .map { String($0.dropFirst("x-amz-security-token:".count)) }
        return Case(request: RawHTTPRequest(parsing: try read(".req")), canonicalRequest: canonical,
                    stringToSign: try read(".sts"), authorization: try read(".authz"), token: token)
    }
}

/// A raw HTTP/1.1 request as the suite writes it: request line, headers (indented lines continue the previous
/// header), a blank line and the body. The target is everything between the method and the last ` HTTP/`.
struct RawHTTPRequest {
    var method = ""
    var target = ""
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    init(parsing text: String) {
        var lines = text.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        if let space = requestLine.firstIndex(of: " ") {
            method = String(requestLine[..<space])
            let rest = requestLine[requestLine.index(after: space)...]
            target = String(rest.range(of: " HTTP/", options: .backwards).map { rest[..<$0.lowerBound] } ?? rest)
        }
        while !lines.isEmpty {
            let line = lines.removeFirst()
            if line.isEmpty {
                body = Array(lines.joined(separator: "\n").utf8)
                break
            }
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].1 += " " + line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
    }

    var host: String { headers.first { $0.0.lowercased() == "host" }?.1 ?? "" }
}

/// The Bedrock vectors botocore signed (`scripts/oracles/make_sigv4_vectors.py`).
enum BedrockSigV4Vectors {
    struct Vector: Decodable, CustomTestStringConvertible {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var session_token: String?
        }
        var name: String
        var service: String
        var region: String
        var credentials: Credentials
        var epoch_seconds: Double
        var method: String
        var url: String
        var headers_in: [[String]]
        var body: String
        var canonical_request: String
        var string_to_sign: String
        var authorization: String
        var headers_out: [[String]]
        var checked_against_client: Bool

        var testDescription: String { name }
    }

    struct Document: Decodable {
        var botocore_version: String
        var vectors: [Vector]
    }

    static func load() throws -> Document {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/bedrock/sigv4-vectors.json")
        return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url))
    }

    static let vectors: [Vector] = (try? load().vectors) ?? []
}

@Suite("SigV4 signing")
struct SigV4Tests {
    @Test("the bundled AWS SigV4 test suite is complete, and no case is skipped silently")
    func suiteIsBundled() throws {
        let names = AWS4TestSuite.caseNames()
        #expect(names.count == 34, "found \(names)")
        for name in ["get-vanilla", "get-utf8", "normalize-path/get-space", "post-sts-token/post-sts-header-after"] {
            #expect(names.contains(name))
        }
        #expect(Set(AWS4TestSuite.skipped.keys).isSubset(of: Set(names)))
        let notice = try String(contentsOf: try #require(AWS4TestSuite.directory).appendingPathComponent("NOTICE"), encoding: .utf8)
        #expect(notice.contains("AWS Signature Version 4 Test Suite"))
    }

    @Test("each AWS test suite case gives the expected canonical request, string to sign and Authorization",
          arguments: AWS4TestSuite.caseNames())
    func awsTestSuiteCase(_ name: String) throws {
        if let reason = AWS4TestSuite.skipped[name] {
            print("skipping \(name): \(reason)")
            return
        }
        let testCase = try AWS4TestSuite.load(name)
        var credentials = AWS4TestSuite.credentials
        credentials.sessionToken = testCase.token.map { Secret($0) }
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let request = testCase.request
        let signing = signer.signing(
            method: request.method, url: "https://\(request.host)\(request.target)", headers: request.headers,
            body: request.body, date: AWS4TestSuite.date)
        #expect(signing.canonicalRequest == testCase.canonicalRequest)
        #expect(signing.stringToSign == testCase.stringToSign)
        #expect(signing.authorization == testCase.authorization)
        #expect(signing.headers.last.map { [$0.0, $0.1] } == ["Authorization", testCase.authorization])
    }

    @Test("the Bedrock vectors were generated by botocore, several of them cross-checked against a boto3 client")
    func bedrockVectorsAreBundled() throws {
        let document = try BedrockSigV4Vectors.load()
        #expect(document.botocore_version == "1.43.11")
        #expect(document.vectors.count >= 10)
        #expect(document.vectors.filter(\.checked_against_client).count >= 9)
        #expect(document.vectors.contains { $0.url.contains("arn%3Aaws%3Abedrock") && $0.credentials.session_token != nil })
        #expect(document.vectors.contains { $0.url.hasSuffix("/converse-stream") })
    }

    @Test("each Bedrock request is signed exactly as botocore signs it", arguments: BedrockSigV4Vectors.vectors)
    func bedrockVector(_ vector: BedrockSigV4Vectors.Vector) {
        let credentials = AWSCredentials(
            accessKeyID: vector.credentials.access_key_id, secretAccessKey: Secret(vector.credentials.secret_access_key),
            sessionToken: vector.credentials.session_token.map { Secret($0) })
        let signer = SigV4Signer(credentials: credentials, region: vector.region, service: vector.service)
        let headers = vector.headers_in.map { ($0[0], $0[1]) }
        let date = Date(timeIntervalSince1970: vector.epoch_seconds)
        let signing = signer.signing(method: vector.method, url: vector.url, headers: headers, body: Array(vector.body.utf8), date: date)
        #expect(signing.canonicalRequest == vector.canonical_request)
        #expect(signing.stringToSign == vector.string_to_sign)
        #expect(signing.authorization == vector.authorization)
        let sent = signer.sign(method: vector.method, url: vector.url, headers: headers, body: Array(vector.body.utf8), date: date)
        #expect(sent.map { [$0.0, $0.1] } == vector.headers_out)
    }

    @Test("the Bedrock model id is percent-encoded again in the canonical URI")
    func modelIDIsDoubleEncoded() {
        let signer = SigV4Signer(credentials: AWS4TestSuite.credentials, region: "us-west-2", service: "bedrock")
        let canonical = signer.canonicalRequest(
            method: "POST", url: "https://bedrock-runtime.us-west-2.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A1%3Ax%2Fy/converse",
            headers: [("X-Amz-Date", "20240102T030405Z")], body: [])
        #expect(canonical.split(separator: "\n")[1] == "/model/arn%253Aaws%253Abedrock%253Aus-west-2%253A1%253Ax%252Fy/converse")
    }

    @Test("paths are normalized as botocore normalizes them")
    func pathNormalization() {
        let cases: [(String, String)] = [
            ("", "/"), ("/", "/"), ("//", "/"), ("/a/./b/../c", "/a/c"), ("/a/b/", "/a/b/"), ("/../..", "/"),
            ("/a//b//", "/a/b/"), ("relative/x", "relative/x"), ("/./", "/"),
        ]
        for (path, expected) in cases {
            #expect(SigV4Signer.normalizedPath(path) == expected, "\(path)")
        }
    }

    @Test("query parameters are decoded, re-encoded strictly and sorted by name then value")
    func canonicalQuery() {
        #expect(SigV4Signer.canonicalQuery("") == "")
        #expect(SigV4Signer.canonicalQuery("b=2&a=1&a=0") == "a=0&a=1&b=2")
        #expect(SigV4Signer.canonicalQuery("flag&x=") == "flag=&x=")
        #expect(SigV4Signer.canonicalQuery("k=a%2fb%3D&sp=a b&plus=a+b") == "k=a%2Fb%3D&plus=a%2Bb&sp=a%20b")
        #expect(SigV4Signer.canonicalQuery("bad=%zz&raw=%FF") == "bad=%25zz&raw=%FF")
        #expect(SigV4Signer.canonicalQuery("a=1&&b=2") == "a=1&b=2")
    }

    @Test("the signed host comes from the URL: lowercased, without user info or the default port")
    func hostHeader() {
        #expect(SigV4URL("https://Example.COM/x").hostHeader == "example.com")
        #expect(SigV4URL("https://example.com:443/x").hostHeader == "example.com")
        #expect(SigV4URL("http://example.com:80").hostHeader == "example.com")
        #expect(SigV4URL("http://127.0.0.1:18080/model").hostHeader == "127.0.0.1:18080")
        #expect(SigV4URL("https://user:pw@host:8443?q=1").hostHeader == "host:8443")
        #expect(SigV4URL("https://[::1]:9000/p").hostHeader == "[::1]:9000")
        let parts = SigV4URL("HTTPS://h/a b/c?x=1&y=2#frag")
        #expect((parts.scheme, parts.path, parts.query) == ("https", "/a b/c", "x=1&y=2"))
    }

    @Test("an explicit Host header is signed instead of the URL's host")
    func explicitHostHeader() {
        let headers = SigV4Signer.headersToSign(url: "https://a.example", headers: [("HOST", "  b.example ")])
        #expect(headers.map(\.name) == ["host"])
        #expect(headers.first?.value == "b.example")
    }

    @Test("timestamps are UTC, truncated to the second, before and after 1970")
    func timestamps() {
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 1_440_938_160.999)) == "20150830T123600Z")
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: -1)) == "19691231T235959Z")
        #expect(SigV4Signer.httpDate(Date(timeIntervalSince1970: 1_440_938_160)) == "Sun, 30 Aug 2015 12:36:00 -0000")
        #expect(SigV4Signer.httpDate(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 -0000")
    }

    @Test("header values are trimmed and inner whitespace runs collapse to one space")
    func headerTrimming() {
        #expect(SigV4Signer.trimAll("  a \t b\n\n c  ") == "a b c")
        #expect(SigV4Signer.trimAll("\"a   b\"") == "\"a b\"")
        #expect(SigV4Signer.trimAll("") == "")
    }

    @Test("an X-Amz-Content-SHA256 header stands in for the payload hash")
    func contentSHA256Header() {
        let signer = SigV4Signer(credentials: AWS4TestSuite.credentials, region: "us-east-1", service: "s")
        let canonical = signer.canonicalRequest(
            method: "put", url: "https://h/", headers: [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], body: [1, 2, 3])
        #expect(canonical.hasPrefix("PUT\n"))
        #expect(canonical.hasSuffix("\nUNSIGNED-PAYLOAD"))
    }

    @Test("credentials never print their secret key or session token, and signing never sends the secret")
    func secretsStayHidden() {
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "TOKEN-VALUE-123")
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "bedrock")
        var dumped = ""
        dump(signer, to: &dumped)
        for text in [String(describing: credentials), String(reflecting: credentials), "\(signer)", dumped] {
            #expect(!text.contains("wJalrXUtnFEMI"))
            #expect(!text.contains("TOKEN-VALUE-123"))
        }
        let sent = signer.sign(method: "POST", url: "https://h/", headers: [], body: [], date: AWS4TestSuite.date)
        #expect(!sent.contains { $0.1.contains("wJalrXUtnFEMI") })
        #expect(sent.contains { $0.0 == "X-Amz-Security-Token" && $0.1 == "TOKEN-VALUE-123" })
    }
}
