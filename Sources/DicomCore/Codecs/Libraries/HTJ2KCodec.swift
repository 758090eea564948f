import COpenJPHShim
import Foundation

// High-Throughput JPEG 2000 (ISO/IEC 15444-15) encode through OpenJPH 0.9 (a C++ library, behind the
// small COpenJPHShim target); decoding is OpenJPEG's (JPEG2000Codec), which reads HTJ2K since 2.5.
// PS3.5 §8.2.15 and Annex A.4.11:
// - 1.2.840.10008.1.2.4.201 HTJ2K Lossless: reversible 5/3 wavelet;
// - 1.2.840.10008.1.2.4.202 HTJ2K Lossless with RPCL Options: reversible, RPCL progression, and a TLM
//   marker segment in the main header so a reader can find tile-parts (our reading of the RPCL options of
//   PS3.5 §A.4.11; OpenJPH 0.9 writes no TLM, so it is inserted here);
// - 1.2.840.10008.1.2.4.203 HTJ2K: lossy (9/7, quantisation step from EncodeOptions.quality) or, without
//   a quality, reversible.
// Every syntax is written with RPCL progression, so that the first bytes of any frame decode to a
// lower-resolution image. RGB is encoded with the colour transform and recorded as YBR_RCT (reversible)
// or YBR_ICT (irreversible).

/// HTJ2K encoding through OpenJPH (decoding through OpenJPEG).
public struct HTJ2KCodec: PixelCodec {
    public init() {}

    public var transferSyntaxUIDs: Set<String> {
        [LibrarySyntax.htj2kLossless, LibrarySyntax.htj2kLosslessRPCL, LibrarySyntax.htj2k]
    }

    public func canDecode(_ d: FrameDescriptor, syntax: String) -> Bool {
        JPEG2000Codec().canDecode(d, syntax: syntax)
    }

    public func canEncode(_ d: FrameDescriptor, syntax: String) -> Bool {
        transferSyntaxUIDs.contains(syntax) && (d.bitsAllocated == 8 || d.bitsAllocated == 16) && d.bitsStored <= 16
            && d.highBit == d.bitsStored - 1 && (d.samplesPerPixel == 1 || d.samplesPerPixel == 3)
            && d.photometricInterpretation != "YBR_FULL_422"
    }

    public func decode(_ codestream: [UInt8], descriptor: FrameDescriptor, syntax: String) throws(CodecError) -> DecodedFrame {
        try JPEG2000Codec().decode(codestream, descriptor: descriptor, syntax: syntax)
    }

    /// The irreversible quantisation step for a JPEG-style quality (1–100): 90 → 0.001, 50 → 0.016.
    public static func quantisationStep(quality: Int) -> Float {
        Float(0.0005 * pow(2.0, Double(100 - min(100, max(1, quality))) / 10))
    }

