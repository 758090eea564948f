import Foundation
import Testing
@testable import DicomCore

/// Writing a file in pieces (`AtomicFileWriter`, `DataSetWriter.write(_:to:)`,
/// `Transcoder.write`) gives the bytes the whole-array encoding gives, and a write that fails
/// leaves nothing behind.
@Suite("Streaming file output and transcode")
struct StreamingWriteTests {
    /// A fresh empty directory for one test.
    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stream-write-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func contents(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A native multi-frame image: runs and noise (so RLE has both), frames that differ, and an
    /// element after Pixel Data. 8-bit 3 × 17 × 33 has odd length (padded); 16-bit frames are
    /// longer than `DataSetWriter.directValueLength`, so they go to the sink uncopied.
    static func nativeFile(bits: Int, rows: Int, columns: Int, frames: Int) throws -> DicomFile {
        var ds = DataSet()
        try ds.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.7", vr: .UI)
        try ds.set(.sopInstanceUID, string: "2.25.1234567", vr: .UI)
        try ds.set(.samplesPerPixel, uint16s: [1])
        try ds.set(.photometricInterpretation, string: "MONOCHROME2")
        try ds.set(.numberOfFrames, string: "\(frames)")
        try ds.set(.rows, uint16s: [UInt16(rows)])
        try ds.set(.columns, uint16s: [UInt16(columns)])
        try ds.set(.bitsAllocated, uint16s: [UInt16(bits)])
        try ds.set(.bitsStored, uint16s: [UInt16(bits)])
        try ds.set(.highBit, uint16s: [UInt16(bits - 1)])
        try ds.set(.pixelRepresentation, uint16s: [0])
        let width = bits / 8
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var pixels: [UInt8] = []
        for f in 0..<frames {
            for i in 0..<(rows * columns) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let v: UInt64 = (i / columns) % 3 == 0 ? UInt64(f * 7) : state >> 33
                for k in 0..<width { pixels.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * k))) }
            }
        }
        ds[.pixelData] = DataElement(.pixelData, bits > 8 ? .OW : .OB, bytes: pixels)
        ds[.dataSetTrailingPadding] = DataElement(.dataSetTrailingPadding, .OB, bytes: [0, 0, 0, 0])
        return DicomFile(dataSet: ds, transferSyntax: .explicitVRLittleEndian)
    }

    /// The whole-array encoding: head, meta and `DataSetWriter.encode` of the data set in one array.
    static func wholeArray(_ file: DicomFile) throws -> [UInt8] {
        var out = file.preamble ?? []
        if file.hasPrefix { out += [0x44, 0x49, 0x43, 0x4D] }
        out += try DataSetWriter(encoding: file.fileMetaEncoding, options: .exact).encode(file.fileMetaInformation)
        let body = try DataSetWriter(encoding: file.dataSetEncoding, options: .normalized).encode(file.dataSet)
        out += file.transferSyntax.isDeflated ? Deflate.deflateEvenLength(body) : body
        return out
    }

    static let rle = TransferSyntax(uid: RLECodec.transferSyntaxUID)
    static let sv1 = TransferSyntax(uid: JPEGLosslessCodec.selectionValue1UID)

    struct Case: CustomTestStringConvertible, Sendable {
        var bits: Int, rows: Int, columns: Int, frames: Int
        var testDescription: String { "\(bits)-bit \(frames) × \(rows) × \(columns)" }
    }

    static let cases = [Case(bits: 8, rows: 17, columns: 33, frames: 3), Case(bits: 16, rows: 200, columns: 190, frames: 4)]

    @Test("Transcoder.write writes the bytes of the in-memory transcode encoded whole, native and RLE multi-frame, read in memory and lazily",
          arguments: cases)
    func transcodeWriteMatchesWholeArray(_ c: Case) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let native = try Self.nativeFile(bits: c.bits, rows: c.rows, columns: c.columns, frames: c.frames)
        let nativePath = dir + "/native.dcm"
        try FileOutput.writeAtomically(try Self.wholeArray(native), to: nativePath, durable: false)
        // The RLE file, from the whole-array encoding of the in-memory transcode.
        let rleFile = try Transcoder.transcode(native, to: Self.rle)
        let rlePath = dir + "/rle.dcm"
        try FileOutput.writeAtomically(try Self.wholeArray(rleFile), to: rlePath, durable: false)
        guard case .encapsulated(let e) = rleFile.dataSet[.pixelData]?.value else { Issue.record("not encapsulated"); return }
        #expect(e.fragments.count == c.frames)

        var checked = 0
        let plan: [(String, [TransferSyntax])] = [(nativePath, [Self.rle, Self.sv1]),
                                      (rlePath, [.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian,
                                                 .deflatedExplicitVRLittleEndian, Self.sv1])]
        for (sourcePath, targets) in plan {
            for options in [ReadOptions.default, ReadOptions(lazyPixelData: true)] {
                let source = try DicomFile.read(path: sourcePath, options: options)
                for target in targets {
                    let expected = try Self.wholeArray(try Transcoder.transcode(DicomFile.read(path: sourcePath), to: target))
                    let out = dir + "/out-\(checked).dcm"
                    try Transcoder.write(source, to: target, path: out)
                    let written = try Self.bytes(out)
                    #expect(written.count == expected.count, "\(sourcePath) → \(target.name), lazy \(options.lazyPixelData)")
                    #expect(written == expected, "\(sourcePath) → \(target.name), lazy \(options.lazyPixelData)")
                    // And the pixels are the source's: decode frame by frame.
                    let back = try PixelDataFrames(DicomFile.read(path: out))
                    let original = try PixelDataFrames(native)
                    for n in 1...c.frames {
                        #expect(try back.decodedFrame(n).bytes == original.decodedFrame(n).bytes, "frame \(n) → \(target.name)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 14)
        // Only the outputs are there: no temporary file left over.
        #expect(try Self.contents(dir).filter { $0.contains(".tmp-") }.isEmpty)
        // RLE → Explicit VR Little Endian (out-4): Pixel Data even, then the element after it.
        let explicit = try DicomFile.read(path: dir + "/out-4.dcm")
        #expect(explicit.transferSyntax.uid == TransferSyntax.explicitVRLittleEndian.uid)
        let length = c.rows * c.columns * c.bits / 8 * c.frames
        #expect(explicit.dataSet[.pixelData]?.bytes.count == length + length % 2)
        #expect(explicit.dataSet[.dataSetTrailingPadding]?.bytes == [0, 0, 0, 0])
    }

    @Test("DicomFile.write(to:) writes the bytes of encoded(): native, encapsulated, odd-length long values, big endian, bulk data")
    func fileWriteMatchesEncoded() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var native = try Self.nativeFile(bits: 16, rows: 200, columns: 190, frames: 2)
        // An odd-length OB longer than the direct threshold: padded after the value, not in a copy.
        native.dataSet[Tag(0x0009, 0x0010)] = DataElement(Tag(0x0009, 0x0010), .LO, bytes: Array("TEST ".utf8))
        native.dataSet[Tag(0x0009, 0x1001)] = DataElement(Tag(0x0009, 0x1001), .OB, bytes: [UInt8](repeating: 7, count: 70_001))
        let rle = try Transcoder.transcode(native, to: Self.rle)
        let big = try native.converted(to: .explicitVRBigEndian)
        for (name, file) in [("native", native), ("rle", rle), ("big", big)] {
            for options in [WriteOptions.exact, .normalized] {
                let path = dir + "/\(name).dcm"
                try file.write(to: path, options: options)
                var whole = file.preamble ?? []
                whole += [0x44, 0x49, 0x43, 0x4D]
                whole += try DataSetWriter(encoding: .explicitLittle).encode(file.fileMetaInformation)
                whole += try DataSetWriter(encoding: file.dataSetEncoding, options: options).encode(file.dataSet)
                #expect(try Self.bytes(path) == whole, "\(name) \(options.padOddLengths)")
                #expect(try file.encoded(options: options) == whole, "\(name) encoded()")
            }
        }
        // Pixel Data left in the file (bulk data) is written from the file.
        try native.write(to: dir + "/src.dcm", options: .normalized)
        let lazy = try DicomFile.read(path: dir + "/src.dcm", options: ReadOptions(lazyPixelData: true))
        guard case .bulkData = lazy.dataSet[.pixelData]?.value else { Issue.record("not lazy"); return }
        try lazy.write(to: dir + "/copy.dcm")
        #expect(try Self.bytes(dir + "/copy.dcm") == Self.bytes(dir + "/src.dcm"))
    }

    @Test("a transcode that fails at frame 3 leaves the destination as it was and no temporary file")
    func failedTranscodeLeavesNothing() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let native = try Self.nativeFile(bits: 16, rows: 200, columns: 190, frames: 4)
        var rle = try Transcoder.transcode(native, to: Self.rle)
        guard case .encapsulated(let e) = rle.dataSet[.pixelData]?.value, case .bytes(var third) = e.fragments[2] else {
            Issue.record("not encapsulated"); return
        }
        third.removeLast(third.count / 2)   // segments now end early: frame 3 does not decode
        var fragments = e.fragments
        fragments[2] = .bytes(third)
        // No Basic Offset Table (it no longer matches): one fragment per frame.
        rle.dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OB,
                                              value: .encapsulated(EncapsulatedPixelData(fragments: fragments)), undefinedLength: true)

        // A fresh destination stays absent; an existing one keeps its bytes.
        let fresh = dir + "/fresh.dcm"
        let existing = dir + "/existing.dcm"
        try FileOutput.writeAtomically([1, 2, 3, 4], to: existing, durable: false)
        for (path, before) in [(fresh, nil), (existing, [UInt8]([1, 2, 3, 4]))] {
            do {
                try Transcoder.write(rle, to: .explicitVRLittleEndian, path: path, durable: true)
                Issue.record("the transcode succeeded")
            } catch let error as CodecError {
                #expect(error.frame == 3)
                #expect(error.kind == .corrupt)
            }
            if let before {
                #expect(try Self.bytes(path) == before)
            } else {
                #expect(!FileManager.default.fileExists(atPath: path))
            }
        }
        #expect(try Self.contents(dir) == ["existing.dcm"])
    }

    @Test("AtomicFileWriter: nothing at the path before commit, nothing left when dropped, the bytes after commit")
    func atomicWriter() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.bin"
        do {
            let w = try AtomicFileWriter(path: path, durable: false)
            try withExtendedLifetime(w) {
                try w.write([1, 2, 3])
                #expect(!FileManager.default.fileExists(atPath: path))
                #expect(try Self.contents(dir).count == 1)   // the temporary file
            }
        }
        #expect(try Self.contents(dir).isEmpty)           // dropped without a commit: removed
        let w = try AtomicFileWriter(path: path, durable: true)
        try w.write([1, 2, 3])
        try w.write([UInt8](repeating: 9, count: 100_000))
        #expect(w.count == 100_003)
        try w.commit()
        #expect(try Self.bytes(path) == [1, 2, 3] + [UInt8](repeating: 9, count: 100_000))
        #expect(throws: DicomWriteError.self) { try w.write([4]) }
        #expect(try Self.contents(dir) == ["a.bin"])
        // A directory that does not exist: .io, nothing created.
        #expect(throws: DicomWriteError.self) { _ = try AtomicFileWriter(path: dir + "/missing/a.bin", durable: false) }
    }
}
