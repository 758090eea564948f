import Foundation

// PS3.4 Annex N.2 (the grayscale transformation pipeline): stored values → Modality LUT
// (PS3.3 §C.11.1) → VOI LUT (PS3.3 §C.11.2) → Presentation LUT (PS3.3 §C.11.6; MONOCHROME1
// is inverted, PS3.3 §C.7.6.3.1.2) → P-Values, here 8 bits.

/// The grayscale pipeline for one image: which Modality LUT, VOI LUT and Presentation LUT apply.
public struct GrayscalePipeline: Sendable, Equatable {
    /// PS3.3 §C.11.1: the Modality LUT.
    public enum ModalityTransform: Sendable, Equatable {
        /// Rescale Slope (0028,1053) and Rescale Intercept (0028,1052).
        case rescale(slope: Double, intercept: Double)
        /// Modality LUT Sequence (0028,3000), first item.
        case lut(LookupTable)
    }

    /// PS3.3 §C.11.2: the VOI LUT.
    public enum VOITransform: Sendable, Equatable {
        case window(VOIWindow)
        /// VOI LUT Sequence (0028,3010), first item.
        case lut(LookupTable)
        /// No window in the request or the file: the frame's smallest and largest modality values
        /// map to black and white (the window of PS3.3 §C.11.2.1.2.1's note: center (min+max+1)/2, width max−min+1).
        case frameRange
    }

    public var modality: ModalityTransform
    public var voi: VOITransform
    /// MONOCHROME1, or Presentation LUT Shape (2050,0020) INVERSE: the lowest value is white.
    public var inverts: Bool

    public init(modality: ModalityTransform, voi: VOITransform, inverts: Bool) {
        self.modality = modality
        self.voi = voi
        self.inverts = inverts
    }

    /// The pipeline `dataSet` describes for frames like `descriptor`, with `window` (when given)
    /// in place of the file's VOI LUT.
    /// - Throws: `CodecError.badDescriptor` when a LUT sequence is malformed.
    public init(dataSet: DataSet, descriptor: FrameDescriptor, window: VOIWindow?) throws(CodecError) {
        if let item = dataSet[.modalityLUTSequence]?.items?.first {
            modality = .lut(try LookupTable.read(item: item.dataSet, signedInput: descriptor.isSigned))
        } else {
            modality = .rescale(slope: dataSet.double(.rescaleSlope) ?? 1, intercept: dataSet.double(.rescaleIntercept) ?? 0)
        }
        // The VOI LUT's input may be negative when the stored values are signed or rescaled below 0.
        let signedModality: Bool
        switch modality {
        case .rescale(let slope, let intercept): signedModality = descriptor.isSigned || intercept < 0 || slope < 0
        case .lut: signedModality = false
        }
        if let window {
            voi = .window(window)
        } else if let centers = dataSet.doubles(.windowCenter), let widths = dataSet.doubles(.windowWidth),
                  let c = centers.first, let w = widths.first, w > 0 {
            // PS3.3 §C.11.2.1.2: the first window is the default; VOI LUT Function defaults to LINEAR.
            let function = dataSet.string(.voilutFunction).flatMap { VOILUTFunction(term: $0) } ?? .linear
            voi = .window(VOIWindow(center: c, width: w, function: function))
        } else if let item = dataSet[.voilutSequence]?.items?.first {
            voi = .lut(try LookupTable.read(item: item.dataSet, signedInput: signedModality))
        } else {
            voi = .frameRange
        }
        let shape = dataSet.string(.presentationLUTShape)?.uppercased()
        inverts = descriptor.photometricInterpretation.uppercased() == "MONOCHROME1" || shape == "INVERSE"
    }

    /// The Modality LUT output for stored value `sv`.
    @inline(__always)
    func modalityValue(_ sv: Int64) -> Double {
        switch modality {
        case .rescale(let slope, let intercept): return Double(sv) * slope + intercept
        case .lut(let lut): return Double(lut.value(Int(clamping: sv)))
        }
    }

    /// Renders one grey frame to 8-bit P-Values.
    /// - Throws: `CodecError.badDescriptor` when the frame is not one grey sample per pixel or is too short.
    public func render(_ frame: DecodedFrame) throws(CodecError) -> RenderedImage {
        let d = frame.descriptor
        return RenderedImage(width: d.columns, height: d.rows, components: 1, pixels: try pValues(frame, as: UInt8.self))
    }

    /// Renders one grey frame to 16-bit P-Values (0–65535): the same pipeline with a finer output,
    /// for a 16-bit PNG.
    /// - Throws: as `render`.
    public func render16(_ frame: DecodedFrame) throws(CodecError) -> [UInt16] {
        try pValues(frame, as: UInt16.self)
    }

