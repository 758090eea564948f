#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file being received, in `ROOT/incoming/` (same filesystem as `objects/`, so the rename that
/// commits it is atomic).
///
/// Used by one association (or one import) at a time: it is not safe to write from two tasks at once.
/// A staging file that is dropped without being ingested or discarded removes itself.
public final class StagingFile: @unchecked Sendable {
    public let path: String
    public private(set) var bytesWritten: Int = 0
    private var fd: Int32
    /// Moved into the store: discard must not unlink anything any more.
    private var committed = false

    /// Creates a new, empty file at `path` (which must not exist).
    /// - Throws: `.outOfSpace` or `.io` when the file cannot be created.
    public init(path: String) throws(ArchiveError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ArchiveError.from(errno: errno, "create staging file") }
        self.path = path
        self.fd = fd
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(path) }
    }

    /// Appends `bytes`, looping on partial writes and EINTR.
    /// - Throws: `.outOfSpace` on ENOSPC/EDQUOT, `.io` otherwise or when the file was discarded.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard fd >= 0, !committed else { throw .io("staging file already closed") }
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.from(errno: errno, "write staging file")
            }
            done += n
            bytesWritten += n
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(ArchiveError) {
        var failure: ArchiveError?
        bytes.withUnsafeBytes { raw in
            do throws(ArchiveError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Replaces the whole content with `bytes` (ingest compression rewrites a received file
    /// before it is made durable).
    /// - Throws: `.outOfSpace` or `.io`.
    func rewrite(_ bytes: [UInt8]) throws(ArchiveError) {
        guard fd >= 0, !committed else { throw .io("staging file already closed") }
        guard lseek(fd, 0, SEEK_SET) == 0, ftruncate(fd, 0) == 0 else { throw ArchiveError.from(errno: errno, "rewrite staging file") }
        bytesWritten = 0
        try write(bytes)
    }

    /// Closes and unlinks the file. Idempotent; ingest calls it on every failure.
    public func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if !committed {
            unlink(path)
            committed = true   // nothing left to remove
        }
    }

    /// fsync (when `durable`) and close; the file stays in place for parsing and the rename.
    func finishWriting(durable: Bool) throws(ArchiveError) {
        guard fd >= 0 else {
            if committed { throw .io("staging file already discarded") }
            return
        }
        if durable { try POSIX.fsync(fd, "staging file") }
        close(fd)
        fd = -1
    }

    /// The file was renamed away: nothing of it remains to remove.
    func markCommitted() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        committed = true
    }

    var isOpenOrPresent: Bool { !committed }
}
