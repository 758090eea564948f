import CTurboJPEG

// JPEG Baseline (Process 1, 1.2.840.10008.1.2.4.50) and JPEG Extended (Process 2 & 4,
// 1.2.840.10008.1.2.4.51) with 8-bit samples, through libjpeg-turbo's TurboJPEG API (2.1: tj*).
//
// Colour, PS3.5 §8.2.1: a YBR_FULL_422 or YBR_FULL frame is decoded to RGB (colour-by-pixel), as pydicom
// (with pylibjpeg-libjpeg) returns it by default; the DecodedFrame's descriptor then says "RGB" and planar
// configuration 0. An RGB frame is returned as its components unless the codestream itself says they are
// YCbCr (a JFIF APP0, or an Adobe APP14 with transform 1), as libjpeg does.
// Encoding: MONOCHROME1/2 as a one-component stream; RGB as YCbCr with 4:2:2 chroma subsampling, recorded
// as YBR_FULL_422 (PS3.5 §8.2.1). Quality 90 unless EncodeOptions.quality says otherwise.
// 12-bit Extended (Process 4) needs a 12-bit libjpeg build, which stock libjpeg-turbo 2.1 is not: canDecode
// is false for Bits Stored > 8, and the registry looks further.

/// JPEG Baseline / Extended 8-bit through libjpeg-turbo.
public struct JPEGBaselineCodec: PixelCodec {
    public init() {}

    public var transferSyntaxUIDs: Set<String> { [LibrarySyntax.jpegBaseline, LibrarySyntax.jpegExtended] }

    public func canDecode(_ d: FrameDescriptor, syntax: String) -> Bool {
        transferSyntaxUIDs.contains(syntax) && d.bitsStored <= 8 && (d.bitsAllocated == 8 || d.bitsAllocated == 16)
            && (d.samplesPerPixel == 1 || d.samplesPerPixel == 3)
    }

    public func canEncode(_ d: FrameDescriptor, syntax: String) -> Bool {
        guard transferSyntaxUIDs.contains(syntax), d.bitsAllocated == 8, d.bitsStored == 8, !d.isSigned else { return false }
        switch (d.samplesPerPixel, d.photometricInterpretation) {
        case (1, "MONOCHROME1"), (1, "MONOCHROME2"), (3, "RGB"): return true
        default: return false
        }
    }

