import Crypto
import Foundation
import SmolCore

/// An AWS access key pair, with the session token of temporary (STS) credentials.
///
/// The secret key and the token are ``/SmolCore/Secret``s: printing, dumping or interpolating credentials never
/// shows them. The access key ID is not secret (it appears in every `Authorization` header).
public struct AWSCredentials: Sendable, Equatable {
    /// The access key ID (`AKIA…` for long-term keys, `ASIA…` for temporary ones).
    public var accessKeyID: String
    /// The secret access key.
    public var secretAccessKey: Secret
    /// The session token of temporary credentials; sent, and signed, as `X-Amz-Security-Token`.
    public var sessionToken: Secret?
    /// When temporary credentials stop working; `nil` for long-term keys. ``AWSCredentialsProvider`` refreshes
    /// before this time.
    public var expiration: Date?

    /// Creates credentials from their parts.
    public init(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

/// Signs HTTP requests with AWS Signature Version 4, exactly as botocore's `SigV4Auth` does.
///
/// The canonical request follows botocore (and the AWS SigV4 test suite):
/// - the path is normalized (dot segments removed, runs of `/` collapsed, an empty path is `/`) and then
///   percent-encoded **again**, keeping only unreserved characters, `/` and `~`. So a Bedrock model ID that is
///   `…v1%3A0` on the wire is `…v1%253A0` in the canonical request. (S3 signs paths differently; this signer is
///   not meant for S3.)
/// - query parameters are percent-decoded, re-encoded with only `A–Z a–z 0–9 - _ . ~` left as they are, and
///   sorted by name and then value. For a URL whose query is already encoded that way (botocore's serializers
///   produce such URLs) this is exactly botocore's canonical query string. `+` is taken literally (`%2B`).
/// - every header is signed except botocore's unsigned list (`user-agent`, `connection`, `expect`,
///   `keep-alive`, `proxy-authenticate`, `proxy-authorization`, `te`, `trailer`, `transfer-encoding`,
///   `upgrade`, `x-amzn-trace-id`); names are lowercased and sorted, values trimmed with inner whitespace
///   runs collapsed to one space, and repeated headers joined with `,`. When no `Host` header is given, the
///   signed `host` comes from the URL: the lowercased host name, with the port unless it is the scheme's
///   default. As in botocore, that `Host` header is not added to the returned headers: the HTTP client sends
///   it (AsyncHTTPClient derives the same value from the URL).
/// - the payload hash is the hex SHA-256 of the body, or the value of an `X-Amz-Content-SHA256` header.
///
/// The timestamp goes in `X-Amz-Date`, or in `Date` (RFC 1123 form) when the request already has a `Date`
/// header; the session token, when there is one, in `X-Amz-Security-Token`. Both are signed.
public struct SigV4Signer: Sendable {
    /// The credentials requests are signed with.
    public var credentials: AWSCredentials
    /// The AWS region in the credential scope (`us-east-1`).
    public var region: String
    /// The signing name of the service in the credential scope (`bedrock` for Bedrock Runtime).
    public var service: String

    /// Creates a signer for one service in one region.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to send for a request: `headers` without any previous `Authorization`, `X-Amz-Date` or
    /// `X-Amz-Security-Token`, followed by the new `X-Amz-Date` (or `Date`), `X-Amz-Security-Token` (with
    /// session credentials) and `Authorization`.
    ///
    /// - Parameters:
    ///   - method: The HTTP method (`POST`).
    ///   - url: The URL exactly as it goes on the wire (path segments already percent-encoded).
    ///   - headers: The headers that will be sent, in order. Include `Content-Type` and any other header the
    ///     server should see signed; headers added after signing are not covered by the signature.
    ///   - body: The request body as sent.
    ///   - date: The signing time (the current time for real requests).
    public func sign(method: String, url: String, headers: [(String, String)], body: [UInt8], date: Date)
        -> [(String, String)]
    {
        signing(method: method, url: url, headers: headers, body: body, date: date).headers
    }

    /// Every intermediate value of one signature, for tests and diagnostics.
    struct Signing {
        var headers: [(String, String)]
        var canonicalRequest, stringToSign, signature, authorization: String
    }

    /// Signs a request and returns every intermediate value (see ``sign(method:url:headers:body:date:)``).
    func signing(method: String, url: String, headers: [(String, String)], body: [UInt8], date: Date) -> Signing {
        let timestamp = Self.timestamp(date)
        var sent = Self.removing("authorization", from: headers)
        if sent.contains(where: { $0.0.lowercased() == "date" }) {
            sent = Self.removing("date", from: sent)
            sent.append(("Date", Self.httpDate(date)))
            sent = Self.removing("x-amz-date", from: sent)
        } else {
            sent = Self.removing("x-amz-date", from: sent)
            sent.append(("X-Amz-Date", timestamp))
        }
        if let token = credentials.sessionToken, !token.isEmpty {
            sent = Self.removing("x-amz-security-token", from: sent)
            sent.append(("X-Amz-Security-Token", token.revealed))
        }
        let canonical = canonicalRequest(method: method, url: url, headers: sent, body: body)
        let toSign = stringToSign(canonicalRequest: canonical, timestamp: timestamp)
        let signature = self.signature(stringToSign: toSign, timestamp: timestamp)
        let signed = Self.headersToSign(url: url, headers: sent).map(\.name).joined(separator: ";")
        let scope = "\(credentials.accessKeyID)/\(credentialScope(timestamp: timestamp))"
        let authorization = "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=\(signed), Signature=\(signature)"
        sent.append(("Authorization", authorization))
        return Signing(
            headers: sent, canonicalRequest: canonical, stringToSign: toSign, signature: signature,
            authorization: authorization)
    }

    /// The canonical request for `headers` as they will be sent (with their `X-Amz-Date` already set).
    func canonicalRequest(method: String, url: String, headers: [(String, String)], body: [UInt8]) -> String {
        let parts = SigV4URL(url)
        let signed = Self.headersToSign(url: url, headers: headers)
        let canonicalHeaders = signed.map { "\($0.name):\($0.value)\n" }.joined()
        let payloadHash =
            headers.first(where: { $0.0.lowercased() == "x-amz-content-sha256" })?.1
            ?? Self.hex(Array(SHA256.hash(data: body)))
        return [
            method.uppercased(),
            SigV4Encoding.encode(Self.normalizedPath(parts.path), keeping: "/~"),
            Self.canonicalQuery(parts.query),
            canonicalHeaders,
            signed.map(\.name).joined(separator: ";"),
            payloadHash,
        ].joined(separator: "\n")
    }

    /// `AWS4-HMAC-SHA256`, the timestamp, the credential scope and the hex SHA-256 of the canonical request.
    func stringToSign(canonicalRequest: String, timestamp: String) -> String {
        [
            "AWS4-HMAC-SHA256", timestamp, credentialScope(timestamp: timestamp),
            Self.hex(Array(SHA256.hash(data: Array(canonicalRequest.utf8)))),
        ].joined(separator: "\n")
    }

    /// The hex HMAC of the string to sign under the key derived from the secret, date, region and service.
    func signature(stringToSign: String, timestamp: String) -> String {
        var key = Array("AWS4\(credentials.secretAccessKey.revealed)".utf8)
        for part in [String(timestamp.prefix(8)), region, service, "aws4_request"] {
            key = Self.hmac(key: key, part)
        }
        return Self.hex(Self.hmac(key: key, stringToSign))
    }

    /// `YYYYMMDD/region/service/aws4_request`.
    func credentialScope(timestamp: String) -> String {
        "\(timestamp.prefix(8))/\(region)/\(service)/aws4_request"
    }

    /// Header names botocore never signs: hop-by-hop headers and ones that proxies rewrite.
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// The signed headers: lowercased names, sorted, each with its values trimmed and joined by `,`.
    static func headersToSign(url: String, headers: [(String, String)]) -> [(name: String, value: String)] {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard !unsignedHeaders.contains(lowered) else { continue }
            values[lowered, default: []].append(trimAll(value))
        }
        if values["host"] == nil { values["host"] = [SigV4URL(url).hostHeader] }
        return values.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { name, values in
            (name, values.joined(separator: ","))
        }
    }

    /// The value with leading and trailing whitespace removed and inner runs collapsed to one space
    /// (Python's `' '.join(value.split())`).
    static func trimAll(_ value: String) -> String {
        value.unicodeScalars.split { $0.properties.isWhitespace || (0x1C...0x1F).contains($0.value) }
            .map { String(Substring($0)) }.joined(separator: " ")
    }

    /// RFC 3986 "remove dot segments", also collapsing runs of `/` (botocore's `normalize_url_path`).
    static func normalizedPath(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." { continue }
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
            } else {
                output.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    /// The query's parameters, decoded and re-encoded strictly, sorted by name and then value.
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = item.firstIndex(of: "=") {
                name = item[..<equals]
                value = item[item.index(after: equals)...]
            } else {
                (name, value) = (item, "")
            }
            pairs.append((SigV4Encoding.reencode(name), SigV4Encoding.reencode(value)))
        }
        pairs.sort { lhs, rhs in
            lhs.0 == rhs.0 ? lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8) : lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8)
        }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `headers` without any header named `name` (compared case-insensitively).
    static func removing(_ name: String, from headers: [(String, String)]) -> [(String, String)] {
        headers.filter { $0.0.lowercased() != name }
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC, whole seconds.
    static func timestamp(_ date: Date) -> String {
        let time = utc(date)
        return pad(time.year, 4) + pad(time.month) + pad(time.day) + "T" + pad(time.hour) + pad(time.minute)
            + pad(time.second) + "Z"
    }

    /// `Sun, 30 Aug 2015 12:36:00 -0000`, as Python's `email.utils.formatdate` writes it.
    static func httpDate(_ date: Date) -> String {
        let time = utc(date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(days[time.weekday]), \(pad(time.day)) \(months[time.month - 1]) \(pad(time.year, 4)) "
            + "\(pad(time.hour)):\(pad(time.minute)):\(pad(time.second)) -0000"
    }

    /// `value` in decimal, left-padded with zeros to `width` digits.
    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// The UTC calendar fields of `date`, truncated to the second (weekday 0 is Sunday).
    private static func utc(_ date: Date) -> (year: Int, month: Int, day: Int, weekday: Int, hour: Int, minute: Int, second: Int) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4).
        return (year, month, day, weekday, secondOfDay / 3_600, secondOfDay % 3_600 / 60, secondOfDay % 60)
    }

    static func hmac(key: [UInt8], _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key)))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The parts of a URL that SigV4 needs, split the way Python's `urlsplit` splits them. It accepts what
