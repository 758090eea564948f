import COpenJPEG

// JPEG 2000 Lossless (1.2.840.10008.1.2.4.90) and JPEG 2000 (1.2.840.10008.1.2.4.91) decode and encode,
// and High-Throughput JPEG 2000 (1.2.840.10008.1.2.4.201, .202 RPCL, .203) decode, through OpenJPEG 2.5
// (PS3.5 §8.2.4 and §8.2.6, Annex A.4.4 and A.4.6).
//
// Decoding reads a bare J2K codestream, or the codestream box of a JP2 file (PS3.5 allows only the former;
// some writers wrap).
// OpenJPEG undoes the multiple-component transform, so YBR_RCT and YBR_ICT frames come out "RGB"
// (PS3.5 §8.2.4), as pydicom with pylibjpeg-openjpeg returns them. Samples are written in the
// descriptor's Bits Allocated container; when the codestream's signedness disagrees with Pixel
// Representation, the Pixel Representation wins and the J2K precision decides the sign bit, as pydicom does.
// Encoding: reversible 5/3 wavelet for lossless (colour RGB → YBR_RCT), irreversible 9/7 with a rate
// derived from EncodeOptions.quality for lossy (RGB → YBR_ICT); one quality layer, LRCP, a J2K codestream.

/// JPEG 2000 and HTJ2K (decode) through OpenJPEG.
public struct JPEG2000Codec: PixelCodec {
    public init() {}

    static let encodable: Set<String> = [LibrarySyntax.jpeg2000Lossless, LibrarySyntax.jpeg2000]

    public var transferSyntaxUIDs: Set<String> {
        [LibrarySyntax.jpeg2000Lossless, LibrarySyntax.jpeg2000, LibrarySyntax.htj2kLossless, LibrarySyntax.htj2kLosslessRPCL,
         LibrarySyntax.htj2k]
    }

    public func canDecode(_ d: FrameDescriptor, syntax: String) -> Bool {
        transferSyntaxUIDs.contains(syntax) && (d.bitsAllocated == 8 || d.bitsAllocated == 16) && d.bitsStored <= d.bitsAllocated
            && (d.samplesPerPixel == 1 || d.samplesPerPixel == 3)
    }

    public func canEncode(_ d: FrameDescriptor, syntax: String) -> Bool {
        Self.encodable.contains(syntax) && canDecode(d, syntax: syntax) && d.highBit == d.bitsStored - 1
            && d.photometricInterpretation != "YBR_FULL_422"
    }

    /// The compression ratio asked of the irreversible encoder for a JPEG-style quality (1–100): 90 → 6:1,
    /// 50 → 26:1, 10 → 46:1.
    public static func compressionRatio(quality: Int) -> Double {
        1 + Double(100 - min(100, max(1, quality))) * 0.5
    }

    // MARK: - Decode

