// PS3.5 Annex G: RLE Lossless (1.2.840.10008.1.2.5). Each frame is one RLE image: a 64-byte
// header of 16 little-endian longs (segment count, then 15 segment offsets) followed by one
// PackBits segment per byte plane.
//
// Segment order (PS3.5 §G.2): for each sample (R, G, B or the one grey sample), the byte planes
// from the most significant byte to the least significant. Every segment is a whole colour plane,
// so RLE is "colour-by-plane" whatever Planar Configuration says.
//
// Decoded frames are colour-by-pixel (Planar Configuration 0) whatever the data set says: this is
// what pydicom (with or without pylibjpeg-rle) returns and what `Dataset.decompress()` writes, and
// the returned `DecodedFrame.descriptor.planarConfiguration` says 0 so that the caller records it.
// Encoding reads either planar configuration as the frame's descriptor states.

/// RLE Lossless, written here: 8, 16 and 32 bits allocated, 1 or 3 samples per pixel.
public struct RLECodec: PixelCodec {
    public static let transferSyntaxUID = "1.2.840.10008.1.2.5"
    public var transferSyntaxUIDs: Set<String> { [RLECodec.transferSyntaxUID] }

    public init() {}

    public func canDecode(_ d: FrameDescriptor, syntax: String) -> Bool { supports(d) }
    /// Subsampled native layouts (YBR_FULL_422, PS3.3 §C.7.6.3.1.2) are not encoded.
    public func canEncode(_ d: FrameDescriptor, syntax: String) -> Bool {
        supports(d) && !d.photometricInterpretation.hasPrefix("YBR_PARTIAL") && d.photometricInterpretation != "YBR_FULL_422"
    }

    func supports(_ d: FrameDescriptor) -> Bool {
        [8, 16, 32].contains(d.bitsAllocated) && (d.samplesPerPixel == 1 || d.samplesPerPixel == 3)
    }

    // MARK: - Decoding

