#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random-access bytes that a data set is read from: a file, memory, or anything else
/// (a NIO ByteBuffer, an object-store range reader) that can answer "these bytes at this offset".
public protocol ByteSource: AnyObject, Sendable {
    /// Total length, known up front; lengths in the data are checked against it before any allocation.
    var length: UInt64 { get }
    /// Copies up to `buffer.count` bytes from `offset`; returns how many (0 only at the end).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(DicomReadError) -> Int
    /// A path, when the bytes are a file's, so that values left unread can be referenced.
    var path: String? { get }
}

extension ByteSource {
    /// Reads exactly `count` bytes at `offset`.
    public func bytes(at offset: UInt64, count: Int) throws(DicomReadError) -> [UInt8] {
        guard count >= 0, offset <= length, UInt64(count) <= length - offset else {
            throw DicomReadError(.truncated(needed: UInt64(max(count, 0)), available: length &- offset), offset: offset)
        }
        var done = 0
        var failure: DicomReadError?
        // Not zero-filled first: the read fills it, and only what was read counts as initialised.
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            defer { initialized = done }
            while done < count {
                do {
                    let n = try read(at: offset + UInt64(done), into: UnsafeMutableRawBufferPointer(rebasing: raw[done..<count]))
                    if n == 0 { break }
                    done += n
                } catch let e as DicomReadError {
                    failure = e
                    break
                } catch {
                    break
                }
            }
        }
        if let failure { throw failure }
        guard done == count else {
            throw DicomReadError(.truncated(needed: UInt64(count), available: UInt64(done)), offset: offset)
        }
        return out
    }
}

/// Bytes in memory.
public final class MemoryByteSource: ByteSource {
    public let data: [UInt8]
    public var length: UInt64 { UInt64(data.count) }
    public var path: String? { nil }

    public init(_ data: [UInt8]) { self.data = data }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(DicomReadError) -> Int {
        guard offset < UInt64(data.count) else { return 0 }
        let start = Int(offset)
        let n = min(buffer.count, data.count - start)
        guard n > 0, let destination = buffer.baseAddress else { return 0 }
        data.withUnsafeBytes { src in
            // start < data.count, so the source is not empty and has an address.
            if let base = src.baseAddress { destination.copyMemory(from: base + start, byteCount: n) }
        }
        return n
    }
}

/// A file read with pread(2): nothing is loaded that is not asked for, so multi-GB files are fine.
public final class FileByteSource: ByteSource {
    public let path: String?
    public let length: UInt64
    private let fd: Int32

    public init(path: String) throws(DicomReadError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DicomReadError(.io(path: path, errno: errno), offset: 0) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw DicomReadError(.io(path: path, errno: e), offset: 0)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw DicomReadError(.io(path: path, errno: EISDIR), offset: 0)
        }
        self.fd = fd
        self.path = path
        self.length = UInt64(st.st_size)
    }

    deinit { close(fd) }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(DicomReadError) -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw DicomReadError(.io(path: path ?? "", errno: errno), offset: offset)
        }
    }
}

extension BulkDataReference {
    /// Loads the referenced bytes (little endian, like every value in memory).
    public func load() throws(DicomReadError) -> [UInt8] {
        let source = try FileByteSource(path: path)
        guard length <= UInt64(Int.max) else {
            throw DicomReadError(.valueTooLong(length: length, remaining: source.length), offset: offset)
        }
        var bytes = try source.bytes(at: offset, count: Int(length))
        if swapUnit > 1 { ByteOrder.swapInPlace(&bytes, unit: swapUnit) }
        return bytes
    }

    /// Loads `count` bytes starting `start` bytes into the value (no byte swapping).
    public func loadRange(start: UInt64, count: Int) throws(DicomReadError) -> [UInt8] {
        guard start <= length, UInt64(count) <= length - start else {
            throw DicomReadError(.truncated(needed: UInt64(count), available: length &- start), offset: offset + start)
        }
        return try FileByteSource(path: path).bytes(at: offset + start, count: count)
    }
}
