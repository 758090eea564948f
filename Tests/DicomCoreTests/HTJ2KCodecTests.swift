import Foundation
import Testing
@testable import DicomCore

/// HTJ2K encode (OpenJPH) round trips: bit-exact through our decoder (OpenJPEG), through OpenJPH's own
/// `ojph_expand`, and through pylibjpeg-openjpeg (what pydicom uses).
@Suite("codecs around libraries: HTJ2K")
struct HTJ2KCodecTests {
    typealias R = LibraryCodecRoundTripTests

    static let cases: [(bits: Int, stored: Int, samples: Int, signed: Bool, syntax: String)] = [
        (8, 8, 1, false, LibrarySyntax.htj2kLossless), (16, 12, 1, false, LibrarySyntax.htj2kLosslessRPCL),
        (16, 16, 1, false, LibrarySyntax.htj2kLosslessRPCL), (16, 16, 1, true, LibrarySyntax.htj2kLosslessRPCL),
        (16, 13, 1, true, LibrarySyntax.htj2kLossless), (8, 8, 3, false, LibrarySyntax.htj2kLosslessRPCL),
        (16, 12, 1, false, LibrarySyntax.htj2k),
    ]

    @Test("HTJ2K lossless round trips bit-exact through OpenJPEG; .202 carries RPCL and a TLM marker", arguments: 0..<7)
    func lossless(index: Int) throws {
        let c = Self.cases[index]
        let frame = R.synthetic(R.descriptor(rows: 70, columns: 90, samples: c.samples, bits: c.bits, stored: c.stored, signed: c.signed))
        guard let codec = CodecRegistry.encoder(for: c.syntax, frame.descriptor) else { Issue.record("no HTJ2K encoder"); return }
        let encoded = try codec.encode(frame, syntax: c.syntax, options: .lossless)
        #expect(encoded.lossyRatio == nil)
        #expect(encoded.codestream.starts(with: [0xFF, 0x4F, 0xFF, 0x51]))
        #expect(encoded.photometricInterpretation == (c.samples == 3 ? "YBR_RCT" : "MONOCHROME2"))
        let cap = Self.marker(0x50, in: encoded.codestream)
        #expect(cap != nil, "CAP marker (ISO 15444-15) present")
        if c.syntax == LibrarySyntax.htj2kLosslessRPCL {
            #expect(Self.marker(0x55, in: encoded.codestream) != nil, "TLM present")
            if let cod = Self.marker(0x52, in: encoded.codestream) { #expect(encoded.codestream[cod + 5] == 2, "RPCL progression") }
        }
        var stored = frame.descriptor
        stored.photometricInterpretation = encoded.photometricInterpretation
        guard let decoder = CodecRegistry.decoder(for: c.syntax, stored) else { Issue.record("no HTJ2K decoder"); return }
        let decoded = try decoder.decode(encoded.codestream, descriptor: stored, syntax: c.syntax)
        #expect(R.values(decoded) == R.values(frame))
    }

    @Test("HTJ2K lossy (.203, quality 90) decodes close to the original and records YBR_ICT for colour")
    func lossy() throws {
        let frame = R.synthetic(R.descriptor(rows: 96, columns: 128, samples: 3))
        let codec = HTJ2KCodec()
        let encoded = try codec.encode(frame, syntax: LibrarySyntax.htj2k, options: EncodeOptions(quality: 90))
        #expect(encoded.photometricInterpretation == "YBR_ICT")
        #expect(encoded.lossyRatio != nil)
        var stored = frame.descriptor
        stored.photometricInterpretation = "YBR_ICT"
        let decoded = try codec.decode(encoded.codestream, descriptor: stored, syntax: LibrarySyntax.htj2k)
        let a = R.values(frame), b = R.values(decoded)
        let mean = Double(zip(a, b).map { abs($0 - $1) }.reduce(0, +)) / Double(a.count)
        #expect(mean < 3, "mean absolute difference \(mean)")
    }

    @Test("HTJ2K lossless codestreams decode bit-exact with OpenJPH's ojph_expand and with pylibjpeg-openjpeg")
    func otherDecoders() throws {
        let frame = R.synthetic(R.descriptor(rows: 61, columns: 83, bits: 16, stored: 12))
        let encoded = try HTJ2KCodec().encode(frame, syntax: LibrarySyntax.htj2kLosslessRPCL, options: .lossless)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("htj2k-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let j2c = dir.appendingPathComponent("f.j2c")
        try Data(encoded.codestream).write(to: j2c)
        let expected = R.values(frame)

        if FileManager.default.isExecutableFile(atPath: "/usr/bin/ojph_expand") {
            let pgm = dir.appendingPathComponent("f.pgm")
            _ = try Self.run("/usr/bin/ojph_expand", ["-i", j2c.path, "-o", pgm.path])
            let bytes = try [UInt8](Data(contentsOf: pgm))
            // PGM: "P5\n83 61\n4095\n" then big-endian 16-bit samples (more than 8 bits).
            let body = Array(bytes.suffix(61 * 83 * 2))
            let values = stride(from: 0, to: body.count, by: 2).map { Int(body[$0]) << 8 | Int(body[$0 + 1]) }
            #expect(values == expected, "ojph_expand")
        } else {
            Issue.record("ojph_expand missing: apt-get install openjph-tools (Scripts/install-deps.sh)")
        }

        let script = "import sys,hashlib;from openjpeg import decode;a=decode(open(sys.argv[1],'rb').read());print(a.dtype.str, ','.join(str(int(v)) for v in a.ravel()[:50]), hashlib.sha256(a.astype('<u2').tobytes()).hexdigest())"
        let out = try Self.run("/usr/bin/env", ["python3", "-c", script, j2c.path])
        let native = expected.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(out.hasSuffix(SHA256.hex(native)), "pylibjpeg-openjpeg: \(out.prefix(200))")
    }

    /// The offset of the first main-header marker 0xFF `code`, before the first SOT.
    static func marker(_ code: UInt8, in s: [UInt8]) -> Int? {
        var i = 2
        while i + 4 <= s.count, s[i] == 0xFF {
            if s[i + 1] == code { return i }
            if s[i + 1] == 0x90 { return nil }
            i += 2 + (Int(s[i + 2]) << 8 | Int(s[i + 3]))
        }
        return nil
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Our lossless JPEG-LS and JPEG 2000 codestreams decode bit-exact with pyjpegls (CharLS from PyPI) and
/// pylibjpeg-openjpeg, the decoders pydicom uses.
@Suite("codecs around libraries: our lossless codestreams through pydicom's decoders")
struct LibraryCodecPythonCrossCheckTests {
    typealias R = LibraryCodecRoundTripTests

    static let cases: [(syntax: String, bits: Int, stored: Int, samples: Int, signed: Bool, module: String, dtype: String)] = [
        (LibrarySyntax.jpegLSLossless, 16, 12, 1, false, "jpeg_ls", "<u2"),
        (LibrarySyntax.jpegLSLossless, 8, 8, 3, false, "jpeg_ls", "|u1"),
        (LibrarySyntax.jpegLSLossless, 16, 16, 1, false, "jpeg_ls", "<u2"),
        (LibrarySyntax.jpeg2000Lossless, 16, 16, 1, true, "openjpeg", "<i2"),
        (LibrarySyntax.jpeg2000Lossless, 16, 12, 1, false, "openjpeg", "<u2"),
        (LibrarySyntax.jpeg2000Lossless, 8, 8, 3, false, "openjpeg", "|u1"),
    ]

    @Test("lossless JPEG-LS and JPEG 2000 encodes decode bit-exact in pyjpegls / pylibjpeg-openjpeg", arguments: 0..<6)
    func crossCheck(index: Int) throws {
        let c = Self.cases[index]
        let frame = R.synthetic(R.descriptor(rows: 45, columns: 71, samples: c.samples, bits: c.bits, stored: c.stored, signed: c.signed))
        guard let codec = CodecRegistry.encoder(for: c.syntax, frame.descriptor) else { Issue.record("no encoder"); return }
        let encoded = try codec.encode(frame, syntax: c.syntax, options: .lossless)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("xcheck-\(UUID().uuidString)")
        try Data(encoded.codestream).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        // pyjpegls decodes a numpy byte array, pylibjpeg-openjpeg bytes.
        let source = c.module == "jpeg_ls" ? "numpy.frombuffer(open(sys.argv[1],'rb').read(),dtype=numpy.uint8)" : "open(sys.argv[1],'rb').read()"
        let script = "import sys,hashlib,numpy,\(c.module) as m;a=m.decode(\(source));print(hashlib.sha256(a.astype(sys.argv[2]).tobytes()).hexdigest())"
        let out = try HTJ2KCodecTests.run("/usr/bin/env", ["python3", "-c", script, file.path, c.dtype])
        #expect(out == SHA256.hex(frame.bytes), "\(c.module): \(out.prefix(300))")
    }
}
