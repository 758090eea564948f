// ITU-T T.81 Annex H: the lossless process (process 14, SOF3), Huffman coded. DICOM uses it as
// JPEG Lossless, Non-Hierarchical (Process 14) 1.2.840.10008.1.2.4.57 (any predictor) and its
// First-Order Prediction form 1.2.840.10008.1.2.4.70 (selection value 1), PS3.5 §8.2.1 and §A.4.1.
//
// The decoder keeps the entropy-coded bits in a 64-bit register refilled eight bytes at a time
// (a byte at a time around 0xFF, removing stuffed zero bytes, T.81 §F.1.2.3), decodes up to three
// samples (code and extra bits) with one lookup of the next 12 bits for predictor 1 without
// restarts, and works on unsafe buffers in the sample loop: no per-bit function calls. Samples
// are written at the width of the native frame (8 or 16 bits), so no second pass narrows them.

/// One frame component (T.81 §B.2.2).
struct JPEGComponent {
    var id: UInt8
    var h: Int
    var v: Int
}

/// Decodes a JPEG lossless (SOF3) codestream to samples.
struct JPEGLosslessDecoder {
    /// The decoded image: samples colour-by-pixel, each already shifted left by the point transform.
    struct Image {
        var precision: Int
        var rows: Int
        var columns: Int
        var components: Int
        /// The samples in host byte order, `MemoryLayout<Sample>.size` bytes each: for one-byte
        /// samples the native frame as it is, for two-byte samples (on a little-endian host) too.
        var bytes: [UInt8]

        /// The samples as 16-bit values, whatever their stored width.
        var samples: [UInt16] {
            let width = bytes.count / max(1, rows * columns * components)
            if width == 1 { return bytes.map { UInt16($0) } }
            return bytes.withUnsafeBytes { raw in (0..<(bytes.count / 2)).map { raw.load(fromByteOffset: 2 * $0, as: UInt16.self) } }
        }
    }

    /// Decodes `data` (SOI … EOI) to 16-bit samples.
    static func decode(_ data: [UInt8], expected: (rows: Int, columns: Int, components: Int)? = nil) throws(CodecError) -> Image {
        try decode(data, expected: expected, as: UInt16.self)
    }

