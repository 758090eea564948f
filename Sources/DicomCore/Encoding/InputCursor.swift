/// A buffered forward reader over a `ByteSource` with absolute positions: the reader's only
/// view of the bytes. Seeks past values it is told to skip, so that unread values cost nothing.
final class InputCursor {
    let source: ByteSource
    private(set) var position: UInt64
    let end: UInt64
    private let buffer: UnsafeMutableRawBufferPointer
    private var bufferStart: UInt64 = 0
    private var bufferCount = 0
    private static let chunk = 64 * 1024
    /// The first read is small: headers of most files fit, and headers-only reads stop there.
    private var nextReadSize = 8 * 1024

    init(_ source: ByteSource, start: UInt64 = 0) {
        self.source = source
        self.position = start
        self.end = source.length
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: InputCursor.chunk, alignment: 8)
    }

    deinit { buffer.deallocate() }

    var remaining: UInt64 { end > position ? end - position : 0 }
    var isAtEnd: Bool { position >= end }

    /// Makes `n` (≤ chunk) bytes at `position` available in the buffer.
    @inline(__always)
    private func ensure(_ n: Int) throws(DicomReadError) {
        if position >= bufferStart, position + UInt64(n) <= bufferStart + UInt64(bufferCount) { return }
        guard UInt64(n) <= remaining else {
            throw DicomReadError(.truncated(needed: UInt64(n), available: remaining), offset: position)
        }
        bufferStart = position
        bufferCount = 0
        let want = Int(min(UInt64(max(nextReadSize, n)), remaining))
        nextReadSize = InputCursor.chunk
        while bufferCount < want {
            let got = try source.read(at: bufferStart + UInt64(bufferCount),
                                      into: UnsafeMutableRawBufferPointer(rebasing: buffer[bufferCount..<want]))
            if got == 0 { break }
            bufferCount += got
        }
        guard bufferCount >= n else {
            throw DicomReadError(.truncated(needed: UInt64(n), available: UInt64(bufferCount)), offset: position)
        }
    }

    @inline(__always)
    private var index: Int { Int(position - bufferStart) }

    func peekBytes(_ n: Int) throws(DicomReadError) -> [UInt8] {
        try ensure(n)
        return copy(from: index, count: n)
    }

    @inline(__always)
    private func copy(from i: Int, count n: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: n) { dst, initialized in
            if n > 0 { dst.baseAddress!.initialize(from: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: n) }
            initialized = n
        }
    }

    @inline(__always)
    func readUInt16(bigEndian: Bool) throws(DicomReadError) -> UInt16 {
        try ensure(2)
        let i = index
        position += 2
        let a = UInt16(buffer[i]), b = UInt16(buffer[i + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    @inline(__always)
    func readUInt32(bigEndian: Bool) throws(DicomReadError) -> UInt32 {
        try ensure(4)
        let i = index
        position += 4
        let a = UInt32(buffer[i]), b = UInt32(buffer[i + 1]), c = UInt32(buffer[i + 2]), d = UInt32(buffer[i + 3])
        return bigEndian ? a << 24 | b << 16 | c << 8 | d : d << 24 | c << 16 | b << 8 | a
    }

    @inline(__always)
    func readTwoBytes() throws(DicomReadError) -> (UInt8, UInt8) {
        try ensure(2)
        let i = index
        position += 2
        return (buffer[i], buffer[i + 1])
    }

    /// Reads `n` bytes; the caller has checked `n` against what remains.
    func readBytes(_ n: Int) throws(DicomReadError) -> [UInt8] {
        if n <= InputCursor.chunk {
            try ensure(n)
            let i = index
            position += UInt64(n)
            return copy(from: i, count: n)
        }
        let out = try source.bytes(at: position, count: n)
        position += UInt64(n)
        return out
    }

    func skip(_ n: UInt64) throws(DicomReadError) {
        guard n <= remaining else {
            throw DicomReadError(.truncated(needed: n, available: remaining), offset: position)
        }
        position += n
    }

    func seek(to offset: UInt64) { position = offset }
}
