import CCharLS

// JPEG-LS Lossless (1.2.840.10008.1.2.4.80) and Near-Lossless (1.2.840.10008.1.2.4.81), PS3.5 §8.2.3 and
// Annex A.4.3, through CharLS 2.4 (its C API).
//
// 2–16 bits, 1 or 3 components. Decoded colour comes out colour-by-pixel (planar configuration 0),
// whatever the interleave mode, as pydicom returns it. The codestream holds the stored bit pattern
// (Bits Stored bits); signed data (Pixel Representation 1) is sign-extended into the container so that
// the native frame holds the values pydicom gives. Encoding masks each sample to Bits Stored bits,
// never applies a colour transform, and keeps the Photometric Interpretation (PS3.5 §8.2.3).

/// JPEG-LS through CharLS.
public struct JPEGLSCodec: PixelCodec {
    public init() {}

    public var transferSyntaxUIDs: Set<String> { [LibrarySyntax.jpegLSLossless, LibrarySyntax.jpegLSNearLossless] }

    public func canDecode(_ d: FrameDescriptor, syntax: String) -> Bool {
        transferSyntaxUIDs.contains(syntax) && (2...16).contains(d.bitsStored) && (d.bitsAllocated == 8 || d.bitsAllocated == 16)
            && (d.samplesPerPixel == 1 || d.samplesPerPixel == 3)
    }

    public func canEncode(_ d: FrameDescriptor, syntax: String) -> Bool {
        guard canDecode(d, syntax: syntax), d.highBit == d.bitsStored - 1 else { return false }
        return !d.photometricInterpretation.hasPrefix("YBR_") || d.photometricInterpretation == "YBR_FULL"
    }

    public func decode(_ codestream: [UInt8], descriptor: FrameDescriptor, syntax: String) throws(CodecError) -> DecodedFrame {
        guard canDecode(descriptor, syntax: syntax) else {
            throw CodecError(.unsupported, "JPEG-LS \(descriptor.bitsStored)-bit \(descriptor.samplesPerPixel)-sample frames")
        }
        // CharLS 2.4.1 spends seconds on a stream cut short before it fails: a frame must end with EOI
        // (ITU-T T.87 §C.1), before any even-length padding (PS3.5 §A.4).
        var end = codestream.count
        while end > 0, codestream[end - 1] == 0 { end -= 1 }
        guard end >= 4, codestream[end - 2] == 0xFF, codestream[end - 1] == 0xD9 else {
            throw CodecError(.corrupt, "JPEG-LS codestream does not end with EOI (truncated)")
        }
        guard let decoder = charls_jpegls_decoder_create() else { throw CodecError(.failed, "charls_jpegls_decoder_create failed") }
        defer { charls_jpegls_decoder_destroy(decoder) }
        let d = descriptor
        var info = charls_frame_info()
        var mode = CHARLS_INTERLEAVE_MODE_NONE
        // CharLS keeps the source pointer: every call that reads it happens inside this one closure.
        var bytes = try codestream.withUnsafeBufferPointer { (src) throws(CodecError) -> [UInt8] in
            guard let base = src.baseAddress else { throw CodecError(.corrupt, "empty JPEG-LS codestream") }
            var size = 0
            try Self.check(charls_jpegls_decoder_set_source_buffer(decoder, base, src.count), .corrupt)
            try Self.check(charls_jpegls_decoder_read_header(decoder), .corrupt)
            try Self.check(charls_jpegls_decoder_get_frame_info(decoder, &info), .corrupt)
            try Self.check(charls_jpegls_decoder_get_interleave_mode(decoder, &mode), .corrupt)
            try Self.check(charls_jpegls_decoder_get_destination_size(decoder, 0, &size), .corrupt)
            guard Int(info.width) == d.columns, Int(info.height) == d.rows, Int(info.component_count) == d.samplesPerPixel else {
                throw CodecError(.badDescriptor, "JPEG-LS image is \(info.width)x\(info.height)x\(info.component_count), the data set says \(d.columns)x\(d.rows)x\(d.samplesPerPixel)")
            }
            let precision = Int(info.bits_per_sample)
            guard precision <= d.bitsAllocated, precision >= 2 else {
                throw CodecError(.badDescriptor, "JPEG-LS precision \(precision) does not fit Bits Allocated \(d.bitsAllocated)")
            }
            guard size == d.rows * d.columns * d.samplesPerPixel * (precision > 8 ? 2 : 1) else {
                throw CodecError(.badDescriptor, "JPEG-LS destination of \(size) bytes for \(d.rows)x\(d.columns)")
            }
            var out = [UInt8](repeating: 0, count: size)
            let status = out.withUnsafeMutableBytes { charls_jpegls_decoder_decode_to_buffer(decoder, $0.baseAddress!, size, 0) }
            try Self.check(status, .corrupt)
            return out
        }
        let precision = Int(info.bits_per_sample)
        let unit = precision > 8 ? 2 : 1
        let pixels = d.rows * d.columns
        if d.samplesPerPixel == 3, mode == CHARLS_INTERLEAVE_MODE_NONE {
            bytes = SampleLayout.interleave(bytes, pixels: pixels, samples: 3, unit: unit)
        }
        if unit == 1, d.bitsAllocated == 16 {
            var wide = [UInt8](repeating: 0, count: bytes.count * 2)
            for i in 0..<bytes.count { wide[2 * i] = bytes[i] }
            bytes = wide
        }
        if d.isSigned {
            if d.bitsAllocated == 16 { SampleLayout.signExtend16(&bytes, bitsStored: precision) } else { SampleLayout.signExtend8(&bytes, bitsStored: precision) }
        }
        var out = d
        out.planarConfiguration = 0
        return DecodedFrame(bytes: bytes, descriptor: out)
    }

