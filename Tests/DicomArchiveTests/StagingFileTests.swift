import DicomCore
import Foundation
import Testing
@testable import DicomArchive

@Suite("Staging files: direct writes through an aligned buffer, page-cache fallback")
struct StagingFileTests {
    /// `count` bytes of a pattern that differs at every offset of a buffer-sized run.
    static func pattern(_ count: Int, seed: UInt32) -> [UInt8] {
        var x = seed | 1
        return (0..<count).map { _ in
            x ^= x << 13; x ^= x >> 17; x ^= x << 5
            return UInt8(truncatingIfNeeded: x)
        }
    }

    /// Appends `bytes` in uneven pieces (as PDVs arrive), checking the byte source at each step.
    static func stage(_ bytes: [UInt8], into staged: StagingFile) throws {
        var offset = 0
        var piece = 1
        while offset < bytes.count {
            let n = min(piece, bytes.count - offset)
            try staged.write(Array(bytes[offset..<offset + n]))
            offset += n
            piece = piece * 7 % 300_001 + 4_093
        }
    }

    /// A direct-mode staging file in a fresh directory (kept while `root` lives).
    static func directStaging(in root: TemporaryRoot) throws -> StagingFile {
        try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
        return try StagingFile(path: root.path + "/s.part", directIO: true)
    }

    static func contents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    static func readAll(_ source: any ByteSource) throws -> [UInt8] {
        try source.bytes(at: 0, count: Int(source.length))
    }

    @Test("sizes around the block, the cached head and the buffer: the byte source and the finished file hold what was appended",
          arguments: [0, 1, 4_095, 4_096, 4_097, 65_535, 65_536, 65_537, 69_633, 527_000, DirectWriteBuffers.size - 1, DirectWriteBuffers.size,
                      DirectWriteBuffers.size + 1, 2 * DirectWriteBuffers.size + 12_345])
    func directRoundTrip(size: Int) throws {
        let root = TemporaryRoot()
        try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
        let bytes = Self.pattern(size, seed: UInt32(size) &+ 7)
        let staged = try StagingFile(path: root.path + "/s.part", directIO: true)
        try Self.stage(bytes, into: staged)
        #expect(staged.bytesWritten == size)
        let source = try staged.byteSource()
        #expect(source.length == UInt64(size))
        #expect(try Self.readAll(source) == bytes)
        // A read that crosses from the part already written to the file into the buffered one.
        let boundary = size / DirectWriteBuffers.size * DirectWriteBuffers.size
        if boundary > 0 && boundary < size {
            let at = boundary - 5
            let count = min(size - at, 4_099)
            #expect(try source.bytes(at: UInt64(at), count: count) == Array(bytes[at..<at + count]))
        }
        try staged.finishWriting(durable: true)
        #expect(Self.contents(staged.path) == bytes)
    }

    @Test("on a filesystem with O_DIRECT the appends go direct; a byte source taken before the buffer moved refuses to read")
    func directModeAndStaleSource() throws {
        let root = TemporaryRoot()
        let staged = try Self.directStaging(in: root)
        // The test root is on the build machine's disk (ext4 in CI), which takes O_DIRECT.
        #expect(staged.isDirect)
        try staged.write(Self.pattern(10_000, seed: 3))
        let early = try staged.byteSource()
        #expect(try early.bytes(at: 9_000, count: 1_000) == Array(Self.pattern(10_000, seed: 3)[9_000...]))
        try staged.finishWriting(durable: false)
        #expect(throws: DicomReadError.self) { try early.bytes(at: 9_000, count: 10) }
    }

    @Test("on tmpfs (which takes O_DIRECT from Linux 6.6 and refuses it before) the file holds what was appended")
    func fallbackOnTmpfs() throws {
        let shm = "/dev/shm"
        guard FileManager.default.fileExists(atPath: shm) else { return }
        let path = "\(shm)/dicomnode-staging-test-\(UUID().uuidString).part"
        defer { unlink(path) }
        let bytes = Self.pattern(DirectWriteBuffers.size + 777, seed: 11)
        let staged = try StagingFile(path: path, directIO: true)
        try Self.stage(bytes, into: staged)
        #expect(try Self.readAll(staged.byteSource()) == bytes)
        try staged.finishWriting(durable: true)
        #expect(Self.contents(path) == bytes)
    }

    @Test("a rewrite after direct appends replaces the content whole")
    func rewriteAfterDirect() throws {
        let root = TemporaryRoot()
        let staged = try Self.directStaging(in: root)
        try Self.stage(Self.pattern(DirectWriteBuffers.size + 50_000, seed: 5), into: staged)
        let replacement = Self.pattern(12_345, seed: 9)
        try staged.rewrite(replacement)
        #expect(staged.bytesWritten == replacement.count)
        #expect(try Self.readAll(staged.byteSource()) == replacement)
        try staged.finishWriting(durable: true)
        #expect(Self.contents(staged.path) == replacement)
    }

    @Test("discard removes the file and returns the buffer; writing afterwards fails")
    func discardDirect() throws {
        let root = TemporaryRoot()
        let staged = try Self.directStaging(in: root)
        try staged.write(Self.pattern(DirectWriteBuffers.size + 1, seed: 2))
        staged.discard()
        #expect(!FileManager.default.fileExists(atPath: staged.path))
        #expect(!staged.isDirect)
        #expect(throws: ArchiveError.self) { try staged.write([1]) }
    }
}
