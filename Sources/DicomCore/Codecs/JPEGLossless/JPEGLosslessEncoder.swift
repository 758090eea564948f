// ITU-T T.81 Annex H: lossless encoding, selection value 1 (first-order prediction), point
// transform 0, one interleaved scan, one Huffman table optimised for the image (T.81 §K.2).
// Every stream it writes is valid for both 1.2.840.10008.1.2.4.57 and 1.2.840.10008.1.2.4.70.

/// Encodes samples as a JPEG lossless (SOF3) codestream.
enum JPEGLosslessEncoder {
    /// - Parameters:
    ///   - samples: colour-by-pixel samples (each below 2^precision).
    ///   - precision: 2...16 bits (T.81 §B.2.2).
    ///   - predictor: selection value 1...7 (Table H.1); the codec uses 1, tests the others.
    ///   - pointTransform: Pt (T.81 §H.1.2.3); samples are coded shifted right by it (lossy unless 0).
    ///   - restartInterval: MCUs per restart interval, 0 for none (rounded to whole rows).
    /// - Returns: SOI … EOI.
    static func encode(samples: [UInt16], rows: Int, columns: Int, components: Int, precision: Int,
                       predictor: Int = 1, pointTransform: Int = 0, restartInterval: Int = 0) -> [UInt8] {
        precondition((2...16).contains(precision) && (1...4).contains(components) && samples.count >= rows * columns * components)
        precondition((1...7).contains(predictor) && pointTransform < precision && restartInterval >= 0)
        let count = rows * columns * components
        let rowStride = columns * components
        // Restart intervals start on row boundaries here: the first row of each is coded like the image's first row.
        let rowsPerInterval = restartInterval > 0 ? max(1, restartInterval / max(columns, 1)) : Int.max
        let initial = Int32(1) << Int32(precision - pointTransform - 1)

        // Pass 1: differences (T.81 §H.1.2.1) and the frequencies of their categories (Table H.2).
        let differences = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
        defer { differences.deallocate() }
        let frequencies = UnsafeMutablePointer<Int>.allocate(capacity: 17)
        defer { frequencies.deallocate() }
        frequencies.initialize(repeating: 0, count: 17)
        let shifted = pointTransform == 0 ? samples : samples.map { $0 >> UInt16(pointTransform) }
        shifted.withUnsafeBufferPointer { buffer in
            guard let s = buffer.baseAddress else { return }
            for row in 0..<rows {
                let rowBase = row * rowStride
                let first = row % rowsPerInterval == 0
                for col in 0..<columns {
                    for k in 0..<components {
                        let o = rowBase + col * components + k
                        let px: Int32
                        if first {
                            px = col == 0 ? initial : Int32(s[o - components])
                        } else if col == 0 {
                            px = Int32(s[o - rowStride])
                        } else if predictor == 1 {
                            px = Int32(s[o - components])
                        } else {
                            let ra = Int32(s[o - components]), rb = Int32(s[o - rowStride])
                            let rc = Int32(s[o - components - rowStride])
                            switch predictor {
                            case 2: px = rb
                            case 3: px = rc
                            case 4: px = ra + rb - rc
                            case 5: px = ra + ((rb - rc) >> 1)
                            case 6: px = rb + ((ra - rc) >> 1)
                            default: px = (ra + rb) >> 1
                            }
                        }
                        var diff = (Int32(s[o]) - px) & 0xFFFF
                        if diff >= 0x8000 { diff -= 0x10000 }
                        differences[o] = diff
                        let magnitude = UInt32(diff < 0 ? -diff : diff)
                        frequencies[32 - magnitude.leadingZeroBitCount] += 1
                    }
                }
            }
        }
        let table = JPEGHuffmanEncodingTable(frequencies: Array(UnsafeBufferPointer(start: frequencies, count: 17)))

        var header: [UInt8] = []
        func put16(_ v: Int) { header.append(UInt8(v >> 8)); header.append(UInt8(v & 0xFF)) }
        header += [0xFF, 0xD8]
        // SOF3 (T.81 §B.2.2): precision, lines, samples per line, components (id k+1, 1×1, Tq 0).
        header += [0xFF, 0xC3]
        put16(8 + 3 * components)
        header.append(UInt8(precision))
        put16(rows)
        put16(columns)
        header.append(UInt8(components))
        for k in 0..<components { header += [UInt8(k + 1), 0x11, 0x00] }
        if restartInterval > 0 {
            header += [0xFF, 0xDD]  // DRI (T.81 §B.2.4.4)
            put16(4)
            put16(rowsPerInterval * columns)
        }
        // DHT (T.81 §B.2.4.2): DC table 0.
        header += [0xFF, 0xC4]
        put16(2 + 1 + 16 + table.symbols.count)
        header.append(0x00)
        header += table.counts
        header += table.symbols
        // SOS (T.81 §B.2.3): all components, table 0; Ss = predictor, Se = 0, Ah = 0, Al = Pt.
        header += [0xFF, 0xDA]
        put16(6 + 2 * components)
        header.append(UInt8(components))
        for k in 0..<components { header += [UInt8(k + 1), 0x00] }
        header += [UInt8(predictor), 0x00, UInt8(pointTransform)]

        // Pass 2: the entropy-coded data (T.81 §F.1.2.3: 0xFF is followed by a stuffed 0x00).
        // Codes and extra bits of a sample are at most 31 bits, 8 bytes once stuffed.
        var writer = JPEGBitWriter(capacity: header.count + rowStride * 8 * min(rows, 64) + 64)
        for b in header { writer.byte(b) }
        // Per category: code << category, and code length + category, so one shift adds both.
        var codes = [UInt64](repeating: 0, count: 17)
        var lengths = [Int](repeating: 0, count: 17)
        for c in 0...16 {
            codes[c] = UInt64(table.code[c]) << UInt64(c < 16 ? c : 0)
            lengths[c] = Int(table.length[c]) + (c < 16 ? c : 0)
        }
        var nextRestart = 0
        codes.withUnsafeBufferPointer { codeBuffer in
            lengths.withUnsafeBufferPointer { lengthBuffer in
                guard let code = codeBuffer.baseAddress, let length = lengthBuffer.baseAddress else { return }
                for row in 0..<rows {
                    if row > 0 && row % rowsPerInterval == 0 {
                        writer.padToByte()
                        writer.byte(0xFF)
                        writer.byte(UInt8(0xD0 + nextRestart))  // RSTn (T.81 §E.1.4)
                        nextRestart = (nextRestart + 1) & 7
                    }
                    writer.reserve(rowStride * 8 + 16)
                    var i = row * rowStride
                    let end = i + rowStride
                    while i < end {
                        let diff = differences[i]
                        let magnitude = UInt32(diff < 0 ? -diff : diff)
                        let category = 32 - magnitude.leadingZeroBitCount
                        // Extra bits: the low `category` bits of diff, or of diff - 1 when negative (T.81 §F.1.2.1.1).
                        let extra = UInt64(UInt32(bitPattern: diff < 0 ? diff - 1 : diff)) & ((UInt64(1) << UInt64(category & 15)) - 1)
                        writer.put(code[category] | extra, length[category])
                        i += 1
                    }
                }
            }
        }
        writer.padToByte()
        writer.byte(0xFF)
        writer.byte(0xD9)
        return writer.bytes()
    }
}

