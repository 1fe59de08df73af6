import Foundation
import NIOSSL
import SmolCore
import Synchronization

/// What a transport's connections share: timeouts, limits, compression, proxies and TLS trust.
struct TransportSettings: Sendable {
    var connectTimeout: Duration
    var readTimeout: Duration
    var decompression: Bool
    var maximumConnectionsPerHost: Int
    let proxies: ProxyResolver
    private let tls: TLSContextCache

    init(_ configuration: HTTPConfiguration) {
        connectTimeout = configuration.connectTimeout
        readTimeout = configuration.readTimeout
        decompression = configuration.decompression
        maximumConnectionsPerHost = max(1, configuration.maximumConnectionsPerHost)
        let environment = configuration.networkVariables?.values ?? [:]
        proxies = configuration.proxy.map { ProxyResolver($0) } ?? ProxyResolver(environment: environment)
        tls = TLSContextCache(TLSTrust(configuration, environment: environment))
    }

    /// The TLS client context (built once: loading roots is expensive). Throws
    /// ``/SmolCore/ModelError/invalidInput(message:location:)`` naming the file or variable that could not
    /// be used.
    func tlsContext() throws -> NIOSSLContext {
        try tls.context()
    }
}

/// Where trust and the client identity come from, before any file is read.
struct TLSTrust: Sendable {
    /// Replaces the system roots: a path and the setting or variable it came from.
    var bundle: (path: String, source: String)?
    /// `SSL_CERT_DIR`: an OpenSSL hashed directory (`c_rehash`), added to (or instead of) the roots.
    var directory: (path: String, source: String)?
    var additionalPEM: String?
    var clientCertificatePath: String?
    var clientPrivateKeyPath: String?

    init(_ configuration: HTTPConfiguration, environment: [String: String]) {
        func variable(_ name: String) -> (path: String, source: String)? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return (value, name)
        }
        if let path = configuration.caBundlePath {
            // An explicit bundle is the whole trust, as curl's --cacert: the environment is not consulted.
            bundle = (path, "caBundlePath")
        } else {
            bundle = variable("SSL_CERT_FILE")
            directory = variable("SSL_CERT_DIR")
        }
        additionalPEM = configuration.trustedRootCertificatesPEM
        clientCertificatePath = configuration.clientCertificatePath
        clientPrivateKeyPath = configuration.clientPrivateKeyPath
    }

    /// The client configuration, every file read and checked here so a problem names its file.
    func configuration() throws(ModelError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let bundle {
            tls.trustRoots = .certificates(try Self.certificates(at: bundle.path, source: bundle.source))
        }
        if let directory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isReadableFile(atPath: directory.path)
            else {
                throw .invalidInput(message: "\(directory.source) names \(directory.path), which is not a readable directory",
                                    location: directory.source)
            }
            // OpenSSL looks certificates up by subject hash there (`openssl rehash`), as Python's ssl does.
            if bundle == nil {
                tls.trustRoots = .file(directory.path)
            } else {
                tls.additionalTrustRoots.append(.file(directory.path))
            }
        }
        if let pem = additionalPEM {
            if let certificates = HTTPConfiguration.certificates(fromPEM: pem) {
                tls.additionalTrustRoots.append(.certificates(certificates))
            } else {
                // Malformed PEM: fail closed (trust nothing) rather than crash or silently ignore it.
                tls.trustRoots = .certificates([])
                tls.additionalTrustRoots = []
            }
        }
        if let certificatePath = clientCertificatePath {
            let chain = try Self.certificates(at: certificatePath, source: "clientCertificatePath")
            let keyPath = clientPrivateKeyPath ?? certificatePath
            let keySource = clientPrivateKeyPath == nil ? "clientCertificatePath" : "clientPrivateKeyPath"
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(bytes: try Self.read(keyPath, source: keySource), format: .pem)
            } catch let error as ModelError {
                throw error
            } catch {
                // Never the key's bytes or the library's error text: only which file failed.
                throw .invalidInput(message: "\(keySource) names \(keyPath), which holds no usable PEM private key "
                                    + "(an encrypted key is not supported)", location: keySource)
            }
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(key)
        } else if clientPrivateKeyPath != nil {
            throw .invalidInput(message: "clientPrivateKeyPath is set without clientCertificatePath",
                                location: "clientPrivateKeyPath")
        }
        return tls
    }

    private static func read(_ path: String, source: String) throws(ModelError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw .invalidInput(message: "\(source) names \(path), which \(reason)", location: source)
        }
        return Array(data)
    }

    private static func certificates(at path: String, source: String) throws(ModelError) -> [NIOSSLCertificate] {
        let bytes = try read(path, source: source)
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes), !certificates.isEmpty else {
            throw .invalidInput(message: "\(source) names \(path), which holds no valid PEM certificate", location: source)
        }
        return certificates
    }
}

/// Builds the context on first use and keeps it, or the error that prevented it.
private final class TLSContextCache: Sendable {
    private let trust: TLSTrust
    private let cached = Mutex<Result<NIOSSLContext, any Error>?>(nil)

    init(_ trust: TLSTrust) {
        self.trust = trust
    }

    func context() throws -> NIOSSLContext {
        try cached.withLock { cached in
            if let cached { return try cached.get() }
            let result = Result<NIOSSLContext, any Error> { try NIOSSLContext(configuration: try trust.configuration()) }
            cached = result
            return try result.get()
        }
    }
}