    /// Decodes `data` (SOI … EOI) to samples of type `Sample` (`UInt8` for precisions up to 8).
    /// - Parameters:
    ///   - expected: rows, columns and components the caller expects; checked at the frame header,
    ///     before the samples are allocated.
    /// - Throws: `.corrupt` for a malformed or truncated codestream, `.unsupported` for other JPEG
    ///   processes, `.badDescriptor` when the frame header disagrees with `expected` or its
    ///   precision does not fit in `Sample`.
    static func decode<Sample: FixedWidthInteger & UnsignedInteger>(
        _ data: [UInt8], expected: (rows: Int, columns: Int, components: Int)?, as: Sample.Type
    ) throws(CodecError) -> Image {
        var result: Result<Image, CodecError> = .failure(CodecError(.corrupt, "JPEG: empty"))
        data.withUnsafeBufferPointer { buf in
            do throws(CodecError) {
                result = .success(try decode(buffer: buf, expected: expected, as: Sample.self))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    static func decode<Sample: FixedWidthInteger & UnsignedInteger>(
        buffer data: UnsafeBufferPointer<UInt8>, expected: (rows: Int, columns: Int, components: Int)?, as: Sample.Type
    ) throws(CodecError) -> Image {
        let n = data.count
        guard n >= 4, data[0] == 0xFF, data[1] == 0xD8 else { throw CodecError(.corrupt, "JPEG: no SOI marker") }
        var pos = 2
        var tables = [JPEGHuffmanDecodingTable?](repeating: nil, count: 4)
        var restartInterval = 0
        var precision = 0, rows = 0, columns = 0
        var components: [JPEGComponent] = []
        var samples: [UInt8] = []
        var scans = 0
        var sawFrame = false

        func be16(_ i: Int) -> Int { Int(data[i]) << 8 | Int(data[i + 1]) }

        while true {
            // Find the next marker; fill bytes (0xFF) may precede it (T.81 §B.1.1.2).
            guard pos + 1 < n else {
                if scans > 0 { break }  // A missing EOI after a complete scan is tolerated.
                throw CodecError(.corrupt, "JPEG: codestream ends before a scan")
            }
            guard data[pos] == 0xFF else { throw CodecError(.corrupt, "JPEG: marker expected at byte \(pos)") }
            var marker = data[pos + 1]
            pos += 2
            while marker == 0xFF, pos < n { marker = data[pos]; pos += 1 }
            if marker == 0xD9 { break }  // EOI
            if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 { continue }  // no length
            guard pos + 1 < n else { throw CodecError(.corrupt, "JPEG: truncated marker segment") }
            let length = be16(pos)
            guard length >= 2, pos + length <= n else { throw CodecError(.corrupt, "JPEG: marker segment length \(length) out of range") }
            let segment = pos + 2
            let segmentEnd = pos + length
            switch marker {
            case 0xC3:  // SOF3: lossless, Huffman (T.81 §B.2.2)
                guard !sawFrame else { throw CodecError(.corrupt, "JPEG: second frame header") }
                guard length >= 8 else { throw CodecError(.corrupt, "JPEG: short SOF3") }
                sawFrame = true
                precision = Int(data[segment])
                rows = be16(segment + 1)
                columns = be16(segment + 3)
                let nf = Int(data[segment + 5])
                guard (2...16).contains(precision) else { throw CodecError(.unsupported, "JPEG: sample precision \(precision)") }
                guard precision <= Sample.bitWidth else {
                    throw CodecError(.badDescriptor, "JPEG precision \(precision) exceeds Bits Allocated \(Sample.bitWidth)")
                }
                guard rows > 0, columns > 0 else { throw CodecError(.unsupported, "JPEG: \(rows)×\(columns) image (DNL not supported)") }
                guard (1...4).contains(nf), length == 8 + 3 * nf else { throw CodecError(.corrupt, "JPEG: \(nf) components in SOF3") }
                if let e = expected, e.rows != rows || e.columns != columns || e.components != nf {
                    throw CodecError(.badDescriptor, "JPEG image is \(columns)×\(rows)×\(nf), the data set says \(e.columns)×\(e.rows)×\(e.components)")
                }
                for c in 0..<nf {
                    let base = segment + 6 + 3 * c
                    let hv = data[base + 1]
                    let comp = JPEGComponent(id: data[base], h: Int(hv >> 4), v: Int(hv & 0x0F))
                    guard comp.h == 1, comp.v == 1 else {
                        throw CodecError(.unsupported, "JPEG lossless: sampling factors \(comp.h)×\(comp.v)")
                    }
                    components.append(comp)
                }
                guard rows * columns * nf <= 1 << 30 else { throw CodecError(.unsupported, "JPEG: image too large") }
                samples = [UInt8](repeating: 0, count: rows * columns * nf * MemoryLayout<Sample>.size)
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
                throw CodecError(.unsupported, String(format: "JPEG: SOF%d is not the lossless process 14", Int(marker - 0xC0)))
            case 0xC4:  // DHT (T.81 §B.2.4.2)
                var p = segment
                while p < segmentEnd {
                    guard p + 17 <= segmentEnd else { throw CodecError(.corrupt, "JPEG: truncated DHT") }
                    let tcth = data[p]
                    let counts = Array(data[(p + 1)..<(p + 17)])
                    let total = counts.reduce(0) { $0 + Int($1) }
                    guard total <= 256, p + 17 + total <= segmentEnd else { throw CodecError(.corrupt, "JPEG: DHT counts out of range") }
                    let values = Array(data[(p + 17)..<(p + 17 + total)])
                    let th = Int(tcth & 0x0F)
                    guard th < 4 else { throw CodecError(.corrupt, "JPEG: Huffman table id \(th)") }
                    if tcth >> 4 == 0 {  // lossless uses the DC tables only
                        tables[th] = try JPEGHuffmanDecodingTable(counts: counts, values: values)
                    }
                    p += 17 + total
                }
            case 0xDD:  // DRI
                guard length == 4 else { throw CodecError(.corrupt, "JPEG: DRI length \(length)") }
                restartInterval = be16(segment)
            case 0xDA:  // SOS (T.81 §B.2.3)
                guard sawFrame else { throw CodecError(.corrupt, "JPEG: scan before the frame header") }
                let ns = Int(data[segment])
                guard ns >= 1, ns <= components.count, length == 6 + 2 * ns else { throw CodecError(.corrupt, "JPEG: SOS with \(ns) components") }
                var scanComponents: [(index: Int, table: JPEGHuffmanDecodingTable)] = []
                for k in 0..<ns {
                    let id = data[segment + 1 + 2 * k]
                    let td = Int(data[segment + 2 + 2 * k] >> 4)
                    guard let index = components.firstIndex(where: { $0.id == id }) else {
                        throw CodecError(.corrupt, "JPEG: scan component \(id) not in the frame")
                    }
                    guard td < 4, let table = tables[td] else { throw CodecError(.corrupt, "JPEG: scan uses undefined Huffman table \(td)") }
                    scanComponents.append((index, table))
                }
                let predictor = Int(data[segment + 1 + 2 * ns])
                let pointTransform = Int(data[segment + 3 + 2 * ns] & 0x0F)
                guard (1...7).contains(predictor) else { throw CodecError(.corrupt, "JPEG: predictor \(predictor)") }
                guard pointTransform < precision else { throw CodecError(.corrupt, "JPEG: point transform \(pointTransform)") }
                pos = segmentEnd
                let scan = Scan(precision: precision, pointTransform: pointTransform, predictor: predictor, rows: rows,
                                columns: columns, stride: components.count, restartInterval: restartInterval)
                let scanStart = pos
                let scanned = samples.withUnsafeMutableBytes { raw in
                    raw.withMemoryRebound(to: Sample.self) { out -> Result<Int, CodecError> in
                        do throws(CodecError) {
                            return .success(try scan.decode(data, from: scanStart, components: scanComponents, into: out))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                pos = try scanned.get()
                scans += 1
                continue
            default:
                break  // APPn, COM, DQT, DNL … skipped
            }
            pos = segmentEnd
        }
        guard sawFrame, scans > 0 else { throw CodecError(.corrupt, "JPEG: no frame or no scan") }
        return Image(precision: precision, rows: rows, columns: columns, components: components.count, bytes: samples)
    }
}

/// One Huffman table as plain pointers, so that the sample loop does no reference counting.
struct HuffmanLookup {
    var fast: UnsafePointer<UInt16>
    /// Index 0...17 (T.81 Figure F.16's MAXCODE; 17 is a sentinel).
    var maxCode: UnsafePointer<Int32>
    var valueOffset: UnsafePointer<Int32>
    var values: UnsafePointer<UInt8>
    var valueCount: Int
}

/// The entropy-coded bits of a scan (T.81 §F.1.2.3): a 64-bit register filled eight bytes at a
/// time when none of them is 0xFF, else a byte at a time removing stuffed zero bytes; at a marker
/// or the end of data zero bits are fed in and counted.
struct JPEGBitReader {
    let data: UnsafePointer<UInt8>
    let n: Int
    var pos: Int
    var buffer: UInt64 = 0
    var count = 0
    /// Zero bits fed in after a marker or the end of data; consuming them means the data was short.
    var fakeBits = 0
    var markerHit = false
    /// A code that is in no table was met (the caller throws at the end of the row).
    var invalidCode = false

    init(_ data: UnsafePointer<UInt8>, count n: Int, at pos: Int) {
        self.data = data
        self.n = n
        self.pos = pos
    }

    @inline(__always) mutating func fill() {
        if !markerHit && pos + 8 <= n {
            let word = UInt64(bigEndian: UnsafeRawPointer(data + pos).loadUnaligned(as: UInt64.self))
            let inverse = ~word
            // No 0xFF byte in the word (no zero byte in its inverse): take as many bytes as fit.
            if (inverse &- 0x0101010101010101) & ~inverse & 0x8080808080808080 == 0 {
                let take = (63 - count) >> 3
                buffer |= (word >> UInt64(64 - 8 * take)) << UInt64(64 - count - 8 * take)
                pos += take
                count += 8 * take
                return
            }
        }
        fillBytes()
    }

    mutating func fillBytes() {
        while count <= 56 {
            var byte: UInt64 = 0
            if !markerHit && pos < n {
                let b = data[pos]
                if b == 0xFF {
                    if pos + 1 < n && data[pos + 1] == 0x00 {
                        byte = 0xFF
                        pos += 2
                    } else {
                        markerHit = true  // pos stays on the marker
                        fakeBits += 8
                    }
                } else {
                    byte = UInt64(b)
                    pos += 1
                }
            } else {
                fakeBits += 8
            }
            buffer |= byte << UInt64(56 - count)
            count += 8
        }
    }

    /// Decodes one difference (T.81 §H.1.2.2, Table H.2): the category's Huffman code, then that
    /// many bits. After a fill at least 57 bits are buffered, enough for a 16-bit code and 15 bits.
    @inline(__always) mutating func difference(_ t: HuffmanLookup) -> Int32 {
        if count < 32 { fill() }
        let entry = Int(t.fast[Int(truncatingIfNeeded: buffer >> UInt64(64 - JPEGHuffmanDecodingTable.lookaheadBits))])
        let category: Int
        if entry != 0 {
            let length = entry >> 8
            category = entry & 0xFF
            buffer <<= UInt64(length)
            count -= length
        } else {
            category = decodeLong(t)
        }
        if category == 0 { return 0 }
        if category >= 16 { return 32768 }  // no extra bits (T.81 §H.1.2.2)
        let bits = Int32(truncatingIfNeeded: buffer >> UInt64(64 - category))
        buffer <<= UInt64(category)
        count -= category
        // EXTEND (T.81 Figure F.12)
        return bits < (Int32(1) << Int32(category - 1)) ? bits - (Int32(1) << Int32(category)) + 1 : bits
    }

    /// Codes longer than the lookahead (T.81 Figure F.16). An invalid code sets `invalidCode`.
    mutating func decodeLong(_ t: HuffmanLookup) -> Int {
        var length = JPEGHuffmanDecodingTable.lookaheadBits + 1
        while length <= 16 {
            let code = Int32(truncatingIfNeeded: buffer >> UInt64(64 - length))
            if code <= t.maxCode[length] {
                let index = Int(t.valueOffset[length] + code)
                guard index >= 0, index < t.valueCount else { break }
                buffer <<= UInt64(length)
                count -= length
                return Int(t.values[index])
            }
            length += 1
        }
        invalidCode = true
        return 0
    }

    /// Throws when an invalid code was met or bits past the end of the entropy-coded data were used.
    func check() throws(CodecError) {
        if invalidCode { throw CodecError(.corrupt, "JPEG: invalid Huffman code") }
        if count < fakeBits { throw CodecError(.corrupt, "JPEG: entropy-coded data truncated") }
    }

    /// At the end of a restart interval: drop the remaining bits and step over RSTn (T.81 §E.2.4, §H.2).
    mutating func restart(_ expected: Int) throws(CodecError) {
        try check()
        buffer = 0
        count = 0
        fakeBits = 0
        if !markerHit {
            while pos + 1 < n, !(data[pos] == 0xFF && data[pos + 1] != 0x00 && data[pos + 1] != 0xFF) { pos += 1 }
        }
        markerHit = false
        guard pos + 1 < n, data[pos] == 0xFF, data[pos + 1] == UInt8(0xD0 + expected) else {
            throw CodecError(.corrupt, "JPEG: RST\(expected) marker missing")
        }
        pos += 2
    }

    /// The position of the marker that ends the scan.
    mutating func markerAfterScan() -> Int {
        if !markerHit {
            while pos + 1 < n, !(data[pos] == 0xFF && data[pos + 1] != 0x00 && data[pos + 1] != 0xFF
                                 && !(0xD0...0xD7).contains(data[pos + 1])) { pos += 1 }
            if pos + 1 >= n { pos = n }
        }
        return pos
    }
}

/// One scan's entropy-coded data and the prediction that undoes it (T.81 §H.1, §H.2).
struct Scan {
    var precision: Int
    var pointTransform: Int
    var predictor: Int
    var rows: Int
    var columns: Int
    /// Samples per pixel in the output (components of the frame).
    var stride: Int
    var restartInterval: Int

    static let combinedBits = 12
    /// Flag of a combined entry that holds the whole difference (low 16 bits, modulo 2^16) and
    /// the bits it takes (bits 16–20).
    static let complete: UInt32 = 1 << 21

    /// Fills the 2^12-entry combined table: for each 12-bit peek, the difference and its total
    /// length when the code and its extra bits fit in 12 bits, else 0 (the general path decodes it).
    static func buildCombined(_ t: JPEGHuffmanDecodingTable, into table: UnsafeMutablePointer<UInt32>) {
        table.initialize(repeating: 0, count: 1 << combinedBits)
        // The canonical codes (T.81 Annex C), as JPEGHuffmanDecodingTable.init assigns them.
        var code = 0
        var k = 0
        for length in 1...min(16, combinedBits) {
            for _ in 0..<Int(t.counts[length - 1]) {
                guard k < t.values.count else { return }
                let category = Int(t.values[k])
                let extraBits = category >= 16 ? 0 : category
                let total = length + extraBits
                if total <= combinedBits {
                    for extra in 0..<(1 << extraBits) {
                        let diff: Int32
                        if category == 0 { diff = 0 }
                        else if category >= 16 { diff = 32768 }
                        else { diff = extra < (1 << (category - 1)) ? Int32(extra) - Int32(1 << category) + 1 : Int32(extra) }
                        let prefix = (code << extraBits | extra) << (combinedBits - total)
                        let entry = complete | UInt32(total) << 16 | UInt32(UInt16(truncatingIfNeeded: diff))
                        for fill in 0..<(1 << (combinedBits - total)) { table[prefix | fill] = entry }
                    }
                }
                code += 1
                k += 1
            }
            code <<= 1
        }
    }

    /// Fills a 2^12-entry table that decodes up to three successive samples with one lookup; the
    /// samples' tables are `sequence[0]`, `[1]`, `[2]` (combined tables of `buildCombined`). Entry:
    /// bits 0–15, 16–31, 32–47 the differences (modulo 2^16; 0 for samples not decoded), bits
    /// 48–55 the bits they take together, bits 56–63 how many samples (0 when the first sample's
    /// code and extra bits do not fit in 12 bits). With an 8-bit image's typical 2–3 bits per
    /// sample, most lookups decode two or three samples: one table load per lookup instead of one
    /// per sample shortens the loop's dependency chain (load, length, shift, load).
    static func buildMulti(_ sequence: [UnsafePointer<UInt32>], into table: UnsafeMutablePointer<UInt64>) {
        let width = combinedBits
        for peek in 0..<(1 << width) {
            var used = 0
            var n = 0
            var entry: UInt64 = 0
            while n < min(3, sequence.count) {
                let window = (peek << used) & ((1 << width) - 1)
                let single = sequence[n][window]
                guard single & complete != 0 else { break }
                let length = Int(single >> 16) & 31
                guard used + length <= width else { break }
                entry |= UInt64(single & 0xFFFF) << UInt64(16 * n)
                used += length
                n += 1
            }
            table[peek] = entry | UInt64(used) << 48 | UInt64(n) << 56
        }
    }

    /// Refills the bit register the caller keeps in locals, through the reader.
    @inline(__always)
    static func refill(_ bits: inout UInt64, _ count: inout Int, _ reader: inout JPEGBitReader) {
        reader.buffer = bits
        reader.count = count
        reader.fill()
        bits = reader.buffer
        count = reader.count
    }

    /// One difference with the bit register in the caller's locals: the combined table when code
    /// and extra bits fit in its 12 bits, else the reader's general path.
    @inline(__always)
    static func nextDifference(_ combined: UnsafePointer<UInt32>, _ table: HuffmanLookup,
                               _ bits: inout UInt64, _ count: inout Int, _ reader: inout JPEGBitReader) -> Int32 {
        if count < 32 { Scan.refill(&bits, &count, &reader) }
        let entry = combined[Int(truncatingIfNeeded: bits &>> UInt64(64 - combinedBits))]
        if entry & complete != 0 {
            let length = Int(truncatingIfNeeded: entry &>> 16) & 31
            bits = bits &<< UInt64(length)
            count = count &- length
            return Int32(truncatingIfNeeded: entry & 0xFFFF)
        }
        reader.buffer = bits
        reader.count = count
        let diff = reader.difference(table)
        bits = reader.buffer
        count = reader.count
        return diff
    }

    /// Decodes the scan starting at `start` (just after SOS) into the components' places in
    /// `out` and returns the position of the marker that follows it.
    func decode<Sample: FixedWidthInteger & UnsignedInteger>(
        _ data: UnsafeBufferPointer<UInt8>, from start: Int,
        components: [(index: Int, table: JPEGHuffmanDecodingTable)],
        into out: UnsafeMutableBufferPointer<Sample>
    ) throws(CodecError) -> Int {
        guard let dataBase = data.baseAddress else { throw CodecError(.corrupt, "JPEG: empty") }
        var reader = JPEGBitReader(dataBase, count: data.count, at: start)
        let ncomp = components.count
        let shift = pointTransform
        // Samples before the point transform have precision - Pt bits (T.81 §H.1.2.1).
        let initialPrediction = Int32(1) << Int32(precision - shift - 1)
        let stride = self.stride
        let columns = self.columns
        let rowStride = columns * stride
        let mask: Int32 = 0xFFFF  // differences and predictions are modulo 2^16 (T.81 §H.1.2.1)
        guard let base = out.baseAddress, out.count >= rows * rowStride else {
            throw CodecError(.badDescriptor, "JPEG: output buffer too small")
        }

        // The tables copied into one block for the scan: per component fast[1024], maxCode[18],
        // valueOffset[18] as 32-bit words, then the values.
        let fastCount = 1 << JPEGHuffmanDecodingTable.lookaheadBits
        let lookups = UnsafeMutablePointer<HuffmanLookup>.allocate(capacity: ncomp)
        let fastBlock = UnsafeMutablePointer<UInt16>.allocate(capacity: ncomp * fastCount)
        let codeBlock = UnsafeMutablePointer<Int32>.allocate(capacity: ncomp * 36)
        let valueBlock = UnsafeMutablePointer<UInt8>.allocate(capacity: ncomp * 256)
        defer {
            lookups.deallocate()
            fastBlock.deallocate()
            codeBlock.deallocate()
            valueBlock.deallocate()
        }
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: ncomp)
        defer { offsets.deallocate() }
        for (k, c) in components.enumerated() {
            let t = c.table
            let fast = fastBlock + k * fastCount
            for i in 0..<fastCount { fast[i] = t.fast[i] }
            let codes = codeBlock + k * 36
            for i in 0..<18 {
                codes[i] = t.maxCode[i]
                codes[18 + i] = t.valueOffset[i]
            }
            let values = valueBlock + k * 256
            for i in 0..<min(t.values.count, 256) { values[i] = t.values[i] }
            lookups[k] = HuffmanLookup(fast: fast, maxCode: codes, valueOffset: codes + 18, values: values,
                                       valueCount: min(t.values.count, 256))
            offsets[k] = c.index
        }
        // A 12-bit lookahead that gives code and extra bits together when both fit (libjpeg-turbo's trick).
        let combined = UnsafeMutablePointer<UInt32>.allocate(capacity: ncomp << Scan.combinedBits)
        defer { combined.deallocate() }
        for (k, c) in components.enumerated() { Scan.buildCombined(c.table, into: combined + (k << Scan.combinedBits)) }
        // For the two hot loops below: up to three samples per lookup, of one component's table
        // (one component) or of the three components' tables in turn (three interleaved).
        let multi = UnsafeMutablePointer<UInt64>.allocate(capacity: 1 << Scan.combinedBits)
        defer { multi.deallocate() }
        if predictor == 1 && restartInterval == 0 && (ncomp == 1 || ncomp == 3) {
            let tables = (0..<3).map { UnsafePointer(combined + ((ncomp == 1 ? 0 : $0) << Scan.combinedBits)) }
            Scan.buildMulti(tables, into: multi)
        }

        var restartsLeft = restartInterval > 0 ? restartInterval : Int.max
        var nextRestart = 0
        // The row being decoded is the first of the image or of a restart interval: its samples
        // are predicted from the left, the first one from 2^(P-Pt-1) (T.81 §H.1.2.1).
        var firstRow = true
        var firstColumn = 0

        for row in 0..<rows {
            let rowBase = row * rowStride
            if !firstRow && restartInterval == 0 {
                // No restarts, not the first row: column 0 is predicted from above, then the predictor.
                for k in 0..<ncomp {
                    let o = base + rowBase + offsets[k]
                    o.pointee = Sample(truncatingIfNeeded: (Int32(o[-rowStride]) + reader.difference(lookups[k])) & mask)
                }
                if ncomp == 1 && predictor == 1 {
                    // The hot loop: the bit register in locals, one lookup for up to three samples.
                    let table = lookups[0]
                    let single = UnsafePointer(combined)
                    let row0 = base + rowBase + offsets[0]
                    var prev = Int32(row0.pointee)
                    var bits = reader.buffer
                    var count = reader.count
                    var col = 1
                    while col + 3 <= columns {
                        if count < 32 { Scan.refill(&bits, &count, &reader) }
                        let entry = multi[Int(truncatingIfNeeded: bits &>> UInt64(64 - Scan.combinedBits))]
                        let n = Int(truncatingIfNeeded: entry &>> 56)
                        if n == 0 {
                            prev = (prev &+ Scan.nextDifference(single, table, &bits, &count, &reader)) & mask
                            row0[col * stride] = Sample(truncatingIfNeeded: prev)
                            col += 1
                            continue
                        }
                        let length = Int(truncatingIfNeeded: entry &>> 48) & 0xFF
                        bits = bits &<< UInt64(length)
                        count = count &- length
                        // Differences past the n-th are 0: all three are written (those past the
                        // n-th are rewritten by the next lookup) and the third is the n-th sample.
                        let s1 = (prev &+ Int32(truncatingIfNeeded: entry & 0xFFFF)) & mask
                        let s2 = (s1 &+ Int32(truncatingIfNeeded: (entry &>> 16) & 0xFFFF)) & mask
                        let s3 = (s2 &+ Int32(truncatingIfNeeded: (entry &>> 32) & 0xFFFF)) & mask
                        let o = row0 + col * stride
                        o[0] = Sample(truncatingIfNeeded: s1)
                        o[stride] = Sample(truncatingIfNeeded: s2)
                        o[2 * stride] = Sample(truncatingIfNeeded: s3)
                        prev = s3
                        col += n
                    }
                    while col < columns {
                        prev = (prev &+ Scan.nextDifference(single, table, &bits, &count, &reader)) & mask
                        row0[col * stride] = Sample(truncatingIfNeeded: prev)
                        col += 1
                    }
                    reader.buffer = bits
                    reader.count = count
                } else if ncomp == 3 && predictor == 1 && stride == 3 && offsets[0] == 0 && offsets[1] == 1 && offsets[2] == 2 {
                    // Three interleaved components in frame order (RGB, YBR): the hot loop unrolled,
                    // each component's running prediction in a register.
                    var bits = reader.buffer
                    var count = reader.count
                    let row0 = base + rowBase
                    var a0 = Int32(row0[0]), a1 = Int32(row0[1]), a2 = Int32(row0[2])
                    let t0 = UnsafePointer(combined), t1 = t0 + (1 << Scan.combinedBits), t2 = t0 + (2 << Scan.combinedBits)
                    let l0 = lookups[0], l1 = lookups[1], l2 = lookups[2]
                    var pixel = row0 + 3
                    let end = row0 + columns * 3
                    while pixel < end {
                        if count < 32 { Scan.refill(&bits, &count, &reader) }
                        // Most pixels: the whole pixel from one lookup; else the rest one by one.
                        let entry = multi[Int(truncatingIfNeeded: bits &>> UInt64(64 - Scan.combinedBits))]
                        let n = Int(truncatingIfNeeded: entry &>> 56)
                        let length = Int(truncatingIfNeeded: entry &>> 48) & 0xFF
                        bits = bits &<< UInt64(length)
                        count = count &- length
                        a0 = (a0 &+ Int32(truncatingIfNeeded: entry & 0xFFFF)) & mask
                        a1 = (a1 &+ Int32(truncatingIfNeeded: (entry &>> 16) & 0xFFFF)) & mask
                        a2 = (a2 &+ Int32(truncatingIfNeeded: (entry &>> 32) & 0xFFFF)) & mask
                        if n < 3 {
                            if n < 1 { a0 = (a0 &+ Scan.nextDifference(t0, l0, &bits, &count, &reader)) & mask }
                            if n < 2 { a1 = (a1 &+ Scan.nextDifference(t1, l1, &bits, &count, &reader)) & mask }
                            a2 = (a2 &+ Scan.nextDifference(t2, l2, &bits, &count, &reader)) & mask
                        }
                        pixel[0] = Sample(truncatingIfNeeded: a0)
                        pixel[1] = Sample(truncatingIfNeeded: a1)
                        pixel[2] = Sample(truncatingIfNeeded: a2)
                        pixel += 3
                    }
                    reader.buffer = bits
                    reader.count = count
                } else if predictor == 1 {
                    // Interleaved components, predictor 1: the same loop, a sample per component per pixel.
                    var bits = reader.buffer
                    var count = reader.count
                    var pixel = base + rowBase + stride
                    let end = base + rowBase + columns * stride
                    while pixel < end {
                        for k in 0..<ncomp {
                            if count < 32 { Scan.refill(&bits, &count, &reader) }
                            let entry = combined[(k << Scan.combinedBits) | Int(truncatingIfNeeded: bits &>> UInt64(64 - Scan.combinedBits))]
                            let diff: Int32
                            if entry & Scan.complete != 0 {
                                let length = Int(truncatingIfNeeded: entry &>> 16) & 31
                                bits = bits &<< UInt64(length)
                                count = count &- length
                                diff = Int32(truncatingIfNeeded: entry & 0xFFFF)
                            } else {
                                reader.buffer = bits
                                reader.count = count
                                diff = reader.difference(lookups[k])
                                bits = reader.buffer
                                count = reader.count
                            }
                            let o = pixel + offsets[k]
                            o.pointee = Sample(truncatingIfNeeded: (Int32(o[-stride]) &+ diff) & mask)
                        }
                        pixel += stride
                    }
                    reader.buffer = bits
                    reader.count = count
                } else {
                    var col = 1
                    while col < columns {
                        let pixel = base + rowBase + col * stride
                        for k in 0..<ncomp {
                            let o = pixel + offsets[k]
                            let ra = Int32(o[-stride])
                            let px: Int32
                            switch predictor {
                            case 1: px = ra
                            case 2: px = Int32(o[-rowStride])
                            case 3: px = Int32(o[-stride - rowStride])
                            case 4: px = ra + Int32(o[-rowStride]) - Int32(o[-stride - rowStride])
                            case 5: px = ra + ((Int32(o[-rowStride]) - Int32(o[-stride - rowStride])) >> 1)
                            case 6: px = Int32(o[-rowStride]) + ((ra - Int32(o[-stride - rowStride])) >> 1)
                            default: px = (ra + Int32(o[-rowStride])) >> 1
                            }
                            // As in the hot loop above: one combined lookup for most samples.
                            if reader.count < 32 { reader.fill() }
                            let entry = combined[(k << Scan.combinedBits)
                                                 | Int(truncatingIfNeeded: reader.buffer &>> UInt64(64 - Scan.combinedBits))]
                            let diff: Int32
                            if entry & Scan.complete != 0 {
                                let length = Int(truncatingIfNeeded: entry &>> 16) & 31
                                reader.buffer = reader.buffer &<< UInt64(length)
                                reader.count = reader.count &- length
                                diff = Int32(truncatingIfNeeded: entry & 0xFFFF)
                            } else {
                                diff = reader.difference(lookups[k])
                            }
                            o.pointee = Sample(truncatingIfNeeded: (px &+ diff) & mask)
                        }
                        col += 1
                    }
                }
                if reader.invalidCode { try reader.check() }
                continue
            }
            // The first row, or restart intervals in use.
            for col in 0..<columns {
                if restartsLeft == 0 {
                    try reader.restart(nextRestart)
                    nextRestart = (nextRestart + 1) & 7
                    restartsLeft = restartInterval
                    firstRow = true
                    firstColumn = col
                }
                let pixel = base + rowBase + col * stride
                for k in 0..<ncomp {
                    let o = pixel + offsets[k]
                    let px: Int32
                    if firstRow {
                        px = col == firstColumn ? initialPrediction : Int32(o[-stride])
                    } else if col == 0 {
                        px = Int32(o[-rowStride])
                    } else {
                        let ra = Int32(o[-stride])
                        let rb = Int32(o[-rowStride])
                        let rc = Int32(o[-stride - rowStride])
                        switch predictor {
                        case 1: px = ra
                        case 2: px = rb
                        case 3: px = rc
                        case 4: px = ra + rb - rc
                        case 5: px = ra + ((rb - rc) >> 1)
                        case 6: px = rb + ((ra - rc) >> 1)
                        default: px = (ra + rb) >> 1
                        }
                    }
                    o.pointee = Sample(truncatingIfNeeded: (px + reader.difference(lookups[k])) & mask)
                }
                restartsLeft -= 1
            }
            if reader.invalidCode { try reader.check() }
            firstRow = false
            firstColumn = 0
        }
        try reader.check()
        // Point transform (T.81 §H.1.2.3): samples are scaled back up.
        if shift > 0 {
            for k in 0..<ncomp {
                var o = offsets[k]
                for _ in 0..<(rows * columns) {
                    base[o] = base[o] << Sample(shift)
                    o += stride
                }
            }
        }
        return reader.markerAfterScan()
    }
}