/// Foundation's `URL` rejects (spaces, raw non-ASCII), since the signature is over the text as given.
struct SigV4URL {
    var scheme = ""
    var authority = ""
    var path = ""
    var query = ""

    init(_ url: String) {
        var rest = Substring(url.trimmingCharacters(in: .whitespacesAndNewlines))
        if let colon = rest.firstIndex(of: ":"), colon != rest.startIndex,
            rest[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }),
            rest[rest.startIndex].isLetter
        {
            scheme = rest[..<colon].lowercased()
            rest = rest[rest.index(after: colon)...]
        }
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            authority = String(rest[..<end])
            rest = rest[end...]
        }
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        path = String(rest)
    }

    /// The `host` header value botocore derives: lowercased host, no user info, the port unless it is the
    /// scheme's default (80 for http, 443 for https).
    var hostHeader: String {
        var host = Substring(authority)
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        var port: Substring = ""
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let rest = host[host.index(after: close)...]
            if rest.hasPrefix(":") { port = rest.dropFirst() }
            host = host[...close]
        } else if let colon = host.lastIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        let name = host.lowercased()
        guard let number = Int(port) else { return name }
        let defaultPort = ["http": 80, "https": 443][scheme]
        return number == defaultPort ? name : "\(name):\(number)"
    }
}

/// Percent-encoding as SigV4 needs it: UTF-8 bytes, upper-case hex, only unreserved characters kept.
enum SigV4Encoding {
    /// `text` with every byte except `A–Z a–z 0–9 - _ . ~` and the characters in `keeping` percent-encoded
    /// (Python's `quote(text, safe=keeping)`).
    static func encode<S: StringProtocol>(_ text: S, keeping: String = "") -> String {
        encode(bytes: Array(text.utf8), keeping: keeping)
    }

    /// `text` percent-decoded and then encoded strictly; bytes that are not UTF-8 survive as `%XX`.
    static func reencode<S: StringProtocol>(_ text: S) -> String {
        encode(bytes: decode(text))
    }

    /// The bytes percent-encoded, keeping only unreserved characters and those in `keeping`.
    static func encode(bytes: [UInt8], keeping: String = "") -> String {
        let kept = Set(keeping.utf8)
        let digits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                output.append(byte)
            case _ where kept.contains(byte):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of `text` with each valid `%XX` replaced by its byte; anything else, `+` included, is kept.
    static func decode<S: StringProtocol>(_ text: S) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