    public func encode(_ frame: DecodedFrame, syntax: String, options: EncodeOptions) throws(CodecError) -> EncodedFrame {
        let d = frame.descriptor
        guard canEncode(d, syntax: syntax) else {
            throw CodecError(.unsupported, "JPEG-LS encode of \(d.photometricInterpretation) \(d.bitsStored)-bit \(d.samplesPerPixel)-sample frames")
        }
        let near = max(0, options.nearLossless)
        guard near == 0 || syntax == LibrarySyntax.jpegLSNearLossless else {
            throw CodecError(.unsupported, "JPEG-LS Lossless (1.2.840.10008.1.2.4.80) takes NEAR 0, not \(near)")
        }
        try SampleLayout.checkNativeLength(frame)
        let unit = SampleLayout.bytesPerSample(d.bitsAllocated)
        // The stored bit pattern only (PS3.5 §8.1.1): bits above High Bit are not part of the sample.
        var source = Array(frame.bytes.prefix(d.nativeFrameLength))
        if d.bitsStored < d.bitsAllocated {
            if unit == 1 {
                let mask = UInt8((1 << d.bitsStored) - 1)
                for i in source.indices { source[i] &= mask }
            } else {
                let mask = UInt16((1 << d.bitsStored) - 1)
                for i in stride(from: 0, to: source.count - 1, by: 2) {
                    source[i] &= UInt8(truncatingIfNeeded: mask)
                    source[i + 1] &= UInt8(truncatingIfNeeded: mask >> 8)
                }
            }
        }
        var info = charls_frame_info(width: UInt32(d.columns), height: UInt32(d.rows), bits_per_sample: Int32(d.bitsStored),
                                     component_count: Int32(d.samplesPerPixel))
        guard let encoder = charls_jpegls_encoder_create() else { throw CodecError(.failed, "charls_jpegls_encoder_create failed") }
        defer { charls_jpegls_encoder_destroy(encoder) }
        try Self.check(charls_jpegls_encoder_set_frame_info(encoder, &info), .failed)
        try Self.check(charls_jpegls_encoder_set_near_lossless(encoder, Int32(near)), .failed)
        if d.samplesPerPixel == 3 {
            let mode = d.planarConfiguration == 1 ? CHARLS_INTERLEAVE_MODE_NONE : CHARLS_INTERLEAVE_MODE_SAMPLE
            try Self.check(charls_jpegls_encoder_set_interleave_mode(encoder, mode), .failed)
        }
        var capacity = 0
        try Self.check(charls_jpegls_encoder_get_estimated_destination_size(encoder, &capacity), .failed)
        var destination = [UInt8](repeating: 0, count: capacity + 1024)
        var written = 0
        let status = destination.withUnsafeMutableBytes { dst -> charls_jpegls_errc in
            let set = charls_jpegls_encoder_set_destination_buffer(encoder, dst.baseAddress!, dst.count)
            guard set == CHARLS_JPEGLS_ERRC_SUCCESS else { return set }
            let encoded = source.withUnsafeBytes { charls_jpegls_encoder_encode_from_buffer(encoder, $0.baseAddress!, $0.count, 0) }
            guard encoded == CHARLS_JPEGLS_ERRC_SUCCESS else { return encoded }
            return charls_jpegls_encoder_get_bytes_written(encoder, &written)
        }
        try Self.check(status, .failed)
        destination.removeSubrange(written...)
        let ratio: Double? = near == 0 ? nil : Double(d.nativeFrameLength) / Double(max(1, written))
        return EncodedFrame(codestream: destination, photometricInterpretation: d.photometricInterpretation, lossyRatio: ratio)
    }

    private static func check(_ status: charls_jpegls_errc, _ kind: CodecError.Kind) throws(CodecError) {
        guard status != CHARLS_JPEGLS_ERRC_SUCCESS else { return }
        let text = charls_get_error_message(status).map { String(cString: $0) } ?? "error \(status.rawValue)"
        throw CodecError(kind, "CharLS: " + text)
    }
}