    public func decode(_ codestream: [UInt8], descriptor: FrameDescriptor, syntax: String) throws(CodecError) -> DecodedFrame {
        guard canDecode(descriptor, syntax: syntax) else {
            throw CodecError(.unsupported, "JPEG \(descriptor.bitsStored)-bit \(descriptor.samplesPerPixel)-sample frames are not decoded by libjpeg-turbo 2.1")
        }
        guard codestream.count >= 4 else { throw CodecError(.corrupt, "JPEG codestream of \(codestream.count) bytes") }
        guard let handle = tjInitDecompress() else { throw CodecError(.failed, "tjInitDecompress failed") }
        defer { tjDestroy(handle) }

        var width: Int32 = 0, height: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        let header = codestream.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt(codestream.count), &width, &height, &subsamp, &colorspace)
        }
        guard header == 0 else { throw CodecError(.corrupt, "JPEG header: " + Self.message(handle)) }
        let components = colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3
        guard Int(width) == descriptor.columns, Int(height) == descriptor.rows else {
            throw CodecError(.badDescriptor, "JPEG image is \(width)x\(height), the data set says \(descriptor.columns)x\(descriptor.rows)")
        }
        guard components == descriptor.samplesPerPixel, colorspace != Int32(TJCS_CMYK.rawValue), colorspace != Int32(TJCS_YCCK.rawValue) else {
            throw CodecError(.badDescriptor, "JPEG image has colour space \(colorspace), the data set says \(descriptor.samplesPerPixel) samples per pixel")
        }

        var out = descriptor
        let pixels = Int(width) * Int(height)
        var bytes: [UInt8]
        if components == 1 {
            bytes = try Self.decompress(handle, codestream, width: width, height: height, format: TJPF_GRAY, components: 1)
        } else {
            let markers = JPEGMarkers(codestream)
            let isYCbCr = colorspace == Int32(TJCS_YCbCr.rawValue)
            if descriptor.photometricInterpretation == "RGB", isYCbCr, !markers.saysYCbCr, subsamp == Int32(TJSAMP_444.rawValue) {
                // No marker says YCbCr and the data set says RGB: the components are R, G, B (PS3.5 §8.2.1).
                bytes = try Self.rawComponents(handle, codestream, width: width, height: height)
            } else {
                bytes = try Self.decompress(handle, codestream, width: width, height: height, format: TJPF_RGB, components: 3)
            }
            out.photometricInterpretation = "RGB"
            out.planarConfiguration = 0
        }
        out.bitsStored = min(descriptor.bitsStored, 8)
        if descriptor.bitsAllocated == 16 {
            var wide = [UInt8](repeating: 0, count: bytes.count * 2)
            for i in 0..<bytes.count { wide[2 * i] = bytes[i] }
            bytes = wide
        }
        precondition(bytes.count == pixels * components * SampleLayout.bytesPerSample(descriptor.bitsAllocated))
        return DecodedFrame(bytes: bytes, descriptor: out)
    }

    public func encode(_ frame: DecodedFrame, syntax: String, options: EncodeOptions) throws(CodecError) -> EncodedFrame {
        try encode(frame, syntax: syntax, options: options, greyAsPlane: true)
    }

    /// `greyAsPlane: false` sends grey frames through tjCompress2's colour conversion instead
    /// (the tests show that both give the same codestream).
    func encode(_ frame: DecodedFrame, syntax: String, options: EncodeOptions, greyAsPlane: Bool) throws(CodecError) -> EncodedFrame {
        let d = frame.descriptor
        guard canEncode(d, syntax: syntax) else {
            throw CodecError(.unsupported, "JPEG encode of \(d.photometricInterpretation) \(d.bitsStored)-bit \(d.samplesPerPixel)-sample frames")
        }
        try SampleLayout.checkNativeLength(frame)
        let quality = Int32(min(100, max(1, options.quality ?? 90)))
        guard let handle = tjInitCompress() else { throw CodecError(.failed, "tjInitCompress failed") }
        defer { tjDestroy(handle) }
        let grey = d.samplesPerPixel == 1
        var source = frame.bytes
        if !grey, d.planarConfiguration == 1 {
            source = SampleLayout.interleave(frame.bytes, pixels: d.rows * d.columns, samples: 3, unit: 1)
        }
        let subsamp = grey ? TJSAMP_GRAY : TJSAMP_422
        let capacity = tjBufSize(Int32(d.columns), Int32(d.rows), Int32(subsamp.rawValue))
        guard capacity != UInt(bitPattern: -1), capacity > 0, let buffer = tjAlloc(Int32(clamping: capacity)) else {
            throw CodecError(.failed, "JPEG image of \(d.columns)x\(d.rows) too large")
        }
        var jpegBuf: UnsafeMutablePointer<UInt8>? = buffer
        defer { tjFree(jpegBuf) }
        var jpegSize = capacity
        let status = source.withUnsafeBufferPointer { pixels -> Int32 in
            if grey && greyAsPlane {
                // Grey samples are the one plane of a TJSAMP_GRAY "YUV" image: given as raw data,
                // they skip libjpeg's colour conversion, which for grey is a byte-by-byte copy of
                // the whole image (a tenth of a rendered CT slice's CPU). The codestream is the same.
                var plane: UnsafePointer<UInt8>? = pixels.baseAddress
                return tjCompressFromYUVPlanes(handle, &plane, Int32(d.columns), nil, Int32(d.rows), Int32(subsamp.rawValue),
                                               &jpegBuf, &jpegSize, quality, TJFLAG_NOREALLOC)
            }
            return tjCompress2(handle, pixels.baseAddress, Int32(d.columns), 0, Int32(d.rows), Int32((grey ? TJPF_GRAY : TJPF_RGB).rawValue),
                               &jpegBuf, &jpegSize, Int32(subsamp.rawValue), quality, TJFLAG_NOREALLOC)
        }
        guard status == 0, let result = jpegBuf else { throw CodecError(.failed, "JPEG encode: " + Self.message(handle)) }
        let codestream = [UInt8](UnsafeBufferPointer(start: result, count: Int(jpegSize)))
        // PS3.3 §C.7.6.1.1.5: Lossy Image Compression Ratio = uncompressed / compressed size.
        let ratio = Double(d.nativeFrameLength) / Double(max(1, codestream.count))
        return EncodedFrame(codestream: codestream, photometricInterpretation: grey ? d.photometricInterpretation : "YBR_FULL_422",
                            lossyRatio: ratio)
    }

    // MARK: - TurboJPEG calls

    private static func decompress(_ handle: tjhandle, _ codestream: [UInt8], width: Int32, height: Int32, format: TJPF,
                                   components: Int) throws(CodecError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(width) * Int(height) * components)
        let status = codestream.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(codestream.count), dst.baseAddress, width, 0, height,
                              Int32(format.rawValue), TJFLAG_ACCURATEDCT)
            }
        }
        try check(status, handle)
        return bytes
    }

    /// The three components as stored, without colour conversion (4:4:4 only), colour-by-pixel.
    private static func rawComponents(_ handle: tjhandle, _ codestream: [UInt8], width: Int32, height: Int32) throws(CodecError) -> [UInt8] {
        let pixels = Int(width) * Int(height)
        var planes = [UInt8](repeating: 0, count: pixels * 3)
        let status = codestream.withUnsafeBufferPointer { src in
            planes.withUnsafeMutableBufferPointer { dst -> Int32 in
                guard let base = dst.baseAddress else { return -1 }
                var pointers: [UnsafeMutablePointer<UInt8>?] = [base, base + pixels, base + 2 * pixels]
                var strides: [Int32] = [width, width, width]
                return pointers.withUnsafeMutableBufferPointer { p in
                    strides.withUnsafeMutableBufferPointer { s in
                        tjDecompressToYUVPlanes(handle, src.baseAddress, UInt(codestream.count), p.baseAddress, width, s.baseAddress,
                                                height, TJFLAG_ACCURATEDCT)
                    }
                }
            }
        }
        try check(status, handle)
        return SampleLayout.interleave(planes, pixels: pixels, samples: 3, unit: 1)
    }

    /// A warning (premature end of data, corrupt entropy data) is a corrupt frame too: libjpeg would fill
    /// the rest with grey, and the caller must not take that for the image.
    private static func check(_ status: Int32, _ handle: tjhandle) throws(CodecError) {
        guard status == 0 else { throw CodecError(.corrupt, "JPEG decode: " + message(handle)) }
    }

    private static func message(_ handle: tjhandle) -> String {
        guard let s = tjGetErrorStr2(handle) else { return "unknown libjpeg-turbo error" }
        return String(cString: s)
    }
}

/// The markers before the first scan that decide the colour space of a three-component JPEG (JFIF,
/// Adobe APP14; ITU-T T.872 §6.5.3).
struct JPEGMarkers {
    var hasJFIF = false
    var adobeTransform: Int?

    init(_ s: [UInt8]) {
        var i = 2
        while i + 4 <= s.count {
            guard s[i] == 0xFF else { return }
            let marker = s[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xDA || marker == 0xD9 { return }
            let length = Int(s[i + 2]) << 8 | Int(s[i + 3])
            guard length >= 2, i + 2 + length <= s.count else { return }
            let body = s[(i + 4)..<(i + 2 + length)]
            if marker == 0xE0, body.starts(with: Array("JFIF".utf8)) { hasJFIF = true }
            if marker == 0xEE, body.starts(with: Array("Adobe".utf8)), body.count >= 12 {
                adobeTransform = Int(body[body.startIndex + 11])
            }
            i += 2 + length
        }
    }

    /// The codestream itself says its three components are YCbCr.
    var saysYCbCr: Bool { hasJFIF || (adobeTransform ?? 0) == 1 }
}