    /// The P-Values of `frame`, from 0 to `T.max`.
    func pValues<T: FixedWidthInteger & UnsignedInteger>(_ frame: DecodedFrame, as: T.Type) throws(CodecError) -> [T] {
        let d = frame.descriptor
        let top = Double(T.max)
        guard d.samplesPerPixel == 1 else { throw CodecError(.badDescriptor, "grey pipeline for \(d.samplesPerPixel) samples per pixel") }
        let count = d.rows * d.columns
        let layout = try StoredValues.Layout(d)
        guard frame.bytes.count >= count * layout.bytesPerSample else {
            throw CodecError(.badDescriptor, "frame holds \(frame.bytes.count) bytes, \(count * layout.bytesPerSample) expected")
        }
        guard count > 0 else { throw CodecError(.badDescriptor, "empty frame") }
        // 16-bit samples through a window that saturates: the table spans the window alone, the
        // frame's range is not needed, and stored values beyond the span take its end values.
        if layout.bytesPerSample == 2, let span = windowSpan(layout) {
            let table = span.map { pValue($0, voi, top: top, as: T.self) }
            return Self.lookup16(frame, count: count, layout: layout, span: span, table: table)
        }
        var lo = Int64.max, hi = Int64.min
        if layout.bytesPerSample == 2 {
            (lo, hi) = layout.range16(frame.bytes, count: count)
        } else {
            layout.forEach(frame.bytes, count: count) { _, v in
                if v < lo { lo = v }
                if v > hi { hi = v }
            }
        }
        // The VOI transform in its final form: a window (the frame's range resolved) or a LUT.
        var resolved = voi
        if case .frameRange = voi {
            var mLo = modalityValue(lo), mHi = mLo
            if case .lut = modality, hi - lo <= 1 << 17 {
                for v in lo...hi { let m = modalityValue(v); mLo = min(mLo, m); mHi = max(mHi, m) }
            } else {
                let m = modalityValue(hi)
                mLo = min(mLo, m)
                mHi = max(mHi, m)
            }
            resolved = .window(VOIWindow(center: (mLo + mHi + 1) / 2, width: mHi - mLo + 1, function: .linear))
        }
        guard hi - lo < 1 << 17 else {
            var out = [T](repeating: 0, count: count)
            out.withUnsafeMutableBufferPointer { o in
                layout.forEach(frame.bytes, count: count) { i, v in o[i] = pValue(v, resolved, top: top, as: T.self) }
            }
            return out
        }
        // One evaluation per distinct stored value in the frame's range, then a table lookup per pixel.
        let table = (lo...hi).map { pValue($0, resolved, top: top, as: T.self) }
        if layout.bytesPerSample == 2 { return Self.lookup16(frame, count: count, layout: layout, span: lo...hi, table: table) }
        return [T](unsafeUninitializedCapacity: count) { o, n in
            table.withUnsafeBufferPointer { t in
                layout.forEach(frame.bytes, count: count) { i, v in o[i] = t[Int(v &- lo)] }
            }
            n = count
        }
    }

    /// The P-Value of stored value `sv` through `voi` (resolved: `.frameRange` gives 0).
    @inline(__always)
    private func pValue<T: FixedWidthInteger & UnsignedInteger>(_ sv: Int64, _ voi: VOITransform, top: Double, as: T.Type) -> T {
        let m = modalityValue(sv)
        var y: Double
        switch voi {
        case .window(let w): y = w.output(m, yMin: 0, yMax: top)
        case .lut(let lut):
            // A LUT input beyond ±2^31 is beyond any LUT's range anyway (and may be infinite after a wild rescale).
            let x = m.isNaN ? 0 : Int(Swift.max(-2_147_483_648, Swift.min(2_147_483_647, m.rounded())))
            y = Double(lut.value(x)) * top / lut.maxValue
        case .frameRange: y = 0
        }
        if inverts { y = top - y }
        if y.isNaN { return 0 }
        return T(Swift.max(0, Swift.min(top, y.rounded())))
    }

    /// The stored values, of those `layout` holds, beyond which the VOI window's output is
    /// constant: LINEAR and LINEAR_EXACT saturate outside their window (PS3.3 §C.11.2.1.2.1,
    /// §C.11.2.1.3.2), and a rescale maps stored values to modality values monotonically. A margin
    /// of one stored value on each side keeps rounding on the safe side: the ends of the span are
    /// themselves saturated. nil for SIGMOID (it never saturates), a LUT, the frame's range, or a
    /// degenerate rescale.
    func windowSpan(_ layout: StoredValues.Layout) -> ClosedRange<Int64>? {
        guard case .window(let w) = voi, w.function != .sigmoid, w.center.isFinite, w.width.isFinite,
              case .rescale(let slope, let intercept) = modality, slope != 0, slope.isFinite, intercept.isFinite else { return nil }
        let low: Double, high: Double
        if w.function == .linear {
            let width = max(w.width, 1)
            (low, high) = (w.center - 0.5 - (width - 1) / 2, w.center - 0.5 + (width - 1) / 2)
        } else {
            (low, high) = (w.center - w.width / 2, w.center + w.width / 2)
        }
        let a = (low - intercept) / slope, b = (high - intercept) / slope
        guard a.isFinite, b.isFinite else { return nil }
        let smallest = Double(layout.smallest), largest = Double(layout.largest)
        let from = Swift.max(smallest, Swift.min(largest, (Swift.min(a, b) - 1).rounded(.down)))
        let to = Swift.max(smallest, Swift.min(largest, (Swift.max(a, b) + 1).rounded(.up)))
        return Int64(from)...Int64(to)
    }

