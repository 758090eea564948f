import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// Encoders around libjpeg-turbo, CharLS and OpenJPEG: lossless round trips are bit-exact through our
/// decoders, lossy ones stay within a stated tolerance; corrupt codestreams give a CodecError.
@Suite("codecs around libraries: encode and round trips")
struct LibraryCodecRoundTripTests {
    static func descriptor(rows: Int = 48, columns: Int = 64, samples: Int = 1, bits: Int = 8, stored: Int? = nil, signed: Bool = false,
                           planar: Int = 0, photometric: String? = nil) -> FrameDescriptor {
        FrameDescriptor(rows: rows, columns: columns, samplesPerPixel: samples, bitsAllocated: bits, bitsStored: stored ?? bits,
                        highBit: (stored ?? bits) - 1, isSigned: signed, planarConfiguration: planar,
                        photometricInterpretation: photometric ?? (samples == 1 ? "MONOCHROME2" : "RGB"))
    }

    /// A smooth image with some texture: values spread over the whole stored range, in the native container.
    static func synthetic(_ d: FrameDescriptor, seed: UInt64 = 1, noiseBits: UInt64 = 4) -> DecodedFrame {
        var rng = seed
        let maxValue = (1 << d.bitsStored) - 1
        let unit = d.bitsAllocated / 8
        var bytes = [UInt8](repeating: 0, count: d.nativeFrameLength)
        for y in 0..<d.rows {
            for x in 0..<d.columns {
                for s in 0..<d.samplesPerPixel {
                    rng = rng &* 6364136223846793005 &+ 1442695040888963407
                    let noise = Int(rng >> (64 - noiseBits))
                    var v = ((x + y * 2 + s * 17) * maxValue) / (d.columns + 2 * d.rows + 40) + noise
                    v = min(maxValue, max(0, v))
                    if d.isSigned { v -= (maxValue + 1) / 2 }   // the full signed range, two's complement
                    let at = (d.planarConfiguration == 1 ? s * d.rows * d.columns + y * d.columns + x
                                                         : (y * d.columns + x) * d.samplesPerPixel + s) * unit
                    let pattern = UInt64(bitPattern: Int64(v))
                    for b in 0..<unit { bytes[at + b] = UInt8(truncatingIfNeeded: pattern >> (8 * UInt64(b))) }
                }
            }
        }
        return DecodedFrame(bytes: bytes, descriptor: d)
    }

    /// Samples of a native frame as integers, colour-by-pixel.
    static func values(_ f: DecodedFrame) -> [Int] {
        let d = f.descriptor, unit = d.bitsAllocated / 8, pixels = d.rows * d.columns
        var out = [Int](repeating: 0, count: pixels * d.samplesPerPixel)
        for p in 0..<pixels {
            for s in 0..<d.samplesPerPixel {
                let at = (d.planarConfiguration == 1 ? s * pixels + p : p * d.samplesPerPixel + s) * unit
                var v = 0
                for b in 0..<unit { v |= Int(f.bytes[at + b]) << (8 * b) }
                if d.isSigned, v & (1 << (8 * unit - 1)) != 0 { v -= 1 << (8 * unit) }
                out[p * d.samplesPerPixel + s] = v
            }
        }
        return out
    }

    // MARK: JPEG Baseline

    /// Mean and maximum absolute difference of two frames' samples.
    static func difference(_ a: DecodedFrame, _ b: DecodedFrame) -> (mean: Double, max: Int) {
        let d = zip(values(a), values(b)).map { abs($0 - $1) }
        return (Double(d.reduce(0, +)) / Double(max(1, d.count)), d.max() ?? 0)
    }

