// PS3.4 Annex N.3 (the colour pipeline, without ICC profiles) and PS3.3 §C.7.6.3.1.2
// (photometric interpretations): RGB, YBR_FULL and YBR_FULL_422 to RGB, planar configuration 1
// to interleaved (PS3.3 §C.7.6.3.1.3), PALETTE COLOR through its LUTs (PS3.3 §C.7.6.3.1.5).

/// Renders colour and palette frames to 8-bit RGB.
public enum ColorPipeline {
    /// Renders a frame whose Photometric Interpretation is RGB, YBR_FULL, YBR_FULL_422, YBR_ICT or
    /// YBR_RCT (the last two as a decoder leaves them: already RGB) to interleaved 8-bit RGB.
    /// Samples of more than 8 bits are scaled: v × 255 / (2^Bits Stored − 1).
    /// - Throws: `CodecError.unsupported` for other interpretations, `.badDescriptor` for a short frame.
    public static func renderColor(_ frame: DecodedFrame) throws(CodecError) -> RenderedImage {
        let d = frame.descriptor
        let pi = d.photometricInterpretation.uppercased()
        let pixels = d.rows * d.columns
        guard d.samplesPerPixel == 3 else { throw CodecError(.badDescriptor, "\(pi) with \(d.samplesPerPixel) samples per pixel") }
        guard [8, 16, 32].contains(d.bitsAllocated) else { throw CodecError(.unsupported, "Bits Allocated \(d.bitsAllocated)") }
        let bytesPerSample = d.bitsAllocated / 8
        // Native YBR_FULL_422 holds two samples per pixel: Y1 Y2 Cb Cr for each pair (PS3.3 §C.7.6.3.1.2).
        let subsampled = pi == "YBR_FULL_422" && frame.bytes.count < pixels * 3 * bytesPerSample
        let needed = subsampled ? pixels * 2 * bytesPerSample : pixels * 3 * bytesPerSample
        guard frame.bytes.count >= needed else {
            throw CodecError(.badDescriptor, "frame holds \(frame.bytes.count) bytes, \(needed) expected")
        }
        guard !subsampled || d.columns % 2 == 0 else {
            throw CodecError(.badDescriptor, "YBR_FULL_422 with an odd number of columns")
        }
        // Samples scaled to 8 bits, in R G B (or Y Cb Cr) interleaved order.
        var rgb = [UInt8](repeating: 0, count: pixels * 3)
        let stored = max(1, min(d.bitsStored, d.bitsAllocated))
        let maxValue = UInt64((1 << UInt64(stored)) - 1)
        let shift = UInt64(max(0, d.highBit - stored + 1))
        frame.bytes.withUnsafeBytes { raw in
            rgb.withUnsafeMutableBufferPointer { out in
                @inline(__always) func sample(_ index: Int) -> UInt8 {
                    switch bytesPerSample {
                    case 1:
                        if stored == 8 { return raw[index] }
                        let v = (UInt64(raw[index]) >> shift) & maxValue
                        return UInt8((v * 255 + maxValue / 2) / maxValue)
                    case 2:
                        let w = UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
                        let v = (w >> shift) & maxValue
                        return UInt8((v * 255 + maxValue / 2) / maxValue)
                    default:
                        let w = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                        let v = (w >> shift) & maxValue
                        return UInt8((v * 255 + maxValue / 2) / maxValue)
                    }
                }
                if subsampled {
                    for pair in 0..<(pixels / 2) {
                        let y1 = sample(4 * pair), y2 = sample(4 * pair + 1), cb = sample(4 * pair + 2), cr = sample(4 * pair + 3)
                        out[6 * pair] = y1; out[6 * pair + 1] = cb; out[6 * pair + 2] = cr
                        out[6 * pair + 3] = y2; out[6 * pair + 4] = cb; out[6 * pair + 5] = cr
                    }
                } else if d.planarConfiguration == 1 {
                    // PS3.3 §C.7.6.3.1.3: R plane, G plane, B plane.
                    for i in 0..<pixels {
                        out[3 * i] = sample(i); out[3 * i + 1] = sample(pixels + i); out[3 * i + 2] = sample(2 * pixels + i)
                    }
                } else if bytesPerSample == 1 && stored == 8 {
                    out.baseAddress!.update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: pixels * 3)
                } else {
                    for i in 0..<(pixels * 3) { out[i] = sample(i) }
                }
            }
        }
        if pi.hasPrefix("YBR_FULL") { ybrFullToRGB(&rgb) }
        else if pi != "RGB" && pi != "YBR_ICT" && pi != "YBR_RCT" {
            throw CodecError(.unsupported, "Photometric Interpretation \(pi)")
        }
        return RenderedImage(width: d.columns, height: d.rows, components: 3, pixels: rgb)
    }

    /// YBR_FULL to RGB in place, inverting the equations of PS3.3 §C.7.6.3.1.2
    /// (Y = .2990R + .5870G + .1140B, Cb = −.1687R − .3313G + .5B + 128, Cr = .5R − .4187G − .0813B + 128).
    public static func ybrFullToRGB(_ pixels: inout [UInt8]) {
        // Fixed point with 16 fractional bits, rounded: the inverse matrix of the equations above.
        let crR = 91881, cbG = 22554, crG = 46802, cbB = 116130
        pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i + 2 < p.count {
                let y = Int(p[i]) << 16 + 32768, cb = Int(p[i + 1]) - 128, cr = Int(p[i + 2]) - 128
                p[i] = clamp8((y + crR * cr) >> 16)
                p[i + 1] = clamp8((y - cbG * cb - crG * cr) >> 16)
                p[i + 2] = clamp8((y + cbB * cb) >> 16)
                i += 3
            }
        }
    }

    @inline(__always)
    static func clamp8(_ v: Int) -> UInt8 { UInt8(truncatingIfNeeded: v < 0 ? 0 : (v > 255 ? 255 : v)) }

    /// Renders a PALETTE COLOR frame through its Red, Green and Blue Palette Color LUTs (PS3.3
    /// §C.7.6.3.1.5–6); 16-bit entries are scaled to 8 bits.
    /// - Throws: `CodecError.badDescriptor` when a palette is missing or malformed or the frame is short.
    public static func renderPalette(_ frame: DecodedFrame, dataSet: DataSet) throws(CodecError) -> RenderedImage {
        let d = frame.descriptor
        guard d.samplesPerPixel == 1 else { throw CodecError(.badDescriptor, "PALETTE COLOR with \(d.samplesPerPixel) samples per pixel") }
        let luts = try [
            LookupTable.palette(descriptor: .redPaletteColorLookupTableDescriptor, data: .redPaletteColorLookupTableData,
                                segmented: .segmentedRedPaletteColorLookupTableData, in: dataSet, signedInput: d.isSigned),
            LookupTable.palette(descriptor: .greenPaletteColorLookupTableDescriptor, data: .greenPaletteColorLookupTableData,
                                segmented: .segmentedGreenPaletteColorLookupTableData, in: dataSet, signedInput: d.isSigned),
            LookupTable.palette(descriptor: .bluePaletteColorLookupTableDescriptor, data: .bluePaletteColorLookupTableData,
                                segmented: .segmentedBluePaletteColorLookupTableData, in: dataSet, signedInput: d.isSigned),
        ]
        let stored = try StoredValues.read(frame)
        guard let lo = stored.min, let hi = stored.max else { throw CodecError(.badDescriptor, "empty frame") }
        guard hi - lo < 1 << 17 else { throw CodecError(.unsupported, "PALETTE COLOR with \(d.bitsStored)-bit indices") }
        // One RGB triple per stored value in the frame's range.
        var table = [UInt8](repeating: 0, count: Int(hi - lo + 1) * 3)
        for v in lo...hi {
            for c in 0..<3 {
                let e = UInt32(luts[c].value(Int(v)))
                table[Int(v - lo) * 3 + c] = luts[c].bits == 8 ? UInt8(truncatingIfNeeded: e) : UInt8((e * 255 + 32767) / 65535)
            }
        }
        let count = d.rows * d.columns
        var out = [UInt8](repeating: 0, count: count * 3)
        table.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<count {
                    let k = Int(stored.values[i] - lo) * 3
                    o[3 * i] = t[k]; o[3 * i + 1] = t[k + 1]; o[3 * i + 2] = t[k + 2]
                }
            }
        }
        return RenderedImage(width: d.columns, height: d.rows, components: 3, pixels: out)
    }
}