    public func decode(_ codestream: [UInt8], descriptor: FrameDescriptor, syntax: String) throws(CodecError) -> DecodedFrame {
        guard canDecode(descriptor, syntax: syntax) else {
            throw CodecError(.unsupported, "JPEG 2000 \(descriptor.bitsAllocated)-bit \(descriptor.samplesPerPixel)-sample frames")
        }
        // PS3.5 §8.2.4: the fragments hold a J2K codestream. Some writers wrap it in a JP2 file; the JP2 boxes
        // (colour, ICC, resolution) say nothing DICOM's own attributes do not, so only the contiguous
        // codestream box is decoded (OpenJPEG 2.5.0's JP2 reader also crashes on some ICC boxes).
        let codestream = try Self.unwrappingJP2(codestream)
        guard codestream.starts(with: [0xFF, 0x4F, 0xFF, 0x51]) else {
            throw CodecError(.corrupt, "not a J2K codestream (no SOC SIZ)")
        }
        try Self.checkMarkerSegments(codestream)
        return try codestream.withUnsafeBufferPointer { (src) throws(CodecError) -> DecodedFrame in
            guard let base = src.baseAddress else { throw CodecError(.corrupt, "empty JPEG 2000 codestream") }
            let input = OpenJPEGInput(base: base, count: src.count)
            let messages = OpenJPEGMessages()
            guard let codec = opj_create_decompress(OPJ_CODEC_J2K) else {
                throw CodecError(.failed, "opj_create_decompress failed")
            }
            defer { opj_destroy_codec(codec) }
            messages.install(on: codec)
            var parameters = opj_dparameters_t()
            opj_set_default_decoder_parameters(&parameters)
            guard opj_setup_decoder(codec, &parameters) != 0 else { throw CodecError(.failed, messages.text("setup")) }
            guard let stream = input.makeStream() else { throw CodecError(.failed, "opj_stream_create failed") }
            defer { opj_stream_destroy(stream) }
            var image: UnsafeMutablePointer<opj_image_t>?
            defer { if let image { opj_image_destroy(image) } }
            guard opj_read_header(stream, codec, &image) != 0, let header = image else {
                throw CodecError(.corrupt, messages.text("header"))
            }
            try Self.checkHeader(header.pointee, descriptor)
            guard opj_decode(codec, stream, header) != 0, opj_end_decompress(codec, stream) != 0 else {
                throw CodecError(.corrupt, messages.text("decode"))
            }
            return try withExtendedLifetime(input) { () throws(CodecError) -> DecodedFrame in
                try Self.nativeFrame(header.pointee, descriptor)
            }
        }
    }