    /// Decodes one frame (PS3.5 §G.3.2, §G.5).
    /// - Throws: `.badDescriptor` when the segment count differs from samples × bytes per sample,
    ///   `.corrupt` when a segment is shorter than a plane or an offset is out of range.
    public func decode(_ codestream: [UInt8], descriptor d: FrameDescriptor, syntax: String) throws(CodecError) -> DecodedFrame {
        guard supports(d) else {
            throw CodecError(.unsupported, "RLE: \(d.bitsAllocated) bits allocated, \(d.samplesPerPixel) samples")
        }
        let bytesPerSample = d.bitsAllocated / 8
        let expectedSegments = bytesPerSample * d.samplesPerPixel
        let pixels = d.rows * d.columns
        guard codestream.count >= 64 else { throw CodecError(.corrupt, "RLE header truncated (\(codestream.count) bytes)") }
        var header = [Int](repeating: 0, count: 16)
        for i in 0..<16 {
            let b0 = Int(codestream[4 * i]), b1 = Int(codestream[4 * i + 1])
            let b2 = Int(codestream[4 * i + 2]), b3 = Int(codestream[4 * i + 3])
            header[i] = b0 | b1 << 8 | b2 << 16 | b3 << 24
        }
        guard header[0] == expectedSegments else {
            throw CodecError(.badDescriptor, "RLE header has \(header[0]) segments, the descriptor needs \(expectedSegments)")
        }
        var offsets = Array(header[1...expectedSegments])
        offsets.append(codestream.count)
        for i in 0..<expectedSegments {
            guard offsets[i] >= 64, offsets[i] <= codestream.count else {
                throw CodecError(.corrupt, "RLE segment \(i + 1) offset \(offsets[i]) out of range")
            }
        }
        let samples = d.samplesPerPixel
        let pixelStride = samples * bytesPerSample
        var failure: CodecError?
        // Not zero-filled first: every byte is written by one segment (each decodes to exactly
        // `pixels` bytes or the frame fails), so the frame's pages are touched once.
        let out = [UInt8](unsafeUninitializedCapacity: pixels * samples * bytesPerSample) { dst, initialized in
            initialized = pixels * samples * bytesPerSample
            codestream.withUnsafeBufferPointer { src in
                var plane = RLECodec.scratchPlane(pixels)
                plane.withUnsafeMutableBufferPointer { planeBuf in
                    for segment in 0..<expectedSegments {
                        // A segment ends at the next segment's offset, or at the end of the data
                        // when the offsets are not increasing (the header does not promise order).
                        let start = offsets[segment]
                        var end = codestream.count
                        for o in offsets[0..<expectedSegments] where o > start && o < end { end = o }
                        let produced = RLECodec.unpackBits(src, from: start, to: end, into: planeBuf)
                        guard produced == pixels else {
                            failure = CodecError(.corrupt, "RLE segment \(segment + 1) decodes to \(produced) of \(pixels) bytes")
                            return
                        }
                        let sample = segment / bytesPerSample
                        let byteInSample = bytesPerSample - 1 - segment % bytesPerSample  // MSB first → little endian
                        var o = sample * bytesPerSample + byteInSample
                        for p in 0..<pixels {
                            dst[o] = planeBuf[p]
                            o += pixelStride
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        var outDescriptor = d
        outDescriptor.planarConfiguration = 0
        return DecodedFrame(bytes: out, descriptor: outDescriptor)
    }

    /// A byte plane that is written in full before it is read (decode: only after a segment
    /// produced every byte; encode: filled from the frame first), so it is not zero-filled.
    static func scratchPlane(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// PackBits decoding (PS3.5 §G.3.2): returns how many bytes it wrote into `out` (at most its count).
    static func unpackBits(_ src: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
                           into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var i = start
        var o = 0
        let limit = out.count
        while i < end, o < limit {
            let n = Int(Int8(bitPattern: src[i]))
            i += 1
            if n >= 0 {
                let count = min(n + 1, end - i, limit - o)
                for k in 0..<count { out[o + k] = src[i + k] }
                i += n + 1
                o += count
                if count < n + 1 { break }
            } else if n != -128 {
                guard i < end else { break }
                let value = src[i]
                i += 1
                let count = min(1 - n, limit - o)
                for k in 0..<count { out[o + k] = value }
                o += count
            }
        }
        return o
    }

    // MARK: - Encoding

    /// Encodes one native frame (PS3.5 §G.3.1, §G.4): each row of each byte plane separately, runs
    /// of 3 or more equal bytes as replicate runs, every segment padded to even length.
    public func encode(_ frame: DecodedFrame, syntax: String, options: EncodeOptions) throws(CodecError) -> EncodedFrame {
        let d = frame.descriptor
        guard supports(d) else {
            throw CodecError(.unsupported, "RLE: \(d.bitsAllocated) bits allocated, \(d.samplesPerPixel) samples")
        }
        let bytesPerSample = d.bitsAllocated / 8
        let samples = d.samplesPerPixel
        let pixels = d.rows * d.columns
        guard frame.bytes.count >= pixels * samples * bytesPerSample else {
            throw CodecError(.badDescriptor, "RLE encode: \(frame.bytes.count) bytes for a \(d.nativeFrameLength)-byte frame")
        }
        let segments = samples * bytesPerSample
        // PackBits never takes more than a header byte per 128 literal bytes beyond the input
        // (PS3.5 §G.3.1; a replicate run saves the header of the literal run before it), so the
        // worst case is known and the stream is written in place (2 bytes of slack per row).
        let rowBound = d.columns + (d.columns + 127) / 128 + 2
        let capacity = 64 + segments * (d.rows * rowBound + 1)
        var offsets: [Int] = []
        var plane = RLECodec.scratchPlane(pixels)
        // Checked before each row is written, so that the buffer can never be overrun: a row
        // takes at most `columns + ⌈columns / 128⌉` bytes, and the pad byte 1 more per segment.
        let rowWorst = d.columns + (d.columns + 127) / 128
        var overrun = false
        let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            guard let base = buffer.baseAddress else { initialized = 0; return }
            base.initialize(repeating: 0, count: 64)
            var o = 64
            for segment in 0..<segments {
                let sample = segment / bytesPerSample
                let byteInSample = bytesPerSample - 1 - segment % bytesPerSample
                // Colour-by-pixel: sample s of pixel p at (p × samples + s) × bytes; colour-by-plane: (s × pixels + p) × bytes.
                let (first, stride) = d.planarConfiguration == 1 && samples > 1
                    ? (sample * pixels * bytesPerSample + byteInSample, bytesPerSample)
                    : (sample * bytesPerSample + byteInSample, samples * bytesPerSample)
                frame.bytes.withUnsafeBufferPointer { src in
                    plane.withUnsafeMutableBufferPointer { dst in
                        var k = first
                        for p in 0..<pixels {
                            dst[p] = src[k]
                            k += stride
                        }
                    }
                }
                offsets.append(o)
                plane.withUnsafeBufferPointer { planeBuf in
                    for row in 0..<d.rows {
                        guard o + rowWorst + 1 <= capacity else { overrun = true; return }
                        o = RLECodec.packBits(planeBuf, from: row * d.columns, count: d.columns, into: base, at: o)
                    }
                }
                if overrun { break }
                if o % 2 == 1 {
                    base[o] = 0
                    o += 1
                }
            }
            func putLong(_ v: Int, at i: Int) {
                base[i] = UInt8(v & 0xFF); base[i + 1] = UInt8((v >> 8) & 0xFF)
                base[i + 2] = UInt8((v >> 16) & 0xFF); base[i + 3] = UInt8((v >> 24) & 0xFF)
            }
            putLong(segments, at: 0)
            for (i, start) in offsets.enumerated() { putLong(start, at: 4 * (i + 1)) }
            initialized = o
        }
        // Cannot happen while the bound above is right; a wrong bound is reported, not written past.
        if overrun { throw CodecError(.failed, "RLE encode: the worst-case buffer bound was too small (\(capacity) bytes)") }
        return EncodedFrame(codestream: out, photometricInterpretation: d.photometricInterpretation)
    }

    /// PackBits encoding of one row (PS3.5 §G.3.1): replicate runs of 3–128 bytes, literal runs
    /// of up to 128. Writes at `out + at`, which has room for `count + ⌈count / 128⌉` bytes;
    /// returns the position after the last byte written.
    static func packBits(_ src: UnsafeBufferPointer<UInt8>, from start: Int, count: Int,
                         into out: UnsafeMutablePointer<UInt8>, at position: Int) -> Int {
        let end = start + count
        var i = start
        var literalStart = start
        var o = position
        func flushLiterals(upTo stop: Int) {
            var s = literalStart
            while s < stop {
                let n = min(128, stop - s)
                out[o] = UInt8(n - 1)
                if let from = src.baseAddress { (out + o + 1).initialize(from: from + s, count: n) }
                o += n + 1
                s += n
            }
        }
        while i < end {
            let value = src[i]
            var run = 1
            while i + run < end, run < 128, src[i + run] == value { run += 1 }
            if run >= 3 {
                flushLiterals(upTo: i)
                out[o] = UInt8(bitPattern: Int8(1 - run))
                out[o + 1] = value
                o += 2
                i += run
                literalStart = i
            } else {
                i += run
            }
        }
        flushLiterals(upTo: end)
        return o
    }
}