    // Smooth ramps with 0–1 of per-sample noise: quality 90 keeps the mean error under 1 grey level
    // (grey) or 2 (colour, 4:2:2 chroma) and no sample more than 8 or 16 away.
    @Test("JPEG Baseline: 8-bit grey encodes at quality 90 and decodes within a mean of 1 and a max of 8, ratio recorded",
          arguments: ["MONOCHROME2", "MONOCHROME1"])
    func jpegGrey(photometric: String) throws {
        let frame = Self.synthetic(Self.descriptor(rows: 97, columns: 131, photometric: photometric), noiseBits: 1)
        let codec = JPEGBaselineCodec()
        let encoded = try codec.encode(frame, syntax: LibrarySyntax.jpegBaseline, options: EncodeOptions())
        #expect(encoded.photometricInterpretation == photometric)
        #expect(encoded.codestream.starts(with: [0xFF, 0xD8]))
        #expect((encoded.lossyRatio ?? 0) > 2)
        let decoded = try codec.decode(encoded.codestream, descriptor: frame.descriptor, syntax: LibrarySyntax.jpegBaseline)
        let diff = Self.difference(frame, decoded)
        #expect(diff.mean < 1 && diff.max <= 8, "difference \(diff)")
    }

    @Test("PALETTE COLOR: encoders for the lossless syntaxes only (PS3.5 §8.2)")
    func paletteLosslessOnly() {
        let d = Self.descriptor(photometric: "PALETTE COLOR")
        for lossless in ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.5"] {
            #expect(CodecRegistry.encoder(for: lossless, d) != nil, "\(lossless)")
        }
        for lossy in ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91"] {
            #expect(CodecRegistry.encoder(for: lossy, d) == nil, "\(lossy)")
            #expect(CodecRegistry.encoder(for: lossy, Self.descriptor()) != nil, "\(lossy) for MONOCHROME2")
        }
    }

    @Test("JPEG Baseline: grey given as a raw plane is the same codestream as through libjpeg's colour conversion",
          arguments: [(1, 1), (8, 8), (11, 13), (97, 131), (512, 512), (7, 600)])
    func jpegGreyPlane(size: (Int, Int)) throws {
        let frame = Self.synthetic(Self.descriptor(rows: size.0, columns: size.1), noiseBits: 3)
        let codec = JPEGBaselineCodec()
        for quality in [50, 90, 100] {
            let plane = try codec.encode(frame, syntax: LibrarySyntax.jpegBaseline, options: EncodeOptions(quality: quality), greyAsPlane: true)
            let converted = try codec.encode(frame, syntax: LibrarySyntax.jpegBaseline, options: EncodeOptions(quality: quality), greyAsPlane: false)
            #expect(plane.codestream == converted.codestream, "\(size) quality \(quality): \(plane.codestream.count) vs \(converted.codestream.count) bytes")
        }
    }

    @Test("JPEG Baseline: RGB (by pixel and by plane) becomes YBR_FULL_422 and decodes back to RGB within a mean of 2, max 16",
          arguments: [0, 1])
    func jpegRGB(planar: Int) throws {
        let frame = Self.synthetic(Self.descriptor(rows: 64, columns: 80, samples: 3, planar: planar), noiseBits: 1)
        let codec = JPEGBaselineCodec()
        let encoded = try codec.encode(frame, syntax: LibrarySyntax.jpegBaseline, options: EncodeOptions())
        #expect(encoded.photometricInterpretation == "YBR_FULL_422")
        var stored = frame.descriptor
        stored.photometricInterpretation = encoded.photometricInterpretation
        stored.planarConfiguration = 0
        let decoded = try codec.decode(encoded.codestream, descriptor: stored, syntax: LibrarySyntax.jpegBaseline)
        #expect(decoded.descriptor.photometricInterpretation == "RGB")
        #expect(decoded.descriptor.planarConfiguration == 0)
        let diff = Self.difference(frame, decoded)
        #expect(diff.mean < 2 && diff.max <= 16, "difference \(diff)")
    }

    @Test("JPEG Baseline: quality changes the size; 12-bit and signed frames are not offered to libjpeg-turbo")
    func jpegQualityAndLimits() throws {
        let frame = Self.synthetic(Self.descriptor(rows: 128, columns: 128))
        let codec = JPEGBaselineCodec()
        let low = try codec.encode(frame, syntax: LibrarySyntax.jpegBaseline, options: EncodeOptions(quality: 20))
        let high = try codec.encode(frame, syntax: LibrarySyntax.jpegBaseline, options: EncodeOptions(quality: 98))
        #expect(low.codestream.count < high.codestream.count)
        #expect(!codec.canDecode(Self.descriptor(bits: 16, stored: 12), syntax: LibrarySyntax.jpegExtended))
        #expect(!codec.canEncode(Self.descriptor(signed: true), syntax: LibrarySyntax.jpegBaseline))
        #expect(CodecRegistry.encoder(for: LibrarySyntax.jpegBaseline, frame.descriptor) is JPEGBaselineCodec)
    }

    // MARK: JPEG-LS

    static let jpegLSCases: [(bits: Int, stored: Int, samples: Int, signed: Bool, planar: Int)] = [
        (8, 2, 1, false, 0), (8, 8, 1, false, 0), (8, 8, 3, false, 0), (8, 8, 3, false, 1), (16, 12, 1, false, 0),
        (16, 12, 1, true, 0), (16, 16, 1, false, 0), (16, 16, 1, true, 0), (16, 10, 3, false, 0), (16, 9, 1, false, 0),
    ]

    @Test("JPEG-LS lossless round trips bit-exact: 2–16 bits, grey and colour, signed, both planar configurations",
          arguments: 0..<10)
    func jpegLSLossless(index: Int) throws {
        let c = Self.jpegLSCases[index]
        let frame = Self.synthetic(Self.descriptor(rows: 33, columns: 47, samples: c.samples, bits: c.bits, stored: c.stored, signed: c.signed, planar: c.planar))
        let codec = JPEGLSCodec()
        let encoded = try codec.encode(frame, syntax: LibrarySyntax.jpegLSLossless, options: .lossless)
        #expect(encoded.lossyRatio == nil)
        #expect(encoded.photometricInterpretation == frame.descriptor.photometricInterpretation)
        let decoded = try codec.decode(encoded.codestream, descriptor: frame.descriptor, syntax: LibrarySyntax.jpegLSLossless)
        #expect(Self.values(decoded) == Self.values(frame))
    }

    @Test("JPEG-LS near-lossless NEAR=3 stays within ±3 and records a ratio")
    func jpegLSNear() throws {
        let frame = Self.synthetic(Self.descriptor(rows: 40, columns: 40, bits: 16, stored: 12))
        let codec = JPEGLSCodec()
        #expect(throws: CodecError.self) { try codec.encode(frame, syntax: LibrarySyntax.jpegLSLossless, options: EncodeOptions(nearLossless: 3)) }
        let encoded = try codec.encode(frame, syntax: LibrarySyntax.jpegLSNearLossless, options: EncodeOptions(nearLossless: 3))
        #expect(encoded.lossyRatio != nil)
        let decoded = try codec.decode(encoded.codestream, descriptor: frame.descriptor, syntax: LibrarySyntax.jpegLSNearLossless)
        let diff = zip(Self.values(frame), Self.values(decoded)).map { abs($0 - $1) }.max() ?? 99
        #expect(diff <= 3)
    }

    // MARK: JPEG 2000

    static let j2kCases: [(bits: Int, stored: Int, samples: Int, signed: Bool, planar: Int)] = [
        (8, 8, 1, false, 0), (8, 8, 3, false, 0), (8, 8, 3, false, 1), (16, 12, 1, false, 0), (16, 12, 1, true, 0),
        (16, 16, 1, true, 0), (16, 16, 1, false, 0), (8, 8, 1, false, 0),
    ]

    @Test("JPEG 2000 lossless round trips bit-exact (RGB recorded as YBR_RCT)", arguments: 0..<8)
    func j2kLossless(index: Int) throws {
        let c = Self.j2kCases[index]
        let rows = index == 7 ? 3 : 37, columns = index == 7 ? 5 : 53
        let frame = Self.synthetic(Self.descriptor(rows: rows, columns: columns, samples: c.samples, bits: c.bits, stored: c.stored, signed: c.signed, planar: c.planar))
        let codec = JPEG2000Codec()
        let encoded = try codec.encode(frame, syntax: LibrarySyntax.jpeg2000Lossless, options: .lossless)
        #expect(encoded.codestream.starts(with: [0xFF, 0x4F, 0xFF, 0x51]))
        #expect(encoded.codestream.count % 2 == 0)
        #expect(encoded.lossyRatio == nil)
        #expect(encoded.photometricInterpretation == (c.samples == 3 ? "YBR_RCT" : "MONOCHROME2"))
        var stored = frame.descriptor
        stored.photometricInterpretation = encoded.photometricInterpretation
        let decoded = try codec.decode(encoded.codestream, descriptor: stored, syntax: LibrarySyntax.jpeg2000Lossless)
        #expect(decoded.descriptor.photometricInterpretation == frame.descriptor.photometricInterpretation)
        #expect(Self.values(decoded) == Self.values(frame))
    }

    @Test("JPEG 2000 lossy (quality 90 → 6:1 asked) decodes within 2% of the range; RGB recorded as YBR_ICT", arguments: [1, 3])
    func j2kLossy(samples: Int) throws {
        let frame = Self.synthetic(Self.descriptor(rows: 128, columns: 96, samples: samples))
        let codec = JPEG2000Codec()
        let encoded = try codec.encode(frame, syntax: LibrarySyntax.jpeg2000, options: EncodeOptions(quality: 90))
        #expect(encoded.photometricInterpretation == (samples == 3 ? "YBR_ICT" : "MONOCHROME2"))
        #expect((encoded.lossyRatio ?? 0) > 3)
        var stored = frame.descriptor
        stored.photometricInterpretation = encoded.photometricInterpretation
        let decoded = try codec.decode(encoded.codestream, descriptor: stored, syntax: LibrarySyntax.jpeg2000)
        let a = Self.values(frame), b = Self.values(decoded)
        let meanDiff = Double(zip(a, b).map { abs($0 - $1) }.reduce(0, +)) / Double(a.count)
        #expect(meanDiff < 5, "mean absolute difference \(meanDiff)")
    }

    // MARK: Corpus round trips

    @Test("pydicom's lossless JPEG-LS and JPEG 2000 frames re-encode losslessly to JPEG-LS and JPEG 2000, bit-exact")
    func corpusLosslessReencode() throws {
        var checked = 0
        for name in ["MR_small_jpeg_ls_lossless.dcm", "emri_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm", "US1_J2KR.dcm",
                     "693_J2KR.dcm", "GDCMJ2K_TextGBR.dcm", "SC_rgb_jls_lossy_line.dcm"] {
            guard let url = LibraryCodecCorpusTests.path(of: name) else { continue }
            let file = try DicomFile.read(path: url.path)
            let descriptor = try FrameDescriptor(file.dataSet)
            let syntax = file.transferSyntax.uid
            guard let frames = TestFrames.frames(of: file.dataSet), let codec = CodecRegistry.decoder(for: syntax, descriptor) else { continue }
            let original = try codec.decode(frames[0], descriptor: descriptor, syntax: syntax)
            for target in [LibrarySyntax.jpegLSLossless, LibrarySyntax.jpeg2000Lossless] {
                guard let encoder = CodecRegistry.encoder(for: target, original.descriptor) else {
                    Issue.record("\(name): no encoder for \(target)"); continue
                }
                let encoded = try encoder.encode(original, syntax: target, options: .lossless)
                var stored = original.descriptor
                stored.photometricInterpretation = encoded.photometricInterpretation
                let again = try encoder.decode(encoded.codestream, descriptor: stored, syntax: target)
                #expect(again.bytes == original.bytes, "\(name) → \(target)")
                checked += 1
            }
        }
        #expect(checked >= 10)
    }

    // MARK: Bad input

    @Test("truncated, garbage and mislabelled codestreams give a CodecError, never a crash")
    func corruptStreams() throws {
        let grey = Self.synthetic(Self.descriptor(rows: 64, columns: 64))
        let cases: [(any PixelCodec, String)] = [
            (JPEGBaselineCodec(), LibrarySyntax.jpegBaseline), (JPEGLSCodec(), LibrarySyntax.jpegLSLossless),
            (JPEG2000Codec(), LibrarySyntax.jpeg2000Lossless), (JPEG2000Codec(), LibrarySyntax.htj2kLossless),
        ]
        for (codec, syntax) in cases {
            let encodeSyntax = syntax == LibrarySyntax.htj2kLossless ? LibrarySyntax.jpeg2000Lossless : syntax
            let good = try codec.encode(grey, syntax: encodeSyntax, options: .lossless).codestream
            for cut in [0, 2, 10, good.count / 3, good.count / 2] {
                #expect(throws: CodecError.self, "\(syntax) cut at \(cut)") {
                    _ = try codec.decode(Array(good.prefix(cut)), descriptor: grey.descriptor, syntax: syntax)
                }
            }
            #expect(throws: CodecError.self) { _ = try codec.decode([UInt8](repeating: 0xA5, count: 500), descriptor: grey.descriptor, syntax: syntax) }
            var wrongSize = grey.descriptor
            wrongSize.rows = 65
            do {
                _ = try codec.decode(good, descriptor: wrongSize, syntax: syntax)
                Issue.record("\(syntax): a 64-row image decoded as 65 rows")
            } catch {
                #expect(error.kind == .badDescriptor, "\(syntax): \(error)")
            }
            // Flipped bytes in the middle: an error or some image, but a whole frame and no crash.
            var rng: UInt64 = 7
            for _ in 0..<20 {
                var bad = good
                for _ in 0..<4 {
                    rng = rng &* 6364136223846793005 &+ 1
                    let at = 20 + Int(rng >> 33) % max(1, bad.count - 20)
                    if at < bad.count { bad[at] ^= UInt8(truncatingIfNeeded: rng >> 20) | 1 }
                }
                if let decoded = try? codec.decode(bad, descriptor: grey.descriptor, syntax: syntax) {
                    #expect(decoded.bytes.count == grey.descriptor.nativeFrameLength)
                }
            }
        }
    }
}

/// Inputs found by Fuzz/FuzzLibraryCodecs (Tests/Fixtures/codecs/fuzz): same 4-byte header as the target.
@Suite("codecs around libraries: fuzz findings")
struct LibraryCodecFuzzRegressionTests {
    @Test("OpenJPEG fuzz findings are refused before OpenJPEG sees them: a marker segment longer than the codestream, a main header without COD/QCD",
          arguments: ["openjpeg-unknown-marker-length", "openjpeg-overread-in-decode"])
    func openJPEGFindings(name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Fixtures.directory.appendingPathComponent("codecs/fuzz/\(name)")))
        let d = LibraryCodecRoundTripTests.descriptor(rows: 64, columns: 64, bits: 16, stored: 16, signed: true)
        do {
            let frame = try JPEG2000Codec().decode(Array(bytes[4...]), descriptor: d, syntax: LibrarySyntax.jpeg2000)
            #expect(frame.bytes.count == d.nativeFrameLength)
            Issue.record("\(name) must be refused by the marker check, not decoded")
        } catch {
            #expect(error.kind == .corrupt || error.kind == .badDescriptor, "\(error)")
        }
    }
}