    /// `table[clamp(storedValue, span) - span.lowerBound]` for each of the first `count` 16-bit samples.
    private static func lookup16<T>(_ frame: DecodedFrame, count: Int, layout: StoredValues.Layout, span: ClosedRange<Int64>,
                                    table: [T]) -> [T] {
        [T](unsafeUninitializedCapacity: count) { o, n in
            table.withUnsafeBufferPointer { t in
                layout.lookup16(frame.bytes, count: count, span: span, table: t, into: o)
            }
            n = count
        }
    }
}

/// The stored values of a grey frame (PS3.5 §8.1.1 and PS3.3 §C.7.6.3.1.1): Bits Stored bits
/// ending at High Bit, two's complement when Pixel Representation is 1.
struct StoredValues {
    var values: [Int64]
    var min: Int64?
    var max: Int64?

    /// - Throws: `CodecError.badDescriptor` for bit depths other than 8, 16 and 32, or a frame shorter than its descriptor.
    static func read(_ frame: DecodedFrame) throws(CodecError) -> StoredValues {
        let d = frame.descriptor
        let count = d.rows * d.columns * d.samplesPerPixel
        let layout = try Layout(d)
        guard frame.bytes.count >= count * layout.bytesPerSample else {
            throw CodecError(.badDescriptor, "frame holds \(frame.bytes.count) bytes, \(count * layout.bytesPerSample) expected")
        }
        var values = [Int64](repeating: 0, count: count)
        var lo = Int64.max, hi = Int64.min
        values.withUnsafeMutableBufferPointer { out in
            layout.forEach(frame.bytes, count: count) { i, v in
                out[i] = v
                if v < lo { lo = v }
                if v > hi { hi = v }
            }
        }
        return StoredValues(values: values, min: count > 0 ? lo : nil, max: count > 0 ? hi : nil)
    }

    /// Where a sample's stored value lies in its Bits Allocated.
    struct Layout {
        let bytesPerSample: Int
        let shift: UInt64
        let mask: UInt64
        let signBit: UInt64
        let wrap: Int64

        /// - Throws: `CodecError` for bit depths other than 8, 16 and 32 or an impossible Bits Stored / High Bit.
        init(_ d: FrameDescriptor) throws(CodecError) {
            guard [8, 16, 32].contains(d.bitsAllocated) else {
                throw CodecError(.unsupported, "Bits Allocated \(d.bitsAllocated)")
            }
            guard d.bitsStored >= 1, d.bitsStored <= d.bitsAllocated, d.highBit < d.bitsAllocated else {
                throw CodecError(.badDescriptor, "Bits Stored \(d.bitsStored), High Bit \(d.highBit)")
            }
            bytesPerSample = d.bitsAllocated / 8
            shift = UInt64(Swift.max(0, d.highBit - d.bitsStored + 1))
            mask = (1 << UInt64(d.bitsStored)) - 1
            signBit = d.isSigned ? 1 << UInt64(d.bitsStored - 1) : 0
            wrap = 1 << Int64(d.bitsStored)
        }

        /// The stored value of a 16-bit word in 32-bit arithmetic without a branch, so that the
        /// loops below vectorise: the Bits Stored bits at High Bit, moved up to bit 31 (`spread`
        /// places) and back. Signed pixels come back with an arithmetic shift, which sign-extends;
        /// unsigned ones with a logical shift, which clears what lay above the stored bits.
        @inline(__always)
        private static func signed16(_ word: UInt16, shift: UInt16, spread: Int32) -> Int32 {
            (Int32(word &>> shift) &<< spread) &>> spread
        }

        @inline(__always)
        private static func unsigned16(_ word: UInt16, shift: UInt16, spread: Int32) -> Int32 {
            Int32(bitPattern: (UInt32(word &>> shift) &<< UInt32(spread)) &>> UInt32(spread))
        }

        /// `shift` and `spread` of the two functions above for this layout.
        private var shifts16: (shift: UInt16, spread: Int32) {
            (UInt16(truncatingIfNeeded: shift), 32 - Int32(mask.nonzeroBitCount))
        }

