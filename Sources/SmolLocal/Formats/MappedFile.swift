#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory, whose bytes stay valid for the lifetime of the object.
///
/// Weights are read in place from the mapping, so a model costs no heap copy of its tensors.
/// Every view taken through ``bytes(at:count:what:)`` is bounds-checked against the file size.
public final class MappedFile: Sendable {
    /// The path the file was opened from (used in error messages).
    public let path: String
    /// The size of the file in bytes.
    public let count: Int
    // The mapping is never written (PROT_READ) and unmapped only in deinit, when no other reference
    // can exist, so sharing the raw address across threads is safe. Stored as an integer because raw
    // pointers are not Sendable.
    private let address: UInt

    /// Maps the file at `path` read-only.
    ///
    /// - Throws: ``ModelFileError/cannotOpen(path:reason:)`` when the file cannot be opened or mapped.
    public init(path: String) throws(ModelFileError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if (info.st_mode & S_IFMT) != S_IFREG { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        self.count = size
        if size == 0 {
            address = 0
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        address = UInt(bitPattern: base)
    }

    /// Copies `bytes` into a private anonymous mapping, so in-memory data (tests, downloads) can be parsed
    /// like a file; `name` stands in for the path in error messages.
    public init(copying bytes: some Collection<UInt8>, name: String) throws(ModelFileError) {
        path = name
        count = bytes.count
        if count == 0 {
            address = 0
            return
        }
        guard let base = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), base != MAP_FAILED else {
            throw .cannotOpen(path: name, reason: String(cString: strerror(errno)))
        }
        UnsafeMutableRawBufferPointer(start: base, count: count).copyBytes(from: bytes)
        mprotect(base, count, PROT_READ)
        address = UInt(bitPattern: base)
    }

    deinit {
        if address != 0, let base = UnsafeMutableRawPointer(bitPattern: address) {
            munmap(base, count)
        }
    }

    /// The whole mapping (empty for an empty file).
    public var allBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: count)
    }

    /// A view of `count` bytes starting at `offset`, after checking that it lies inside the file.
    ///
    /// The view is valid only while this object is alive.
    /// - Throws: ``ModelFileError/outOfBounds(path:offset:count:fileSize:what:)``.
    public func bytes(at offset: Int, count length: Int, what: String) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw .outOfBounds(path: path, offset: offset, count: length, fileSize: count, what: what)
        }
        return UnsafeRawBufferPointer(rebasing: allBytes[offset..<(offset + length)])
    }
}