    public func encode(_ frame: DecodedFrame, syntax: String, options: EncodeOptions) throws(CodecError) -> EncodedFrame {
        let d = frame.descriptor
        guard canEncode(d, syntax: syntax) else {
            throw CodecError(.unsupported, "HTJ2K encode of \(d.photometricInterpretation) \(d.bitsStored)-bit \(d.samplesPerPixel)-sample frames")
        }
        try SampleLayout.checkNativeLength(frame)
        let lossy = syntax == LibrarySyntax.htj2k && options.quality != nil
        let samples = d.samplesPerPixel, pixels = d.rows * d.columns
        let unit = SampleLayout.bytesPerSample(d.bitsAllocated)
        let colourTransform = samples == 3 && d.photometricInterpretation == "RGB"
        var values = [Int32](repeating: 0, count: pixels * samples)
        let shift = Int32(32 - d.bitsStored)
        let mask = Int32(truncatingIfNeeded: (Int64(1) << d.bitsStored) - 1)
        frame.bytes.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                for p in 0..<pixels {
                    for c in 0..<samples {
                        let at = (d.planarConfiguration == 1 ? c * pixels + p : p * samples + c) * unit
                        var v = Int32(src[at])
                        if unit == 2 { v |= Int32(src[at + 1]) << 8 }
                        dst[p * samples + c] = d.isSigned ? (v << shift) >> shift : v & mask   // PS3.5 §8.1.1: stored bits only
                    }
                }
            }
        }
        var levels = 0
        while levels < 5, (min(d.rows, d.columns) >> (levels + 1)) >= 1 { levels += 1 }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = values.withUnsafeBufferPointer { v in
            message.withUnsafeMutableBufferPointer { m in
                ojph_shim_encode(v.baseAddress, UInt32(d.columns), UInt32(d.rows), UInt32(samples), UInt32(d.bitsStored),
                                 d.isSigned ? 1 : 0, lossy ? 0 : 1, Self.quantisationStep(quality: options.quality ?? 90),
                                 colourTransform ? 1 : 0, UInt32(levels), "RPCL", &out, &size, m.baseAddress, m.count)
            }
        }
        defer { ojph_shim_free(out) }
        guard status == 0, let out else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CodecError(.failed, "OpenJPH: \(text)")
        }
        var codestream = [UInt8](UnsafeBufferPointer(start: out, count: size))
        if syntax == LibrarySyntax.htj2kLosslessRPCL {
            codestream = try Self.insertingTLM(codestream)
        }
        if codestream.count % 2 == 1 { codestream.append(0) }   // PS3.5 §A.4: fragments have even length
        let photometric = colourTransform ? (lossy ? "YBR_ICT" : "YBR_RCT") : d.photometricInterpretation
        let ratio: Double? = lossy ? Double(d.nativeFrameLength) / Double(max(1, codestream.count)) : nil
        return EncodedFrame(codestream: codestream, photometricInterpretation: photometric, lossyRatio: ratio)
    }

    /// Adds a TLM marker segment (ISO/IEC 15444-1 §A.7.1: Ttlm 8 bits, Ptlm 32 bits) listing every
    /// tile-part, just before the first SOT.
    static func insertingTLM(_ s: [UInt8]) throws(CodecError) -> [UInt8] {
        func u16(_ i: Int) -> Int { Int(s[i]) << 8 | Int(s[i + 1]) }
        func u32(_ i: Int) -> Int { u16(i) << 16 | u16(i + 2) }
        guard s.count > 4, s[0] == 0xFF, s[1] == 0x4F else { throw CodecError(.failed, "OpenJPH wrote no SOC") }
        var i = 2
        while i + 4 <= s.count, !(s[i] == 0xFF && s[i + 1] == 0x90) {   // main header segments up to SOT
            guard s[i] == 0xFF else { throw CodecError(.failed, "unexpected main header byte at \(i)") }
            i += 2 + u16(i + 2)
        }
        let firstSOT = i
        var parts: [(tile: Int, length: Int)] = []
        while i + 12 <= s.count, s[i] == 0xFF, s[i + 1] == 0x90 {
            var length = u32(i + 6)
            if length == 0 { length = s.count - 2 - i }   // the last tile-part runs to EOC
            guard length >= 14, i + length <= s.count else { throw CodecError(.failed, "bad tile-part length \(length)") }
            parts.append((u16(i + 4), length))
            i += length
        }
        guard !parts.isEmpty, parts.count <= 10_000, parts.allSatisfy({ $0.tile < 256 }) else {
            throw CodecError(.failed, "cannot index \(parts.count) tile-parts in one TLM")
        }
        var tlm: [UInt8] = [0xFF, 0x55]
        let ltlm = 4 + 5 * parts.count
        tlm += [UInt8(ltlm >> 8), UInt8(ltlm & 0xFF), 0, 0x50]   // Ztlm 0; Stlm: ST=1 (8-bit Ttlm), SP=1 (32-bit Ptlm)
        for p in parts {
            tlm += [UInt8(p.tile), UInt8(truncatingIfNeeded: p.length >> 24), UInt8(truncatingIfNeeded: p.length >> 16),
                    UInt8(truncatingIfNeeded: p.length >> 8), UInt8(truncatingIfNeeded: p.length)]
        }
        return Array(s[..<firstSOT]) + tlm + Array(s[firstSOT...])
    }
}