    /// The contents of the contiguous codestream box ('jp2c', ISO/IEC 15444-1 §I.5.4) when `bytes` is a
    /// JP2 file; `bytes` unchanged otherwise.
    static func unwrappingJP2(_ bytes: [UInt8]) throws(CodecError) -> [UInt8] {
        guard bytes.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) else { return bytes }
        var i = 0
        while i + 8 <= bytes.count {
            var length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            let type = Array(bytes[(i + 4)..<(i + 8)])
            var header = 8
            if length == 1 {   // XLBox: a 64-bit length follows
                guard i + 16 <= bytes.count else { break }
                length = 0
                for k in 0..<8 { length = length << 8 | Int(bytes[i + 8 + k]) }
                guard length >= 16, length < Int(UInt32.max) else { break }
                header = 16
            } else if length == 0 {
                length = bytes.count - i
            }
            guard length >= header, i + length <= bytes.count else { break }
            if type == Array("jp2c".utf8) { return Array(bytes[(i + header)..<(i + length)]) }
            i += length
        }
        throw CodecError(.corrupt, "JP2 file without a contiguous codestream box")
    }

    /// Every main-header marker segment and tile-part must lie inside the codestream (ISO/IEC 15444-1
    /// §A.4–A.6). OpenJPEG 2.5.0 reads two bytes past its stream buffer on a segment length that runs
    /// beyond the data (found by Fuzz/FuzzLibraryCodecs), so such streams never reach it.
    static func checkMarkerSegments(_ s: [UInt8]) throws(CodecError) {
        func u16(_ i: Int) -> Int { Int(s[i]) << 8 | Int(s[i + 1]) }
        var i = 2
        var hasCOD = false, hasQCD = false
        while true {
            guard i + 4 <= s.count, s[i] == 0xFF else { throw CodecError(.corrupt, "J2K main header ends early at byte \(i)") }
            if s[i + 1] == 0x90 {   // SOT: the first tile-part
                // ISO/IEC 15444-1 Table A.2: COD and QCD are required in the main header. (OpenJPEG
                // 2.5.0 reads past its stream buffer on a header without them: a fuzz finding.)
                guard hasCOD, hasQCD else { throw CodecError(.corrupt, "J2K main header without COD or QCD") }
                break
            }
            if s[i + 1] == 0x52 { hasCOD = true }
            if s[i + 1] == 0x5C { hasQCD = true }
            let length = u16(i + 2)
            guard length >= 2, i + 2 + length <= s.count else {
                throw CodecError(.corrupt, "J2K marker FF\(String(s[i + 1], radix: 16, uppercase: true)) at byte \(i) runs past the codestream")
            }
            i += 2 + length
        }
        while i + 12 <= s.count, s[i] == 0xFF, s[i + 1] == 0x90 {
            let psot = Int(s[i + 6]) << 24 | Int(s[i + 7]) << 16 | Int(s[i + 8]) << 8 | Int(s[i + 9])
            if psot == 0 { return }   // the last tile-part runs to EOC
            guard psot >= 14, i + psot <= s.count else { throw CodecError(.corrupt, "J2K tile-part at byte \(i) runs past the codestream") }
            i += psot
        }
    }

    private static func checkHeader(_ image: opj_image_t, _ d: FrameDescriptor) throws(CodecError) {
        let width = Int(image.x1) - Int(image.x0), height = Int(image.y1) - Int(image.y0)
        guard width == d.columns, height == d.rows, Int(image.numcomps) == d.samplesPerPixel, let comps = image.comps else {
            throw CodecError(.badDescriptor, "JPEG 2000 image is \(width)x\(height)x\(image.numcomps), the data set says \(d.columns)x\(d.rows)x\(d.samplesPerPixel)")
        }
        for c in 0..<Int(image.numcomps) {
            let comp = comps[c]
            guard comp.dx == 1, comp.dy == 1 else { throw CodecError(.unsupported, "JPEG 2000 component \(c) is subsampled") }
            guard comp.prec >= 1, Int(comp.prec) <= d.bitsAllocated else {
                throw CodecError(.badDescriptor, "JPEG 2000 precision \(comp.prec) does not fit Bits Allocated \(d.bitsAllocated)")
            }
        }
    }

    /// The decoded components in the native layout of `d` (colour-by-pixel).
    private static func nativeFrame(_ image: opj_image_t, _ d: FrameDescriptor) throws(CodecError) -> DecodedFrame {
        let samples = d.samplesPerPixel, pixels = d.rows * d.columns
        let unit = SampleLayout.bytesPerSample(d.bitsAllocated)
        var bytes = [UInt8](repeating: 0, count: pixels * samples * unit)
        guard let comps = image.comps else { throw CodecError(.corrupt, "JPEG 2000 image without components") }
        for c in 0..<samples {
            let comp = comps[c]
            guard let data = comp.data, Int(comp.w) == d.columns, Int(comp.h) == d.rows else {
                throw CodecError(.corrupt, "JPEG 2000 component \(c) was not decoded")
            }
            let precision = Int(comp.prec)
            let mask = Int32(truncatingIfNeeded: (Int64(1) << precision) - 1)
            let shift = Int32(32 - precision)
            // pydicom: Pixel Representation decides; the J2K precision places the sign bit.
            let signExtend = d.isSigned && comp.sgnd == 0 && precision < d.bitsAllocated
            let maskSigned = !d.isSigned && comp.sgnd != 0
            bytes.withUnsafeMutableBufferPointer { out in
                for p in 0..<pixels {
                    var v = data[p]
                    if signExtend { v = (v << shift) >> shift } else if maskSigned { v &= mask }
                    let at = (p * samples + c) * unit
                    out[at] = UInt8(truncatingIfNeeded: v)
                    if unit == 2 { out[at + 1] = UInt8(truncatingIfNeeded: v >> 8) }
                }
            }
        }
        var out = d
        out.planarConfiguration = 0
        if d.photometricInterpretation == "YBR_RCT" || d.photometricInterpretation == "YBR_ICT" { out.photometricInterpretation = "RGB" }
        return DecodedFrame(bytes: bytes, descriptor: out)
    }

    // MARK: - Encode

    public func encode(_ frame: DecodedFrame, syntax: String, options: EncodeOptions) throws(CodecError) -> EncodedFrame {
        let d = frame.descriptor
        guard canEncode(d, syntax: syntax) else {
            throw CodecError(.unsupported, "JPEG 2000 encode of \(d.photometricInterpretation) \(d.bitsStored)-bit \(d.samplesPerPixel)-sample frames")
        }
        try SampleLayout.checkNativeLength(frame)
        let lossy = syntax == LibrarySyntax.jpeg2000 && options.quality != nil
        let samples = d.samplesPerPixel, pixels = d.rows * d.columns
        let unit = SampleLayout.bytesPerSample(d.bitsAllocated)
        let colourTransform = samples == 3 && d.photometricInterpretation == "RGB"

        var parameters = opj_cparameters_t()
        opj_set_default_encoder_parameters(&parameters)
        parameters.tcp_numlayers = 1
        parameters.cp_disto_alloc = 1
        parameters.tcp_rates.0 = lossy ? Float(Self.compressionRatio(quality: options.quality ?? 90)) : 0
        parameters.irreversible = lossy ? 1 : 0
        parameters.tcp_mct = colourTransform ? 1 : 0
        // Decomposition levels: at most 5, and no more than the smaller side allows (ISO 15444-1 §B.5).
        var levels = 0
        while levels < 5, (min(d.rows, d.columns) >> (levels + 1)) >= 1 { levels += 1 }
        parameters.numresolution = Int32(levels + 1)
        if min(d.rows, d.columns) < 64 {
            parameters.cblockw_init = 32; parameters.cblockh_init = 32
            if min(d.rows, d.columns) < 32 { parameters.cblockw_init = 16; parameters.cblockh_init = 16 }
        }

        var componentParameters = [opj_image_cmptparm_t](repeating: opj_image_cmptparm_t(), count: samples)
        for c in 0..<samples {
            componentParameters[c].dx = 1; componentParameters[c].dy = 1
            componentParameters[c].w = UInt32(d.columns); componentParameters[c].h = UInt32(d.rows)
            componentParameters[c].prec = UInt32(d.bitsStored)
            componentParameters[c].sgnd = d.isSigned ? 1 : 0
        }
        let space = samples == 3 ? (colourTransform ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_SYCC) : OPJ_CLRSPC_GRAY
        guard let image = opj_image_create(UInt32(samples), &componentParameters, space) else {
            throw CodecError(.failed, "opj_image_create failed")
        }
        defer { opj_image_destroy(image) }
        image.pointee.x0 = 0; image.pointee.y0 = 0
        image.pointee.x1 = UInt32(d.columns); image.pointee.y1 = UInt32(d.rows)
        guard let comps = image.pointee.comps else { throw CodecError(.failed, "opj_image_create made no components") }
        let shift = Int32(32 - d.bitsStored)
        frame.bytes.withUnsafeBufferPointer { src in
            for c in 0..<samples {
                guard let data = comps[c].data else { continue }
                for p in 0..<pixels {
                    let at = (d.planarConfiguration == 1 ? c * pixels + p : p * samples + c) * unit
                    var v = Int32(src[at])
                    if unit == 2 { v |= Int32(src[at + 1]) << 8 }
                    // The stored bits only (PS3.5 §8.1.1), sign-extended for signed data.
                    v = d.isSigned ? (v << shift) >> shift : v & Int32(truncatingIfNeeded: (Int64(1) << d.bitsStored) - 1)
                    data[p] = v
                }
            }
        }

        let messages = OpenJPEGMessages()
        guard let codec = opj_create_compress(OPJ_CODEC_J2K) else { throw CodecError(.failed, "opj_create_compress failed") }
        defer { opj_destroy_codec(codec) }
        messages.install(on: codec)
        guard opj_setup_encoder(codec, &parameters, image) != 0 else { throw CodecError(.failed, messages.text("encoder setup")) }
        let output = OpenJPEGOutput()
        guard let stream = output.makeStream() else { throw CodecError(.failed, "opj_stream_create failed") }
        defer { opj_stream_destroy(stream) }
        guard opj_start_compress(codec, image, stream) != 0, opj_encode(codec, stream) != 0, opj_end_compress(codec, stream) != 0 else {
            throw CodecError(.failed, messages.text("encode"))
        }
        var codestream = withExtendedLifetime(output) { output.bytes }
        if codestream.count % 2 == 1 { codestream.append(0) }   // PS3.5 §A.4: fragments have even length
        let photometric = colourTransform ? (lossy ? "YBR_ICT" : "YBR_RCT") : d.photometricInterpretation
        let ratio: Double? = lossy ? Double(d.nativeFrameLength) / Double(max(1, codestream.count)) : nil
        return EncodedFrame(codestream: codestream, photometricInterpretation: photometric, lossyRatio: ratio)
    }
}