/// Bits to bytes for the entropy coder, into memory it owns (no reference counting per sample).
struct JPEGBitWriter {
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var n = 0
    private var accumulator: UInt64 = 0
    private var bits = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
    }

    /// Room for `more` bytes.
    mutating func reserve(_ more: Int) {
        guard n + more > capacity else { return }
        let grown = max(capacity * 2, n + more)
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        new.update(from: buffer, count: n)
        buffer.deallocate()
        buffer = new
        capacity = grown
    }

    /// A byte as is (markers and headers; only when no bits are pending).
    mutating func byte(_ b: UInt8) {
        reserve(1)
        buffer[n] = b
        n += 1
    }

    /// `length` (at most 31) bits of `value`, most significant first; 0xFF gets a stuffed 0x00.
    @inline(__always) mutating func put(_ value: UInt64, _ length: Int) {
        accumulator = accumulator << UInt64(length) | value
        bits += length
        if bits >= 32 {
            while bits >= 8 {
                bits -= 8
                let b = UInt8(truncatingIfNeeded: accumulator >> UInt64(bits))
                buffer[n] = b
                n += 1
                if b == 0xFF {
                    buffer[n] = 0
                    n += 1
                }
            }
        }
    }

    /// Flushes the pending bits, the last byte padded with ones (T.81 §F.1.2.3).
    mutating func padToByte() {
        reserve(16)
        if bits % 8 != 0 { put((UInt64(1) << UInt64(8 - bits % 8)) - 1, 8 - bits % 8) }
        while bits >= 8 {
            bits -= 8
            let b = UInt8(truncatingIfNeeded: accumulator >> UInt64(bits))
            buffer[n] = b
            n += 1
            if b == 0xFF {
                buffer[n] = 0
                n += 1
            }
        }
        accumulator = 0
    }

    /// The bytes written; the writer's memory is released (the writer is used up).
    consuming func bytes() -> [UInt8] {
        let out = Array(UnsafeBufferPointer(start: buffer, count: n))
        buffer.deallocate()
        return out
    }
}
