import Crypto
import CryptoExtras
import Foundation
import SmolCore

/// The signed JWT a service account trades for an access token (RFC 7523's JWT bearer grant), made as
/// google-auth makes it.
///
/// Header `{"typ": "JWT", "alg": "RS256", "kid": <private_key_id>}`, claims `{"iat", "exp" (one hour later),
/// "iss": <client_email>, "aud": "https://oauth2.googleapis.com/token", "scope"}`, each written as Python's
/// `json.dumps` writes it and base64url-encoded without padding; the signature is RSASSA-PKCS1-v1_5 with SHA-256.
/// Both the JSON text and that signature scheme are deterministic, so for the same key and time the
/// assertion is byte for byte google-auth's, which the tests check against one google-auth made.
enum GoogleJWT {
    /// google-auth's audience for the grant: Google's token endpoint, whatever `token_uri` the request goes to.
    static let audience = "https://oauth2.googleapis.com/token"
    /// The scope LiteLLM asks for.
    static let cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
    /// google-auth's token lifetime.
    static let lifetime = 3600

    /// The assertion for `account`, issued at `issuedAt` (seconds since 1970).
    ///
    /// - Throws: ``GoogleCredentialsError/invalid(source:reason:)`` when the private key is not a PEM RSA key
    ///   of at least 2048 bits, or signing fails.
    static func assertion(for account: GoogleServiceAccount, scope: String = cloudPlatformScope, issuedAt: Int)
        throws(GoogleCredentialsError) -> String
    {
        var header: JSONObject = ["typ": "JWT", "alg": "RS256"]
        if let id = account.privateKeyID { header["kid"] = .string(id) }
        let claims: JSONObject = [
            "iat": .int(issuedAt), "exp": .int(issuedAt + lifetime), "iss": .string(account.clientEmail),
            "aud": .string(audience), "scope": .string(scope),
        ]
        let signingInput = base64URL(Array(Python.jsonDumps(.object(header)).utf8)) + "."
            + base64URL(Array(Python.jsonDumps(.object(claims)).utf8))
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: account.privateKey.revealed)
        } catch {
            // CryptoKit's error text says nothing about the key's content, but it says nothing useful either.
            throw .invalid(source: "the service account \(account.clientEmail)",
                           reason: "private_key is not a PEM RSA private key of 2048 bits or more")
        }
        do {
            let signature = try key.signature(for: SHA256.hash(data: Array(signingInput.utf8)), padding: .insecurePKCS1v1_5)
            return signingInput + "." + base64URL(Array(signature.rawRepresentation))
        } catch {
            throw .invalid(source: "the service account \(account.clientEmail)", reason: "signing the JWT failed")
        }
    }

    /// Base64url without padding (RFC 7515).
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
