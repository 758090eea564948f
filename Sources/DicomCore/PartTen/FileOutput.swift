#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file writing: temp file in the same directory, optional fsync, rename, fsync of the directory.
public enum FileOutput {
    /// Writes `bytes` to `path` through an `AtomicFileWriter`.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, durable: Bool) throws(DicomWriteError) {
        let file = try AtomicFileWriter(path: path, durable: durable)
        try file.write(bytes)
        try file.commit()
    }
}

/// A file written in pieces that appears at its path only whole: the bytes go to a temporary
/// file beside `path` (same directory, hence same filesystem), which `commit()` fsyncs (when
/// `durable`), renames over `path` and follows with an fsync of the directory. Until then `path`
/// is untouched; a writer dropped or `discard()`ed without a commit removes its temporary file.
///
/// ```swift
/// let out = try AtomicFileWriter(path: p, durable: true)
/// try out.write(header)                 // (1)
/// for frame in frames { try out.write(frame) }
/// try out.commit()                      // (2)
/// ```
/// (1) each `write` goes straight to the file descriptor (no buffering: callers hand over
/// large pieces); (2) durable: on disk and under its name when this returns.
public final class AtomicFileWriter {
    public let path: String
    private let temporaryPath: String
    private let durable: Bool
    private var fd: Int32
    /// Bytes written so far.
    public private(set) var count: UInt64 = 0

    /// Opens a temporary file beside `path`.
    /// - Throws: `.io` when it cannot be created.
    public init(path: String, durable: Bool) throws(DicomWriteError) {
        self.path = path
        self.durable = durable
        temporaryPath = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: temporaryPath, errno: errno) }
    }

    deinit { discard() }

    /// Appends `bytes`. On failure the temporary file is removed and the writer is finished.
    /// - Throws: `.io` with the errno of write(2), or EBADF after a commit or discard.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(DicomWriteError) {
        guard fd >= 0 else { throw .io(path: path, errno: EBADF) }
        guard let base = bytes.baseAddress else { return }
        var written = 0
        while written < bytes.count {
            let n = Glibc.write(fd, base + written, bytes.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                discard()
                throw .io(path: path, errno: e)
            }
            written += n
        }
        count += UInt64(bytes.count)
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(DicomWriteError) {
        try bytes.passBytes { raw throws(DicomWriteError) in try write(raw) }
    }

    /// fsync (when durable), close, rename over `path`, fsync the directory (when durable).
    /// - Throws: `.io`; the temporary file is then removed and `path` is as it was.
    public func commit() throws(DicomWriteError) {
        guard fd >= 0 else { throw .io(path: path, errno: EBADF) }
        if durable && fsync(fd) != 0 {
            let e = errno
            discard()
            throw .io(path: path, errno: e)
        }
        let closed = close(fd)
        let closeErrno = errno
        fd = -1
        // close(2) can report a deferred write error (NFS, quota): the bytes may not all be there.
        if closed != 0 && closeErrno != EINTR {
            unlink(temporaryPath)
            throw .io(path: path, errno: closeErrno)
        }
        guard rename(temporaryPath, path) == 0 else {
            let e = errno
            unlink(temporaryPath)
            throw .io(path: path, errno: e)
        }
        if durable {
            let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 {
                fsync(dfd)
                close(dfd)
            }
        }
    }

    /// Closes and removes the temporary file; `path` is left as it was. Nothing after a commit.
    public func discard() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }
}
