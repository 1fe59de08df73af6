import Testing

@testable import SmolCore

/// Issue 14, item 4: a key echoed in any escaped spelling must not survive redaction.
@Suite("Secret.redact matches every escaped spelling of a key")
struct SecretRedactionTests {
    static let key = Secret("sk-proj/AbC+9\"x")

    @Test("the key as is, and inside other text, is redacted", arguments: [
        "sk-proj/AbC+9\"x", "key: sk-proj/AbC+9\"x.", "sk-proj/AbC+9\"xsk-proj/AbC+9\"x",
    ])
    func verbatim(text: String) {
        let redacted = Secret.redact(text, secrets: [Self.key])
        #expect(!redacted.contains("sk-proj"), "\(redacted)")
        #expect(redacted.contains("[REDACTED]"))
    }

    @Test("JSON escapes of any character, in either case of hex digit, and of the slash and quote", arguments: [
        #"\u0073k-proj/AbC+9\"x"#,  // the leading s escaped, as Python's json.dumps(ensure_ascii) may write it
        #"\u0073\u006B\u002d\u0070roj\/AbC+9\u0022x"#,  // mixed-case hex, \/ and \u0022
        #"\U0073k-proj\/AbC\u002B9\"x"#,  // upper-case U, as some encoders write
        #"\\u0073k-proj\\/AbC+9\\\"x"#,  // escaped twice: JSON quoted inside a JSON string
        "sk%2Dproj%2fAbC%2B9%22x",  // percent-encoded, as in an echoed URL
        #"s\u006b%2dproj/AbC+9\"x"#,  // a mix of all of them
    ])
    func escaped(spelling: String) {
        let text = #"{"error":{"message":"Incorrect API key provided: "# + spelling + #""}}"#
        let redacted = Secret.redact(text, secrets: [Self.key])
        #expect(redacted == #"{"error":{"message":"Incorrect API key provided: [REDACTED]"}}"#, "\(redacted)")
    }

    @Test("text that only resembles the key is left alone")
    func nearMissesAreKept() {
        for text in [#"\u0073k-proj/AbC+9\"y"#, "sk-proj/AbC+8\"x", #"\u0074k-proj/AbC+9"x"#, "sk%2Xproj/AbC+9\"x"] {
            #expect(Secret.redact(text, secrets: [Self.key]) == text)
        }
    }

    @Test("a key outside the Basic Multilingual Plane is matched in its surrogate-pair escape")
    func surrogatePairs() {
        let key = Secret("tok😀en")
        #expect(Secret.redact(#"x \ud83d\uDE00 tok\uD83D\ude00en y"#, secrets: [key]) == #"x \ud83d\uDE00 [REDACTED] y"#)
    }

    @Test("a redacted error's description shows no spelling of the key")
    func modelErrorRedaction() {
        let error = ModelError.http(status: 401, message: "Incorrect API key provided: sk-proj/AbC+9\"x",
                                    body: #"{"error":"\u0073k-proj\/AbC+9\"x"}"#)
            .redacted([Self.key])
        guard case .http(_, let message, _, let body) = error else { Issue.record("\(error)"); return }
        #expect(message == "Incorrect API key provided: [REDACTED]")
        #expect(body == #"{"error":"[REDACTED]"}"#)
        #expect(!error.description.contains("AbC"))
    }
}
