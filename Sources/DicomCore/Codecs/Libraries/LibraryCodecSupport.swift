// Helpers shared by the codecs around system libraries (libjpeg-turbo, CharLS, OpenJPEG):
// sample containers, sign extension and planar conversion, PS3.5 §8.1.1 and PS3.3 §C.7.6.3.1.3.

enum SampleLayout {
    /// Bytes per sample in a native frame of `bitsAllocated` bits (8 → 1, 16 → 2, 32 → 4).
    static func bytesPerSample(_ bitsAllocated: Int) -> Int { max(1, bitsAllocated / 8) }

    /// Sign-extends each 16-bit little-endian sample of `bytes` from `bitsStored` bits in place, so that
    /// signed data keeps its value in the whole container as pydicom returns it.
    static func signExtend16(_ bytes: inout [UInt8], bitsStored: Int) {
        guard bitsStored < 16, bitsStored > 0 else { return }
        let shift = 16 - bitsStored
        bytes.withUnsafeMutableBytes { raw in
            let n = raw.count / 2
            for i in 0..<n {
                let v = UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8
                let s = UInt16(bitPattern: Int16(bitPattern: v << shift) >> shift)
                raw[2 * i] = UInt8(truncatingIfNeeded: s)
                raw[2 * i + 1] = UInt8(truncatingIfNeeded: s >> 8)
            }
        }
    }

    /// Sign-extends each 8-bit sample from `bitsStored` bits in place.
    static func signExtend8(_ bytes: inout [UInt8], bitsStored: Int) {
        guard bitsStored < 8, bitsStored > 0 else { return }
        let shift = UInt8(8 - bitsStored)
        for i in bytes.indices {
            bytes[i] = UInt8(bitPattern: Int8(bitPattern: bytes[i] << shift) >> shift)
        }
    }

    /// Colour-by-plane (R…G…B…) to colour-by-pixel (RGBRGB…) for `samples` planes of `pixels`
    /// samples of `unit` bytes each.
    static func interleave(_ planar: [UInt8], pixels: Int, samples: Int, unit: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: planar.count)
        planar.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for s in 0..<samples {
                    for p in 0..<pixels {
                        let from = (s * pixels + p) * unit, to = (p * samples + s) * unit
                        for b in 0..<unit { dst[to + b] = src[from + b] }
                    }
                }
            }
        }
        return out
    }

    /// Colour-by-pixel to colour-by-plane.
    static func deinterleave(_ pixelData: [UInt8], pixels: Int, samples: Int, unit: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: pixelData.count)
        pixelData.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for s in 0..<samples {
                    for p in 0..<pixels {
                        let from = (p * samples + s) * unit, to = (s * pixels + p) * unit
                        for b in 0..<unit { dst[to + b] = src[from + b] }
                    }
                }
            }
        }
        return out
    }

    /// Checks that `frame.bytes` holds one whole native frame of its descriptor.
    static func checkNativeLength(_ frame: DecodedFrame) throws(CodecError) {
        let d = frame.descriptor
        guard d.rows > 0, d.columns > 0, frame.bytes.count >= d.nativeFrameLength else {
            throw CodecError(.badDescriptor, "frame holds \(frame.bytes.count) bytes, \(d.rows)x\(d.columns)x\(d.samplesPerPixel) at \(d.bitsAllocated) bits needs \(d.nativeFrameLength)")
        }
    }
}

/// Transfer syntax UIDs of the codecs around libraries (PS3.5 Annex A.4 and Table A-1).
enum LibrarySyntax {
    static let jpegBaseline = "1.2.840.10008.1.2.4.50"
    static let jpegExtended = "1.2.840.10008.1.2.4.51"
    static let jpegLSLossless = "1.2.840.10008.1.2.4.80"
    static let jpegLSNearLossless = "1.2.840.10008.1.2.4.81"
    static let jpeg2000Lossless = "1.2.840.10008.1.2.4.90"
    static let jpeg2000 = "1.2.840.10008.1.2.4.91"
    static let htj2kLossless = "1.2.840.10008.1.2.4.201"
    static let htj2kLosslessRPCL = "1.2.840.10008.1.2.4.202"
    static let htj2k = "1.2.840.10008.1.2.4.203"
}
