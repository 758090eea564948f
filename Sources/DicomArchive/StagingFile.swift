#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DicomCore
import Synchronization

/// A file being received, in `ROOT/incoming/` (same filesystem as `objects/`, so the rename that
/// commits it is atomic).
///
/// A staging file opened with `directIO` gathers what is appended in an aligned buffer of
/// `DirectWriteBuffers.size` bytes and writes each full buffer with O_DIRECT: the bytes go from
/// that buffer (reused, already in memory) to the device, not through page-cache pages allocated
/// for each new file. A new page costs a fault on first touch, and on a VM with free page reporting
/// a fault in the host too, so buffered writes of new files cost more CPU than the fsync that
/// follows them (`docs/performance.md`, "Receiving C-STORE"). The fsync then has only metadata and
/// the last partial block to write. Where the filesystem refuses O_DIRECT (tmpfs), the file is
/// written through the page cache as usual. Memory stays bounded: one buffer per open staging
/// file, whatever the instance's size.
///
/// Used by one association (or one import) at a time: it is not safe to write from two tasks at once.
/// A staging file that is dropped without being ingested or discarded removes itself.
public final class StagingFile: @unchecked Sendable {
    public let path: String
    public private(set) var bytesWritten: Int = 0
    private var fd: Int32
    /// Moved into the store: discard must not unlink anything any more.
    private var committed = false
    /// Direct mode: the aligned buffer, and how many appended bytes it holds (the file holds the
    /// `bytesWritten - buffered` before them, written in whole buffers).
    private var buffer: UnsafeMutableRawPointer?
    private var buffered = 0
    /// The filesystem opened the file with O_DIRECT but refused a direct write (EINVAL).
    private var directRefused = false
    /// Changes whenever the buffer's bytes move to the file or the buffer goes back to the pool,
    /// so that a `byteSource()` taken before cannot read stale memory.
    fileprivate private(set) var epoch = 0

