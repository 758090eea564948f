import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// Every JPEG Baseline/Extended, JPEG-LS and JPEG 2000 sample file of pydicom and pydicom-data, decoded by
/// the codecs around libjpeg-turbo, CharLS and OpenJPEG, compared with what pydicom (pylibjpeg-libjpeg,
/// pylibjpeg-openjpeg, pyjpegls) decodes: Tests/Fixtures/codecs/library-codecs.json, made by
/// Scripts/make-library-codec-fixtures.py.
@Suite("codecs around libraries: pydicom sample files")
struct LibraryCodecCorpusTests {
    struct Reference: Decodable {
        struct Samples: Decodable {
            var frame: Int
            var mean: Double
            var stride: Int
            var values: String
        }
        var name: String
        var syntax: String
        var kind: String
        var frames: Int?
        var sha256: [String]?
        var samples: [Samples]?
        var pydicomError: String?
    }
    struct FixtureFile: Decodable { var files: [Reference] }

    static let references: [Reference] = {
        let url = Fixtures.directory.appendingPathComponent("codecs/library-codecs.json")
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(FixtureFile.self, from: data) else { return [] }
        return file.files
    }()

    /// Files our codecs do not decode, and why (each is reported, none is silently dropped).
    static let expectedSkips: [String: String] = [
        "JPGExtended.dcm": "12-bit JPEG Extended: stock libjpeg-turbo 2.1 is an 8-bit build",
        "JPEG-lossy.dcm": "12-bit JPEG Extended (and pydicom cannot decode it either)",
    ]

    static func path(of name: String) -> URL? {
        for dir in PydicomCorpus.directories {
            if let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) {
                for case let url as URL in e where url.lastPathComponent == name { return url }
            }
        }
        return nil
    }

    @Test("the fixture lists the corpus's compressed files")
    func fixturePresent() {
        #expect(Self.references.count >= 40)
    }

    @Test("every frame decodes to pydicom's pixels: bit-exact for JPEG-LS and JPEG 2000, lossy JPEG within ±1 (±2 after YBR→RGB)")
    func corpusMatchesPydicom() throws {
        var exactFrames = 0, jpegFrames = 0, maxJPEGDifference = 0
        var skipped: [String] = [], failures: [String] = []
        for ref in Self.references {
            guard ref.pydicomError == nil, let frameCount = ref.frames else {
                skipped.append("\(ref.name) (pydicom: \(ref.pydicomError ?? "?"))"); continue
            }
            guard let url = Self.path(of: ref.name) else { skipped.append("\(ref.name) (not installed)"); continue }
            guard let file = try? DicomFile.read(path: url.path) else {
                // emri_small_jpeg_2k_lossless_too_short.dcm: damaged on purpose (PydicomCorpusTests.knownBroken).
                #expect(PydicomCorpusTests.knownBroken.contains(ref.name), "\(ref.name) unreadable")
                skipped.append("\(ref.name) (file unreadable)"); continue
            }
            let descriptor = try FrameDescriptor(file.dataSet)
            guard let codec = CodecRegistry.decoder(for: ref.syntax, descriptor) else {
                if Self.expectedSkips[ref.name] == nil { failures.append("\(ref.name): no decoder") }
                skipped.append("\(ref.name) (\(Self.expectedSkips[ref.name] ?? "no decoder"))")
                continue
            }
            guard let frames = TestFrames.frames(of: file.dataSet), frames.count == frameCount else {
                skipped.append("\(ref.name) (fragments not one per frame)"); continue
            }
            if let hashes = ref.sha256 {
                for (i, codestream) in frames.enumerated() {
                    do {
                        let decoded = try codec.decode(codestream, descriptor: descriptor, syntax: ref.syntax)
                        if SHA256.hex(decoded.bytes) == hashes[i] { exactFrames += 1 } else { failures.append("\(ref.name) frame \(i + 1): differs from pydicom") }
                    } catch {
                        failures.append("\(ref.name) frame \(i + 1): \(error)")
                    }
                }
            } else if let samples = ref.samples {
                for s in samples {
                    do {
                        let decoded = try codec.decode(frames[s.frame], descriptor: descriptor, syntax: ref.syntax)
                        let expected = [UInt8](Data(base64Encoded: s.values) ?? Data())
                        let ours = stride(from: 0, to: decoded.bytes.count, by: s.stride).map { decoded.bytes[$0] }
                        guard ours.count == expected.count else { failures.append("\(ref.name) frame \(s.frame + 1): \(ours.count) samples, pydicom \(expected.count)"); continue }
                        let diff = zip(ours, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
                        maxJPEGDifference = max(maxJPEGDifference, diff)
                        let mean = Double(decoded.bytes.reduce(0) { $0 + Int($1) }) / Double(max(1, decoded.bytes.count))
                        // ±1 per decoded component between libjpeg-turbo and libjpeg 9 (pylibjpeg-libjpeg) IDCTs;
                        // YBR_FULL(_422) frames are then converted to RGB (PS3.3 §C.7.6.3.1.2), where 1.402·Cr
                        // makes that up to ±2 per RGB sample.
                        let tolerance = descriptor.photometricInterpretation.hasPrefix("YBR") ? 2 : 1
                        if diff > tolerance || abs(mean - s.mean) > 0.5 {
                            failures.append("\(ref.name) frame \(s.frame + 1): max difference \(diff), mean \(mean) vs \(s.mean)")
                        }
                        print("JPEG \(ref.name) frame \(s.frame + 1): max difference \(diff), mean \(mean) vs pydicom \(s.mean)")
                        #expect(decoded.descriptor.photometricInterpretation == (descriptor.samplesPerPixel == 3 ? "RGB" : descriptor.photometricInterpretation))
                        jpegFrames += 1
                    } catch {
                        failures.append("\(ref.name) frame \(s.frame + 1): \(error)")
                    }
                }
            }
        }
        print("library codecs vs pydicom: \(exactFrames) frames bit-exact, \(jpegFrames) lossy JPEG frames, max JPEG difference \(maxJPEGDifference); skipped: \(skipped)")
        #expect(failures.isEmpty, "\(failures)")
        #expect(exactFrames >= 40)
        #expect(jpegFrames >= 15)
    }
}

/// Frames of encapsulated Pixel Data for these tests only: one fragment per frame, all fragments for a
/// single frame, or grouped by the Basic Offset Table (the general PixelData+Frames lives elsewhere).
enum TestFrames {
    static func frames(of dataSet: DataSet) -> [[UInt8]]? {
        guard case .encapsulated(let pixels)? = dataSet[.pixelData]?.value else { return nil }
        var fragments: [[UInt8]] = []
        for f in pixels.fragments {
            guard case .bytes(let b) = f else { return nil }
            fragments.append(b)
        }
        let count = dataSet.int(.numberOfFrames) ?? 1
        if count == 1 { return [fragments.flatMap { $0 }] }
        if fragments.count == count { return fragments }
        let offsets = pixels.basicOffsets
        guard offsets.count == count else { return nil }
        var frames: [[UInt8]] = [], position = 0, current: [UInt8] = [], next = 1
        for f in fragments {
            if next < count, UInt32(position) == offsets[next] { frames.append(current); current = []; next += 1 }
            current += f
            position += f.count + 8
        }
        frames.append(current)
        return frames.count == count ? frames : nil
    }
}
