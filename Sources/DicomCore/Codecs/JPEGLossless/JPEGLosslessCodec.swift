// PS3.5 §8.2.1 and §A.4.1: JPEG Lossless, Non-Hierarchical (Process 14)
// (1.2.840.10008.1.2.4.57) and its Selection Value 1 form (1.2.840.10008.1.2.4.70).

/// JPEG lossless process 14, written here: 2–16 bit samples, 1 to 4 components, predictors 1–7,
/// point transform, restart intervals. Encodes with selection value 1 (valid for both syntaxes).
///
/// Decoded frames are colour-by-pixel (Planar Configuration 0, PS3.5 §8.2.1). Samples are the
/// stored bit patterns: for Pixel Representation 1 with Bits Stored below Bits Allocated the bits
/// above the high bit are 0, not sign-extended (as pylibjpeg-libjpeg returns them).
public struct JPEGLosslessCodec: PixelCodec {
    public static let process14UID = "1.2.840.10008.1.2.4.57"
    public static let selectionValue1UID = "1.2.840.10008.1.2.4.70"
    public var transferSyntaxUIDs: Set<String> { [Self.process14UID, Self.selectionValue1UID] }

    public init() {}

    public func canDecode(_ d: FrameDescriptor, syntax: String) -> Bool {
        (d.bitsAllocated == 8 || d.bitsAllocated == 16) && (1...4).contains(d.samplesPerPixel)
    }

    public func canEncode(_ d: FrameDescriptor, syntax: String) -> Bool {
        (d.bitsAllocated == 8 || d.bitsAllocated == 16) && (d.samplesPerPixel == 1 || d.samplesPerPixel == 3)
            && d.bitsStored <= 16 && d.photometricInterpretation != "YBR_FULL_422"
            && !d.photometricInterpretation.hasPrefix("YBR_PARTIAL")
    }

    /// Decodes one frame.
    /// - Throws: `.corrupt` for a bad stream, `.badDescriptor` when its size, components or
    ///   precision disagree with `descriptor`, `.unsupported` for other JPEG processes.
    public func decode(_ codestream: [UInt8], descriptor d: FrameDescriptor, syntax: String) throws(CodecError) -> DecodedFrame {
        // Samples are decoded straight into the native frame's layout: a byte each for Bits
        // Allocated 8, else two in host order (little endian, as the native frame wants).
        let expected = (d.rows, d.columns, d.samplesPerPixel)
        let image = d.bitsAllocated == 8
            ? try JPEGLosslessDecoder.decode(codestream, expected: expected, as: UInt8.self)
            : try JPEGLosslessDecoder.decode(codestream, expected: expected, as: UInt16.self)
        guard image.rows == d.rows, image.columns == d.columns else {
            throw CodecError(.badDescriptor, "JPEG image is \(image.columns)×\(image.rows), the data set says \(d.columns)×\(d.rows)")
        }
        guard image.components == d.samplesPerPixel else {
            throw CodecError(.badDescriptor, "JPEG image has \(image.components) components, the data set \(d.samplesPerPixel) samples")
        }
        guard image.precision <= d.bitsAllocated else {
            throw CodecError(.badDescriptor, "JPEG precision \(image.precision) exceeds Bits Allocated \(d.bitsAllocated)")
        }
        var outDescriptor = d
        outDescriptor.planarConfiguration = 0
        #if _endian(big)
        var bytes = image.bytes
        if d.bitsAllocated == 16 {
            for i in stride(from: 0, to: bytes.count - 1, by: 2) { bytes.swapAt(i, i + 1) }
        }
        return DecodedFrame(bytes: bytes, descriptor: outDescriptor)
        #else
        return DecodedFrame(bytes: image.bytes, descriptor: outDescriptor)
        #endif
    }

    /// Encodes one native frame with selection value 1 and precision = Bits Stored (at least 2).
    /// Signed samples are coded as their Bits Stored-bit patterns.
    /// - Throws: `.unsupported` for other bit depths or sample counts, `.badDescriptor` when the
    ///   frame is shorter than the descriptor says.
    public func encode(_ frame: DecodedFrame, syntax: String, options: EncodeOptions) throws(CodecError) -> EncodedFrame {
        let d = frame.descriptor
        guard canEncode(d, syntax: syntax) else {
            throw CodecError(.unsupported, "JPEG lossless: \(d.bitsAllocated) bits allocated, \(d.samplesPerPixel) samples")
        }
        let pixels = d.rows * d.columns
        let samplesCount = pixels * d.samplesPerPixel
        let bytesPerSample = d.bitsAllocated / 8
        guard frame.bytes.count >= samplesCount * bytesPerSample else {
            throw CodecError(.badDescriptor, "JPEG lossless encode: \(frame.bytes.count) bytes for a \(d.nativeFrameLength)-byte frame")
        }
        let precision = max(2, d.bitsStored)
        let mask = UInt16(truncatingIfNeeded: (1 << precision) - 1)
        var samples = [UInt16](repeating: 0, count: samplesCount)
        let planar = d.planarConfiguration == 1 && d.samplesPerPixel > 1
        let spp = d.samplesPerPixel
        frame.bytes.withUnsafeBufferPointer { b in
            samples.withUnsafeMutableBufferPointer { s in
                if planar {
                    // Colour-by-plane input is interleaved here: sample k of pixel p is at k × pixels + p.
                    for i in 0..<samplesCount {
                        let source = (i % spp) * pixels + i / spp
                        let v = bytesPerSample == 1 ? UInt16(b[source]) : UInt16(b[2 * source]) | UInt16(b[2 * source + 1]) << 8
                        s[i] = v & mask
                    }
                } else if bytesPerSample == 1 {
                    for i in 0..<samplesCount { s[i] = UInt16(b[i]) & mask }
                } else {
                    for i in 0..<samplesCount { s[i] = (UInt16(b[2 * i]) | UInt16(b[2 * i + 1]) << 8) & mask }
                }
            }
        }
        let stream = JPEGLosslessEncoder.encode(samples: samples, rows: d.rows, columns: d.columns,
                                                components: d.samplesPerPixel, precision: precision)
        return EncodedFrame(codestream: stream, photometricInterpretation: d.photometricInterpretation)
    }
}