        /// Runs `body` over the first `count` 16-bit words of `bytes`, aligned when the array's
        /// storage is (it always is in practice), unaligned otherwise.
        @inline(__always)
        private func words<R>(_ bytes: [UInt8], count: Int, _ body: (UnsafeBufferPointer<UInt16>) -> R) -> R {
            bytes.withUnsafeBytes { raw -> R in
                if let base = raw.baseAddress, Int(bitPattern: base) % 2 == 0 {
                    return body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt16.self), count: count))
                }
                var copy = [UInt16](repeating: 0, count: count)
                copy.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(2 * count))) }
                return copy.withUnsafeBufferPointer(body)
            }
        }

        /// The smallest and largest stored values of the first `count` 16-bit samples of `bytes`
        /// (the common CT/MR case: one tight loop instead of a closure per sample).
        func range16(_ bytes: [UInt8], count: Int) -> (Int64, Int64) {
            let (shift, spread) = shifts16
            let signed = signBit != 0
            return words(bytes, count: count) { w -> (Int64, Int64) in
                var lo = Int32.max, hi = Int32.min
                if signed {
                    for i in 0..<count {
                        let v = Self.signed16(UInt16(littleEndian: w[i]), shift: shift, spread: spread)
                        lo = Swift.min(lo, v)
                        hi = Swift.max(hi, v)
                    }
                } else {
                    for i in 0..<count {
                        let v = Self.unsigned16(UInt16(littleEndian: w[i]), shift: shift, spread: spread)
                        lo = Swift.min(lo, v)
                        hi = Swift.max(hi, v)
                    }
                }
                return (Int64(lo), Int64(hi))
            }
        }

        /// `out[i] = table[clamp(storedValue(i), span) - span.lowerBound]` for the first `count`
        /// 16-bit samples; `table` has one entry per value of `span` (and `out` room for `count`).
        func lookup16<T>(_ bytes: [UInt8], count: Int, span: ClosedRange<Int64>, table: UnsafeBufferPointer<T>,
                         into out: UnsafeMutableBufferPointer<T>) {
            let (shift, spread) = shifts16
            let signed = signBit != 0
            // Indexes are clamped to the table itself, whatever `span` says: never outside it.
            let lo = Int32(clamping: span.lowerBound), last = Int32(clamping: table.count - 1)
            let count = Swift.min(count, out.count)
            guard let t = table.baseAddress, let o = out.baseAddress, last >= 0 else { return }
            // Indexes for a block of samples first, clamped in a loop that vectorises, then the
            // table lookups. In one loop the clamp becomes two branches (LLVM turns the selects
            // into jumps), and a CT slice, half air and bone on both sides of a soft-tissue
            // window, mispredicts them.
            let block = 512
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: block) { index in
                guard let index = index.baseAddress else { return }
                words(bytes, count: count) { w in
                    guard let src = w.baseAddress else { return }
                    var start = 0
                    while start < count {
                        let n = Swift.min(block, count - start)
                        let from = src + start
                        if signed {
                            for j in 0..<n {
                                let v = Self.signed16(UInt16(littleEndian: from[j]), shift: shift, spread: spread)
                                index[j] = Swift.min(Swift.max(v &- lo, 0), last)
                            }
                        } else {
                            for j in 0..<n {
                                let v = Self.unsigned16(UInt16(littleEndian: from[j]), shift: shift, spread: spread)
                                index[j] = Swift.min(Swift.max(v &- lo, 0), last)
                            }
                        }
                        let to = o + start
                        for j in 0..<n { to[j] = t[Int(index[j])] }
                        start += n
                    }
                }
            }
        }

        /// The smallest and largest stored values of this layout.
        var smallest: Int64 { signBit != 0 ? -Int64(signBit) : 0 }
        var largest: Int64 { signBit != 0 ? Int64(signBit) - 1 : Int64(mask) }

        /// Calls `body(index, storedValue)` for the first `count` samples of `bytes` (which holds at least that many).
        @inline(__always)
        func forEach(_ bytes: [UInt8], count: Int, _ body: (Int, Int64) -> Void) {
            let shift = shift, mask = mask, signBit = signBit, wrap = wrap
            @inline(__always) func value(_ word: UInt64) -> Int64 {
                let u = (word >> shift) & mask
                return (signBit != 0 && u & signBit != 0) ? Int64(u) - wrap : Int64(u)
            }
            bytes.withUnsafeBytes { raw in
                switch bytesPerSample {
                case 1: for i in 0..<count { body(i, value(UInt64(raw[i]))) }
                case 2: for i in 0..<count { body(i, value(UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))) }
                default: for i in 0..<count { body(i, value(UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))) }
                }
            }
        }
    }
}