    /// Creates a new, empty file at `path` (which must not exist). With `directIO`, appends are
    /// written with O_DIRECT where the filesystem allows it.
    /// - Throws: `.outOfSpace` or `.io` when the file cannot be created.
    public init(path: String, directIO: Bool = false) throws(ArchiveError) {
        var fd: Int32 = -1
        if directIO && POSIX.oDirect != 0 {
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | POSIX.oDirect, 0o644)
            if fd < 0 && errno != EINVAL { throw ArchiveError.from(errno: errno, "create staging file") }
        }
        if fd < 0 {
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ArchiveError.from(errno: errno, "create staging file") }
        } else {
            buffer = DirectWriteBuffers.take()
        }
        self.path = path
        self.fd = fd
    }

    deinit {
        releaseBuffer()
        if fd >= 0 { close(fd) }
        if !committed { unlink(path) }
    }

    /// Whether appends go to the device with O_DIRECT.
    public var isDirect: Bool { buffer != nil }

    /// Appends `bytes`, looping on partial writes and EINTR.
    /// - Throws: `.outOfSpace` on ENOSPC/EDQUOT, `.io` otherwise or when the file was discarded.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard fd >= 0, !committed else { throw .io("staging file already closed") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard let buffer else {
            var done = 0
            let e = Self.writeAll(fd, base, bytes.count, done: &done)
            bytesWritten += done
            if e != 0 { throw ArchiveError.from(errno: e, "write staging file") }
            return
        }
        var done = 0
        while done < bytes.count {
            let n = min(bytes.count - done, DirectWriteBuffers.size - buffered)
            (buffer + buffered).copyMemory(from: base + done, byteCount: n)
            buffered += n
            done += n
            bytesWritten += n
            if buffered == DirectWriteBuffers.size { try flushBuffer(final: false) }
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

    /// The bytes appended so far, for parsing before the file is finished: those still in the
    /// buffer are read from memory, the rest from the file.
    public func byteSource() throws(ArchiveError) -> any ByteSource {
        guard let buffer, fd >= 0 else {
            do { return try FileByteSource(path: path) } catch { throw .io("read staging file: \(error)") }
        }
        let flushed = bytesWritten - buffered
        let file: FileByteSource?
        if flushed > 0 {
            do { file = try FileByteSource(path: path) } catch { throw .io("read staging file: \(error)") }
        } else {
            file = nil
        }
        return StagedBytes(path: path, file: file, flushed: flushed,
                           tail: UnsafeRawBufferPointer(start: buffer, count: buffered), owner: self, epoch: epoch)
    }

    /// Replaces the whole content with `bytes` (ingest compression rewrites a received file
    /// before it is made durable). Written through the page cache.
    /// - Throws: `.outOfSpace` or `.io`.
    func rewrite(_ bytes: [UInt8]) throws(ArchiveError) {
        guard fd >= 0, !committed else { throw .io("staging file already closed") }
        try setDirect(false)
        buffered = 0
        releaseBuffer()
        guard lseek(fd, 0, SEEK_SET) == 0, ftruncate(fd, 0) == 0 else { throw ArchiveError.from(errno: errno, "rewrite staging file") }
        bytesWritten = 0
        try write(bytes)
    }

    /// Closes and unlinks the file. Idempotent; ingest calls it on every failure.
    public func discard() {
        releaseBuffer()
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if !committed {
            unlink(path)
            committed = true   // nothing left to remove
        }
    }

    /// Writes what is buffered, fsyncs (when `durable`) and closes; the file stays in place for
    /// the rename.
    func finishWriting(durable: Bool) throws(ArchiveError) {
        guard fd >= 0 else {
            if committed { throw .io("staging file already discarded") }
            return
        }
        if buffer != nil {
            try flushBuffer(final: true)
            releaseBuffer()
        }
        if durable { try POSIX.fsync(fd, "staging file") }
        close(fd)
        fd = -1
    }

    /// The file was renamed away: nothing of it remains to remove.
    func markCommitted() {
        releaseBuffer()
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        committed = true
    }

    var isOpenOrPresent: Bool { !committed }

    // MARK: - Direct writes

    /// Writes the buffer at the end of the file. The file's first `DirectWriteBuffers.cachedHead`
    /// bytes go through the page cache: they hold the attributes before the pixel data, which the
    /// metadata, query and frame-offset reads that follow an ingest want from memory. The rest
    /// goes with O_DIRECT in whole blocks; the last partial block (`final`) through the page
    /// cache, so that the file ends where the data does.
    private func flushBuffer(final: Bool) throws(ArchiveError) {
        guard let buffer, buffered > 0 else { return }
        let alignment = DirectWriteBuffers.alignment
        let head = bytesWritten == buffered ? min(DirectWriteBuffers.cachedHead, buffered) : 0
        let whole = final ? max(head, buffered / alignment * alignment) : buffered
        var done = 0
        var e: Int32 = 0
        if head > 0 {
            try setDirect(false)
            e = Self.writeAll(fd, buffer, head, done: &done)
            if e == 0 && whole > head { try setDirect(true) }
        }
        if e == 0 && done < whole {
            e = Self.writeAll(fd, buffer, whole, done: &done)
            if e == EINVAL {
                // A filesystem that opened with O_DIRECT but refuses the write: this file goes
                // through the page cache from where the direct write stopped.
                directRefused = true
                try setDirect(false)
                e = Self.writeAll(fd, buffer, whole, done: &done)
            }
        }
        if e == 0 && final && whole < buffered {
            try setDirect(false)
            e = Self.writeAll(fd, buffer, buffered, done: &done)
        }
        if e != 0 { throw ArchiveError.from(errno: e, "write staging file") }
        epoch &+= 1
        buffered = 0
    }

    /// Sets or clears O_DIRECT on the descriptor (never sets it after a refusal).
    private func setDirect(_ on: Bool) throws(ArchiveError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { throw ArchiveError.from(errno: errno, "fcntl staging file") }
        let wanted = on && !directRefused ? flags | POSIX.oDirect : flags & ~POSIX.oDirect
        if wanted != flags, fcntl(fd, F_SETFL, wanted) != 0 {
            throw ArchiveError.from(errno: errno, "fcntl staging file")
        }
    }

    private func releaseBuffer() {
        if let buffer {
            epoch &+= 1
            DirectWriteBuffers.give(buffer)
            self.buffer = nil
        }
    }

    /// Writes `base[done..<count]`, advancing `done`; returns 0, or the errno that stopped it.
    private static func writeAll(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int, done: inout Int) -> Int32 {
        while done < count {
            let n = Glibc.write(fd, base + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return 0
    }
}

/// The aligned buffers of direct-mode staging files, kept for reuse (a new one is mapped memory
/// that faults on first touch). At most `retained` wait in the pool; more are freed.
enum DirectWriteBuffers {
    /// 1 MiB: a CT or MR slice fits whole, so it is parsed from memory and written in one call.
    static let size = 1 << 20
    /// O_DIRECT needs buffer, offset and length aligned to the device's logical block (512 or 4096).
    static let alignment = 4096
    static let retained = 16
    /// Written through the page cache at the start of every file (a multiple of `alignment`).
    static let cachedHead = 64 << 10
    /// Addresses of the free buffers (a pointer is not Sendable; its address is).
    private static let pool = Mutex<[UInt]>([])

    static func take() -> UnsafeMutableRawPointer {
        if let reused = pool.withLock({ $0.popLast() }), let pointer = UnsafeMutableRawPointer(bitPattern: reused) {
            return pointer
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: alignment)
    }

    static func give(_ buffer: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: buffer)
        let kept = pool.withLock { free -> Bool in
            guard free.count < retained else { return false }
            free.append(address)
            return true
        }
        if !kept { buffer.deallocate() }
    }
}

/// A staging file's bytes so far: the part already written, read from the file, then the part
/// still in the buffer, read from memory. Valid while the staging file is not written to again.
private final class StagedBytes: ByteSource, @unchecked Sendable {
    let path: String?
    let length: UInt64
    private let file: FileByteSource?
    private let flushed: UInt64
    private let tail: UnsafeRawBufferPointer
    private let owner: StagingFile
    private let epoch: Int

    init(path: String, file: FileByteSource?, flushed: Int, tail: UnsafeRawBufferPointer, owner: StagingFile, epoch: Int) {
        self.epoch = epoch
        self.path = path
        self.file = file
        self.flushed = UInt64(flushed)
        self.tail = tail
        self.owner = owner
        self.length = UInt64(flushed + tail.count)
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(DicomReadError) -> Int {
        guard buffer.count > 0, offset < length else { return 0 }
        if offset < flushed, let file {
            let n = min(UInt64(buffer.count), flushed - offset)
            return try file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(n)]))
        }
        guard owner.epoch == epoch else {
            throw DicomReadError(.io(path: path ?? "", errno: ESTALE), offset: offset)
        }
        let start = Int(offset - flushed)
        let n = min(buffer.count, tail.count - start)
        guard n > 0, let destination = buffer.baseAddress, let source = tail.baseAddress else { return 0 }
        destination.copyMemory(from: source + start, byteCount: n)
        return n
    }
}
