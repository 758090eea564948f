import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// Our encodes, wrapped in Part 10 files, decoded by DCMTK: JPEG-LS lossless bit-exact through
/// `dcmdjpls`, JPEG Baseline through `dcmdjpeg` within ±2 of our own decoder (two IDCTs, then YBR → RGB).
@Suite("codecs around libraries: our encodes through DCMTK")
struct LibraryCodecDCMTKTests {
    /// `file` with its Pixel Data replaced by one encapsulated frame in `syntax` (PS3.5 §A.4), written to a temp path.
    static func writeEncapsulated(_ file: DicomFile, _ encoded: EncodedFrame, syntax: String, to path: String) throws {
        var ds = file.dataSet
        var pi = Array(encoded.photometricInterpretation.utf8)
        if pi.count % 2 == 1 { pi.append(0x20) }
        ds[.photometricInterpretation] = DataElement(.photometricInterpretation, .CS, bytes: pi)
        ds[.planarConfiguration] = nil
        if (ds.int(.samplesPerPixel) ?? 1) > 1 { ds[.planarConfiguration] = DataElement(.planarConfiguration, .US, bytes: TestBytes.le16([0])) }
        ds[.pixelData] = DataElement(tag: .pixelData, vr: .OB,
                                     value: .encapsulated(EncapsulatedPixelData(fragments: [.bytes(encoded.codestream)])), undefinedLength: true)
        try DicomFile(dataSet: ds, transferSyntax: TransferSyntax(uid: syntax)).write(to: path)
    }

    static func nativePixels(_ path: String) throws -> [UInt8] {
        let file = try DicomFile.read(path: path)
        guard case .bytes(let b)? = file.dataSet[.pixelData]?.value else { throw CodecError(.corrupt, "no native Pixel Data in \(path)") }
        return b
    }

    static func dcmtk(_ tool: String, _ input: String, _ output: String) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = [input, output]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    @Test("JPEG-LS lossless encodes of pydicom's native images decode bit-exact with DCMTK dcmdjpls",
          arguments: ["MR_small.dcm", "CT_small.dcm", "US1_UNCR.dcm", "MR2_UNCR.dcm"])
    func jpegLSThroughDCMTK(name: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dcmdjpls") else { Issue.record("dcmtk missing"); return }
        guard let url = LibraryCodecCorpusTests.path(of: name) else { Issue.record("\(name) not installed"); return }
        let file = try DicomFile.read(path: url.path)
        let descriptor = try FrameDescriptor(file.dataSet)
        let original = try Self.nativePixels(url.path)
        let frame = DecodedFrame(bytes: Array(original.prefix(descriptor.nativeFrameLength)), descriptor: descriptor)
        let encoded = try JPEGLSCodec().encode(frame, syntax: LibrarySyntax.jpegLSLossless, options: .lossless)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jls-dcmtk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let compressed = dir.appendingPathComponent("c.dcm").path, plain = dir.appendingPathComponent("d.dcm").path
        try Self.writeEncapsulated(file, encoded, syntax: LibrarySyntax.jpegLSLossless, to: compressed)
        #expect(try Self.dcmtk("/usr/bin/dcmdjpls", compressed, plain), "dcmdjpls failed on \(name)")
        let back = try Self.nativePixels(plain)
        #expect(Array(back.prefix(descriptor.nativeFrameLength)) == frame.bytes, "\(name)")
    }

    @Test("JPEG Baseline encodes (grey and RGB → YBR_FULL_422) decode with DCMTK dcmdjpeg within ±2 of our decoder")
    func jpegThroughDCMTK() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dcmdjpeg") else { Issue.record("dcmtk missing"); return }
        guard let url = LibraryCodecCorpusTests.path(of: "US1_UNCR.dcm") else { Issue.record("US1_UNCR.dcm not installed"); return }
        let file = try DicomFile.read(path: url.path)
        let descriptor = try FrameDescriptor(file.dataSet)
        let frame = DecodedFrame(bytes: Array(try Self.nativePixels(url.path).prefix(descriptor.nativeFrameLength)), descriptor: descriptor)
        let codec = JPEGBaselineCodec()
        let encoded = try codec.encode(frame, syntax: LibrarySyntax.jpegBaseline, options: EncodeOptions())
        #expect(encoded.photometricInterpretation == "YBR_FULL_422")
        var stored = descriptor
        stored.photometricInterpretation = "YBR_FULL_422"
        let ours = try codec.decode(encoded.codestream, descriptor: stored, syntax: LibrarySyntax.jpegBaseline)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jpeg-dcmtk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let compressed = dir.appendingPathComponent("c.dcm").path, plain = dir.appendingPathComponent("d.dcm").path
        try Self.writeEncapsulated(file, encoded, syntax: LibrarySyntax.jpegBaseline, to: compressed)
        #expect(try Self.dcmtk("/usr/bin/dcmdjpeg", compressed, plain))
        let theirs = Array(try Self.nativePixels(plain).prefix(descriptor.nativeFrameLength))
        let back = try DicomFile.read(path: plain)
        #expect(back.dataSet.string(.photometricInterpretation) == "RGB")
        #expect(theirs.count == ours.bytes.count)
        let diff = zip(theirs, ours.bytes).map { abs(Int($0) - Int($1)) }.max() ?? 99
        #expect(diff <= 2, "max difference to dcmdjpeg \(diff)")
    }
}
