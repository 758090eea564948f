import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// 64-bit FNV-1a, as Scripts/make-codec-fixtures.py computes it.
func fnv1a64(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xcbf29ce484222325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    return String(format: "%016llx", h)
}

/// The samples of a frame with only the Bits Stored low bits kept (what the fixtures hash).
func maskedToBitsStored(_ bytes: [UInt8], _ d: FrameDescriptor) -> [UInt8] {
    guard d.bitsStored < d.bitsAllocated else { return bytes }
    var out = bytes
    let width = d.bitsAllocated / 8
    let mask = UInt64(1) << UInt64(d.bitsStored) - 1
    for i in stride(from: 0, to: out.count - width + 1, by: width) {
        var v: UInt64 = 0
        for k in 0..<width { v |= UInt64(out[i + k]) << UInt64(8 * k) }
        v &= mask
        for k in 0..<width { out[i + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
    }
    return out
}

/// One pydicom sample file in Tests/Fixtures/codecs/native-codecs.json.
struct CodecFixture: Decodable, CustomTestStringConvertible, Sendable {
    var corpus: String
    var path: String
    var syntax: String
    var rows: Int
    var columns: Int
    var samples: Int
    var bitsAllocated: Int
    var bitsStored: Int
    var frames: [String]
    var pydicomError: String?
    var testDescription: String { "\(path) (\(syntax))" }

    var url: URL? {
        let suffix = corpus == "pydicom" ? "test_files" : "data"
        guard let dir = PydicomCorpus.directories.first(where: { $0.lastPathComponent == suffix }) else { return nil }
        let url = dir.appendingPathComponent(path)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    static let all: [CodecFixture] = {
        struct File: Decodable { var files: [CodecFixture] }
        let url = Fixtures.directory.appendingPathComponent("codecs/native-codecs.json")
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else { return [] }
        return file.files
    }()
}

@Suite("RLE and JPEG Lossless codecs written here")
struct NativeCodecTests {
    @Test("the fixture lists every RLE and JPEG Lossless sample file")
    func fixtureIsThere() {
        #expect(CodecFixture.all.count >= 16)
        #expect(CodecFixture.all.contains { $0.syntax == "RLE" } && CodecFixture.all.contains { $0.syntax.hasPrefix("JPEG-LL") })
    }

    @Test("every RLE and JPEG Lossless file in pydicom's test data decodes to pydicom's pixels, read in memory and lazily",
          arguments: CodecFixture.all)
    func decodesLikePydicom(_ fixture: CodecFixture) throws {
        guard let url = fixture.url else { return }  // pydicom not installed: PydicomCorpusTests reports that
        for options in [ReadOptions.default, ReadOptions(lazyPixelData: true)] {
            let file = try DicomFile.read(path: url.path, options: options)
            let frames = try PixelDataFrames(file)
            #expect(frames.numberOfFrames == max(fixture.frames.count, 1))
            for (i, expected) in fixture.frames.enumerated() {
                let frame = try frames.decodedFrame(i + 1)
                #expect(frame.descriptor.planarConfiguration == 0)
                #expect(frame.bytes.count == frame.descriptor.nativeFrameLength)
                #expect(fnv1a64(maskedToBitsStored(frame.bytes, frame.descriptor)) == expected, "frame \(i + 1)")
            }
        }
    }

    @Test("every sample file re-encoded in its own syntax and in the other decodes to the same pixels", arguments: CodecFixture.all)
    func corpusRoundTrip(_ fixture: CodecFixture) throws {
        guard let url = fixture.url, !fixture.frames.isEmpty else { return }
        let frames = try PixelDataFrames(DicomFile.read(path: url.path))
        for n in 1...frames.numberOfFrames {
            let frame = try frames.decodedFrame(n)
            for codec in [RLECodec() as any PixelCodec, JPEGLosslessCodec()] {
                let syntax = codec.transferSyntaxUIDs.sorted()[0]
                guard codec.canEncode(frame.descriptor, syntax: syntax) else { continue }
                let encoded = try codec.encode(frame, syntax: syntax, options: .lossless)
                let back = try codec.decode(encoded.codestream, descriptor: frames.descriptor, syntax: syntax)
                #expect(maskedToBitsStored(back.bytes, back.descriptor) == maskedToBitsStored(frame.bytes, frame.descriptor),
                        "frame \(n) through \(syntax)")
            }
        }
    }

    // MARK: - Synthetic images

    struct Synthetic: CustomTestStringConvertible, Sendable {
        var rows: Int, columns: Int, samples: Int, bitsAllocated: Int, bitsStored: Int, signed: Bool, planar: Int
        var testDescription: String {
            "\(columns)×\(rows)×\(samples) \(bitsStored)/\(bitsAllocated) bits\(signed ? " signed" : "")\(planar == 1 ? " planar" : "")"
        }
        var descriptor: FrameDescriptor {
            FrameDescriptor(rows: rows, columns: columns, samplesPerPixel: samples, bitsAllocated: bitsAllocated,
                            bitsStored: bitsStored, highBit: bitsStored - 1, isSigned: signed, planarConfiguration: planar,
                            photometricInterpretation: samples == 3 ? "RGB" : "MONOCHROME2")
        }
        /// Noise, ramps, flat areas and the extremes of the range, as stored bit patterns.
        var frame: DecodedFrame {
            var state: UInt64 = 0x9E3779B97F4A7C15 &* UInt64(rows * 31 + columns * 7 + bitsStored)
            let count = rows * columns * samples
            let width = bitsAllocated / 8
            let mask = bitsStored == 64 ? UInt64.max : (UInt64(1) << UInt64(bitsStored)) - 1
            var bytes = [UInt8](repeating: 0, count: count * width)
            for i in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let v: UInt64
                switch (i / max(columns, 1)) % 4 {
                case 0: v = state >> 11
                case 1: v = UInt64(i) &* 37
                case 2: v = 5
                default: v = i % 2 == 0 ? mask : 0
                }
                let stored = v & mask
                for k in 0..<width { bytes[i * width + k] = UInt8(truncatingIfNeeded: stored >> UInt64(8 * k)) }
            }
            return DecodedFrame(bytes: bytes, descriptor: descriptor)
        }
    }

    static let synthetic: [Synthetic] = [
        Synthetic(rows: 1, columns: 1, samples: 1, bitsAllocated: 8, bitsStored: 8, signed: false, planar: 0),
        Synthetic(rows: 17, columns: 13, samples: 1, bitsAllocated: 8, bitsStored: 8, signed: false, planar: 0),
        Synthetic(rows: 9, columns: 301, samples: 1, bitsAllocated: 8, bitsStored: 2, signed: false, planar: 0),
        Synthetic(rows: 31, columns: 29, samples: 1, bitsAllocated: 16, bitsStored: 12, signed: false, planar: 0),
        Synthetic(rows: 31, columns: 29, samples: 1, bitsAllocated: 16, bitsStored: 12, signed: true, planar: 0),
        Synthetic(rows: 64, columns: 65, samples: 1, bitsAllocated: 16, bitsStored: 16, signed: false, planar: 0),
        Synthetic(rows: 7, columns: 300, samples: 1, bitsAllocated: 16, bitsStored: 16, signed: true, planar: 0),
        Synthetic(rows: 11, columns: 5, samples: 3, bitsAllocated: 8, bitsStored: 8, signed: false, planar: 0),
        Synthetic(rows: 11, columns: 5, samples: 3, bitsAllocated: 8, bitsStored: 8, signed: false, planar: 1),
        Synthetic(rows: 20, columns: 21, samples: 3, bitsAllocated: 16, bitsStored: 16, signed: false, planar: 0),
        Synthetic(rows: 3, columns: 3, samples: 3, bitsAllocated: 32, bitsStored: 32, signed: false, planar: 1),
        Synthetic(rows: 4, columns: 9, samples: 1, bitsAllocated: 32, bitsStored: 32, signed: true, planar: 0),
    ]

    /// The frame colour-by-pixel, as the decoders return it.
    static func interleaved(_ f: DecodedFrame) -> [UInt8] {
        let d = f.descriptor
        guard d.planarConfiguration == 1, d.samplesPerPixel > 1 else { return f.bytes }
        let width = d.bitsAllocated / 8, pixels = d.rows * d.columns, spp = d.samplesPerPixel
        var out = [UInt8](repeating: 0, count: f.bytes.count)
        for p in 0..<pixels {
            for s in 0..<spp {
                for k in 0..<width { out[(p * spp + s) * width + k] = f.bytes[(s * pixels + p) * width + k] }
            }
        }
        return out
    }

    @Test("RLE encode then decode gives the same samples, colour-by-pixel", arguments: synthetic)
    func rleRoundTrip(_ s: Synthetic) throws {
        let frame = s.frame
        let encoded = try RLECodec().encode(frame, syntax: RLECodec.transferSyntaxUID, options: .lossless)
        #expect(encoded.codestream.count % 2 == 0)
        let segments = Int(encoded.codestream[0])
        #expect(segments == s.samples * s.bitsAllocated / 8)
        let back = try RLECodec().decode(encoded.codestream, descriptor: s.descriptor, syntax: RLECodec.transferSyntaxUID)
        #expect(back.bytes == Self.interleaved(frame))
        #expect(back.descriptor.planarConfiguration == 0)
    }

    @Test("JPEG Lossless encode then decode gives the same stored samples", arguments: synthetic.filter { $0.bitsAllocated <= 16 })
    func jpegRoundTrip(_ s: Synthetic) throws {
        let frame = s.frame
        for syntax in [JPEGLosslessCodec.process14UID, JPEGLosslessCodec.selectionValue1UID] {
            let encoded = try JPEGLosslessCodec().encode(frame, syntax: syntax, options: .lossless)
            let back = try JPEGLosslessCodec().decode(encoded.codestream, descriptor: s.descriptor, syntax: syntax)
            #expect(back.bytes == maskedToBitsStored(Self.interleaved(frame), s.descriptor))
        }
    }

    @Test("JPEG Lossless: the several-samples-per-lookup loops decode every row width and mix of short and long codes")
    func jpegMultiSampleLookups() throws {
        // A random walk whose steps are mostly 0 or ±1 (two or three samples per 12-bit lookup),
        // sometimes large (a code that does not fit), at widths around the loops' three-sample step.
        var state: UInt64 = 0x2545F4914F6CDD1D
        for bitsAllocated in [8, 16] {
            for samples in [1, 3] {
                for columns in 1...9 {
                    let rows = 6
                    let max = bitsAllocated == 8 ? 255 : 4095
                    var values = [Int](repeating: 0, count: rows * columns * samples)
                    var level = [Int](repeating: max / 2, count: samples)
                    for i in values.indices {
                        state = state &* 6364136223846793005 &+ 1442695040888963407
                        let r = Int(state >> 33)
                        let k = i % samples
                        level[k] += r % 16 == 0 ? (r >> 8) % (max / 2) - max / 4 : (r >> 8) % 3 - 1
                        level[k] = Swift.max(0, Swift.min(max, level[k]))
                        values[i] = level[k]
                    }
                    let d = FrameDescriptor(rows: rows, columns: columns, samplesPerPixel: samples, bitsAllocated: bitsAllocated,
                                            bitsStored: bitsAllocated == 8 ? 8 : 12, highBit: bitsAllocated == 8 ? 7 : 11,
                                            isSigned: false, planarConfiguration: 0,
                                            photometricInterpretation: samples == 3 ? "RGB" : "MONOCHROME2")
                    let bytes = bitsAllocated == 8 ? values.map { UInt8($0) }
                        : values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
                    let codec = JPEGLosslessCodec()
                    let encoded = try codec.encode(DecodedFrame(bytes: bytes, descriptor: d),
                                                   syntax: JPEGLosslessCodec.selectionValue1UID, options: .lossless)
                    let back = try codec.decode(encoded.codestream, descriptor: d, syntax: JPEGLosslessCodec.selectionValue1UID)
                    #expect(back.bytes == bytes, "\(columns)×\(rows)×\(samples), \(bitsAllocated) bits")
                }
            }
        }
    }

    @Test("JPEG Lossless decodes predictors 1–7, point transforms and restart intervals")
    func predictorsPointTransformRestarts() throws {
        for s in [Self.synthetic[3], Self.synthetic[6], Self.synthetic[9], Self.synthetic[1]] {
            let d = s.descriptor
            let frame = Self.interleaved(s.frame)
            let width = d.bitsAllocated / 8
            let samples = (0..<(frame.count / width)).map { i in
                width == 1 ? UInt16(frame[i]) : UInt16(frame[2 * i]) | UInt16(frame[2 * i + 1]) << 8
            }.map { $0 & UInt16(truncatingIfNeeded: (1 << d.bitsStored) - 1) }
            for predictor in 1...7 {
                for pt in [0, 1, 3] where pt < d.bitsStored - 1 {
                    for restart in [0, d.columns, 2 * d.columns] {
                        let stream = JPEGLosslessEncoder.encode(samples: samples, rows: d.rows, columns: d.columns,
                                                                components: d.samplesPerPixel, precision: d.bitsStored,
                                                                predictor: predictor, pointTransform: pt, restartInterval: restart)
                        let image = try JPEGLosslessDecoder.decode(stream)
                        let expected = samples.map { ($0 >> UInt16(pt)) << UInt16(pt) }
                        #expect(image.samples == expected, "\(s.testDescription) predictor \(predictor) Pt \(pt) restart \(restart)")
                    }
                }
            }
        }
    }

    // MARK: - Frames and bad input

    @Test("frame 0 and frames past Number of Frames are .noSuchFrame naming the frame")
    func noSuchFrame() throws {
        guard let url = PydicomCorpus.testFile("emri_small_RLE.dcm") else { return }
        let frames = try PixelDataFrames(DicomFile.read(path: url.path, options: ReadOptions(lazyPixelData: true)))
        #expect(frames.numberOfFrames == 10)
        for n in [0, 11, -1] {
            #expect(throws: CodecError(.noSuchFrame, "no frame \(n) (the object has 10)", frame: n)) { try frames.decodedFrame(n) }
        }
        #expect(try frames.fragmentIndices(frame: 10) == 9..<10)
    }

    /// A one-frame encapsulated data set holding `stream`.
    static func encapsulated(_ stream: [UInt8], _ s: Synthetic, frames: Int = 1, fragments: [[UInt8]]? = nil) throws -> DataSet {
        var ds = DataSet()
        try ds.set(.rows, uint16s: [UInt16(s.rows)])
        try ds.set(.columns, uint16s: [UInt16(s.columns)])
        try ds.set(.samplesPerPixel, uint16s: [UInt16(s.samples)])
        try ds.set(.bitsAllocated, uint16s: [UInt16(s.bitsAllocated)])
        try ds.set(.bitsStored, uint16s: [UInt16(s.bitsStored)])
        try ds.set(.highBit, uint16s: [UInt16(s.bitsStored - 1)])
        try ds.set(.pixelRepresentation, uint16s: [s.signed ? 1 : 0])
        try ds.set(.photometricInterpretation, string: s.samples == 3 ? "RGB" : "MONOCHROME2")
        if frames > 1 { try ds.set(.numberOfFrames, string: "\(frames)") }
        ds[.pixelData] = DataElement(tag: .pixelData, vr: .OB,
                                     value: .encapsulated(EncapsulatedPixelData(fragments: (fragments ?? [stream]).map { .bytes($0) })),
                                     undefinedLength: true)
        return ds
    }

    @Test("truncated and corrupted codestreams throw CodecError naming the frame, never crash")
    func corruptStreams() throws {
        let s = Self.synthetic[4]
        for (codec, syntax) in [(RLECodec() as any PixelCodec, RLECodec.transferSyntaxUID),
                                (JPEGLosslessCodec(), JPEGLosslessCodec.selectionValue1UID)] {
            let stream = try codec.encode(s.frame, syntax: syntax, options: .lossless).codestream
            var failures = 0
            for cut in stride(from: 0, to: stream.count - 2, by: max(1, stream.count / 97)) {
                let ds = try Self.encapsulated(Array(stream[0..<cut]) + (cut % 2 == 1 ? [0] : []), s)
                let frames = try PixelDataFrames(dataSet: ds, transferSyntax: TransferSyntax(uid: syntax))
                do {
                    _ = try frames.decodedFrame(1)
                } catch {
                    #expect(error.frame == 1)
                    failures += 1
                }
            }
            #expect(failures > 0)
            // Flipped bytes: decode or throw, nothing else.
            for i in stride(from: 0, to: stream.count, by: 3) {
                var bad = stream
                bad[i] ^= 0x5A
                _ = try? codec.decode(bad, descriptor: s.descriptor, syntax: syntax)
            }
        }
        // A second frame that is missing altogether.
        let stream = try RLECodec().encode(s.frame, syntax: RLECodec.transferSyntaxUID, options: .lossless).codestream
        let two = try PixelDataFrames(dataSet: Self.encapsulated(stream, s, frames: 3, fragments: [stream, stream]),
                                      transferSyntax: TransferSyntax(uid: RLECodec.transferSyntaxUID))
        #expect(throws: CodecError.self) { try two.decodedFrame(2) }
        do { _ = try two.decodedFrame(2) } catch { #expect(error.frame == 2) }
    }

    @Test("frames are found from the Basic Offset Table, from SOI markers and from EOI markers when fragments split frames")
    func fragmentsToFrames() throws {
        let s = Self.synthetic[1]
        let a = try JPEGLosslessCodec().encode(s.frame, syntax: JPEGLosslessCodec.selectionValue1UID, options: .lossless).codestream
        var f2 = s.frame
        f2.bytes = f2.bytes.map { $0 ^ 0x0F }
        let b = try JPEGLosslessCodec().encode(f2, syntax: JPEGLosslessCodec.selectionValue1UID, options: .lossless).codestream
        // Two frames in five fragments: a = 3 fragments, b = 2.
        func split(_ x: [UInt8], _ n: Int) -> [[UInt8]] {
            let size = (x.count + n - 1) / n
            return stride(from: 0, to: x.count, by: size).map { Array(x[$0..<min(x.count, $0 + size)]) }
        }
        let fragments = split(a, 3) + split(b, 2)
        let syntax = TransferSyntax(uid: JPEGLosslessCodec.selectionValue1UID)
        var ds = try Self.encapsulated([], s, frames: 2, fragments: fragments)
        let noTable = try PixelDataFrames(dataSet: ds, transferSyntax: syntax)
        #expect(try noTable.codestream(frame: 1) == a)
        #expect(try noTable.codestream(frame: 2) == b)
        #expect(try noTable.decodedFrame(2).bytes == f2.bytes)
        // With a Basic Offset Table (offsets of each frame's first fragment item).
        let offset2 = UInt32(fragments[0..<3].reduce(0) { $0 + 8 + $1.count })
        var table: [UInt8] = [0, 0, 0, 0]
        for k in 0..<4 { table.append(UInt8(truncatingIfNeeded: offset2 >> UInt32(8 * k))) }
        ds[.pixelData] = DataElement(tag: .pixelData, vr: .OB,
                                     value: .encapsulated(EncapsulatedPixelData(basicOffsetTable: table, fragments: fragments.map { .bytes($0) })),
                                     undefinedLength: true)
        let withTable = try PixelDataFrames(dataSet: ds, transferSyntax: syntax)
        #expect(try withTable.fragmentIndices(frame: 2) == 3..<5)
        #expect(try withTable.codestream(frame: 2) == b)
        // The Extended Offset Table, when present, is used first (PS3.3 §C.7.6.3.1.8).
        var ext: [UInt8] = []
        for v in [UInt64(0), UInt64(offset2)] { for k in 0..<8 { ext.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * k))) } }
        var lengths: [UInt8] = []
        for v in [UInt64(a.count), UInt64(b.count)] { for k in 0..<8 { lengths.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * k))) } }
        ds[.extendedOffsetTable] = DataElement(.extendedOffsetTable, .OV, bytes: ext)
        ds[.extendedOffsetTableLengths] = DataElement(.extendedOffsetTableLengths, .OV, bytes: lengths)
        let withExtended = try PixelDataFrames(dataSet: ds, transferSyntax: syntax)
        #expect(try withExtended.codestream(frame: 1) == a)
    }

    @Test("native frames are slices, read lazily from the file, including big endian files")
    func nativeFrames() throws {
        guard let rle = PydicomCorpus.testFile("emri_small_RLE.dcm") else { return }
        let source = try DicomFile.read(path: rle.path)
        let decoded = try PixelDataFrames(source)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("native-frames-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for syntax in [TransferSyntax.explicitVRLittleEndian, .explicitVRBigEndian, .implicitVRLittleEndian] {
            let native = try Transcoder.transcode(source, to: syntax)
            let path = dir.appendingPathComponent("\(syntax.uid).dcm").path
            try native.write(to: path)
            let lazy = try PixelDataFrames(DicomFile.read(path: path, options: ReadOptions(lazyPixelData: true)))
            #expect(lazy.numberOfFrames == 10 && !lazy.isEncapsulated)
            for n in [1, 4, 10] {
                #expect(try lazy.decodedFrame(n).bytes == decoded.decodedFrame(n).bytes, "\(syntax.name) frame \(n)")
            }
        }
    }

    @Test("A frame of a 1,000-frame object is read on its own: memory does not grow with the object (issue 8, frames without decoding the object)")
    func thousandFrameObject() throws {
        // 1,000 frames of 512x512x16 (500 MiB of Pixel Data) in a sparse file: the header is written,
        // the Pixel Data value is a hole the kernel reads as zeros, except the last frame's, written.
        let rows = 512, columns = 512, frames = 1000, frameBytes = rows * columns * 2
        var ds = DataSet()
        try ds.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.7.3")
        try ds.set(.sopInstanceUID, string: "1.2.826.0.1.3680043.2.1125.1000")
        try ds.set(.rows, uint16s: [UInt16(rows)])
        try ds.set(.columns, uint16s: [UInt16(columns)])
        try ds.set(.samplesPerPixel, uint16s: [1])
        try ds.set(.bitsAllocated, uint16s: [16])
        try ds.set(.bitsStored, uint16s: [16])
        try ds.set(.highBit, uint16s: [15])
        try ds.set(.pixelRepresentation, uint16s: [0])
        try ds.set(.photometricInterpretation, string: "MONOCHROME2")
        try ds.set(.numberOfFrames, string: "\(frames)")
        ds[.pixelData] = DataElement(tag: .pixelData, vr: .OW, value: .bytes([0, 0]))
        var bytes = try DicomFile(dataSet: ds, transferSyntax: .explicitVRLittleEndian).encoded()
        // Pixel Data is the last element: its 32-bit length sits just before its 2-byte value.
        bytes.removeLast(2)
        let total = UInt32(frames * frameBytes)
        bytes.replaceSubrange((bytes.count - 4)..., with: [UInt8(total & 0xFF), UInt8((total >> 8) & 0xFF), UInt8((total >> 16) & 0xFF), UInt8(total >> 24)])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("frames-1000-\(getpid()).dcm").path
        defer { unlink(path) }
        let last = (0..<frameBytes).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        let header = bytes.count
        bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
        #expect(ftruncate(fd, off_t(header + frames * frameBytes)) == 0)
        last.withUnsafeBytes { _ = pwrite(fd, $0.baseAddress, $0.count, off_t(header + (frames - 1) * frameBytes)) }
        close(fd)

        func peakKiB() -> Int { var u = rusage(); getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u); return u.ru_maxrss }
        let before = peakKiB()
        let lazy = try PixelDataFrames(DicomFile.read(path: path, options: ReadOptions(lazyPixelData: true)))
        #expect(lazy.numberOfFrames == frames)
        for _ in 0..<20 {
            #expect(try lazy.nativeFrame(frames) == last)
            #expect(try lazy.nativeFrame(1) == [UInt8](repeating: 0, count: frameBytes))
            #expect(try lazy.nativeFrame(500).count == frameBytes)
        }
        #expect(throws: CodecError.self) { try lazy.nativeFrame(frames + 1) }
        // Reading the object whole takes the process's peak up by hundreds of MiB (389 MiB when
        // this test was checked against a whole read); frame by frame it is a few frames' worth
        // (0.5 MiB each). Other tests running meanwhile stay far below 128 MiB.
        #expect(peakKiB() - before < 128 * 1024, "peak RSS grew by \((peakKiB() - before) / 1024) MiB")
    }

    @Test("Bits Allocated 1 frames are unpacked from any bit offset")
    func bitPackedFrames() throws {
        // 3 frames of 3×3 = 9 bits each: frame 2 starts at bit 9.
        var ds = try Self.encapsulated([], Synthetic(rows: 3, columns: 3, samples: 1, bitsAllocated: 8, bitsStored: 8, signed: false, planar: 0), frames: 3)
        try ds.set(.bitsAllocated, uint16s: [1])
        try ds.set(.bitsStored, uint16s: [1])
        try ds.set(.highBit, uint16s: [0])
        let bits: [UInt8] = [1,0,1, 0,1,0, 1,0,1,  1,1,1, 0,0,0, 1,1,0,  0,0,1, 0,1,1, 1,1,1]
        var packed = [UInt8](repeating: 0, count: 4)
        for (i, b) in bits.enumerated() where b == 1 { packed[i / 8] |= 1 << UInt8(i % 8) }
        ds[.pixelData] = DataElement(.pixelData, .OB, bytes: packed)
        let frames = try PixelDataFrames(dataSet: ds, transferSyntax: .explicitVRLittleEndian)
        for n in 1...3 {
            let f = try frames.nativeFrame(n)
            let unpacked = (0..<9).map { Int(f[$0 / 8] >> UInt8($0 % 8) & 1) }
            #expect(unpacked == bits[(9 * (n - 1))..<(9 * n)].map(Int.init), "frame \(n)")
        }
    }

    @Test("transcoding native → RLE → JPEG Lossless → native keeps the pixels and records the encapsulation")
    func transcodeChain() throws {
        guard let url = PydicomCorpus.testFile("SC_rgb_rle_2frame.dcm") else { return }
        let source = try DicomFile.read(path: url.path)
        let original = try PixelDataFrames(source)
        let native = try Transcoder.transcode(source, to: .explicitVRLittleEndian)
        #expect(native.dataSet.int(.planarConfiguration) == 0)
        let jpeg = try Transcoder.transcode(native, to: TransferSyntax(uid: JPEGLosslessCodec.selectionValue1UID))
        guard case .encapsulated(let e) = jpeg.dataSet[.pixelData]?.value else { Issue.record("not encapsulated"); return }
        #expect(e.fragments.count == 2 && e.basicOffsets.count == 2 && e.fragments.allSatisfy { $0.length % 2 == 0 })
        let again = try DicomFile.read(bytes: jpeg.encoded())
        #expect(again.transferSyntax.uid == JPEGLosslessCodec.selectionValue1UID)
        let rle = try Transcoder.transcode(again, to: TransferSyntax(uid: RLECodec.transferSyntaxUID))
        let back = try PixelDataFrames(DicomFile.read(bytes: rle.encoded()))
        for n in 1...2 { #expect(try back.decodedFrame(n).bytes == original.decodedFrame(n).bytes) }
        #expect(rle.dataSet[.lossyImageCompression] == nil)
    }
}
