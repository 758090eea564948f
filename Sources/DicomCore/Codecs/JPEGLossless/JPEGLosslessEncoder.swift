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
    ///   - restartInterval: MCUs per restart interval, 0 for none (a multiple of the columns).
    /// - Returns: SOI … EOI.
    static func encode(samples: [UInt16], rows: Int, columns: Int, components: Int, precision: Int,
                       predictor: Int = 1, pointTransform: Int = 0, restartInterval: Int = 0) -> [UInt8] {
        precondition((2...16).contains(precision) && (1...4).contains(components) && samples.count >= rows * columns * components)
        precondition((1...7).contains(predictor) && pointTransform < precision && restartInterval >= 0)
        let count = rows * columns * components
        // Pass 1: differences and their categories (T.81 §H.1.2.2, Table H.2).
        var differences = [Int32](repeating: 0, count: count)
        var frequencies = [Int](repeating: 0, count: 17)
        let initial = Int32(1) << Int32(precision - pointTransform - 1)
        let shifted = pointTransform == 0 ? samples : samples.map { $0 >> UInt16(pointTransform) }
        // Restart intervals start on row boundaries here: the first row of each is coded like the image's first row.
        let rowsPerInterval = restartInterval > 0 ? max(1, restartInterval / max(columns, 1)) : Int.max
        shifted.withUnsafeBufferPointer { s in
            differences.withUnsafeMutableBufferPointer { d in
                let rowStride = columns * components
                for row in 0..<rows {
                    let rowBase = row * rowStride
                    for col in 0..<columns {
                        for k in 0..<components {
                            let o = rowBase + col * components + k
                            let px: Int32
                            if row % rowsPerInterval == 0 {
                                px = col == 0 ? initial : Int32(s[o - components])
                            } else if col == 0 {
                                px = Int32(s[o - rowStride])
                            } else {
                                let ra = Int32(s[o - components]), rb = Int32(s[o - rowStride])
                                let rc = Int32(s[o - components - rowStride])
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
                            var diff = (Int32(s[o]) - px) & 0xFFFF
                            if diff >= 0x8000 { diff -= 0x10000 }
                            d[o] = diff
                            let magnitude = UInt32(diff < 0 ? -diff : diff)
                            frequencies[magnitude == 0 ? 0 : 32 - magnitude.leadingZeroBitCount] += 1
                        }
                    }
                }
            }
        }
        let table = JPEGHuffmanEncodingTable(frequencies: frequencies)

        var out: [UInt8] = []
        out.reserveCapacity(count * 2 + 1024)
        func put16(_ v: Int) { out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xFF)) }
        out += [0xFF, 0xD8]
        // SOF3 (T.81 §B.2.2): precision, lines, samples per line, components (id k+1, 1×1, Tq 0).
        out += [0xFF, 0xC3]
        put16(8 + 3 * components)
        out.append(UInt8(precision))
        put16(rows)
        put16(columns)
        out.append(UInt8(components))
        for k in 0..<components { out += [UInt8(k + 1), 0x11, 0x00] }
        // DHT (T.81 §B.2.4.2): DC table 0.
        if restartInterval > 0 {
            let interval = rowsPerInterval * columns
            out += [0xFF, 0xDD]
            put16(4)
            put16(interval)
        }
        out += [0xFF, 0xC4]
        put16(2 + 1 + 16 + table.symbols.count)
        out.append(0x00)
        out += table.counts
        out += table.symbols
        // SOS (T.81 §B.2.3): all components, table 0; Ss = predictor 1, Se = 0, Ah = 0, Al = Pt = 0.
        out += [0xFF, 0xDA]
        put16(6 + 2 * components)
        out.append(UInt8(components))
        for k in 0..<components { out += [UInt8(k + 1), 0x00] }
        out += [UInt8(predictor), 0x00, UInt8(pointTransform)]

        // Pass 2: the entropy-coded data, 0xFF followed by a stuffed 0x00 (T.81 §F.1.2.3).
        var accumulator: UInt64 = 0
        var bits = 0
        @inline(__always) func flushBytes() {
            while bits >= 8 {
                let byte = UInt8(truncatingIfNeeded: accumulator >> UInt64(bits - 8))
                out.append(byte)
                if byte == 0xFF { out.append(0x00) }
                bits -= 8
            }
            accumulator &= (UInt64(1) << UInt64(bits)) - 1
        }
        differences.withUnsafeBufferPointer { d in
            table.code.withUnsafeBufferPointer { codes in
                table.length.withUnsafeBufferPointer { lengths in
                    let samplesPerInterval = rowsPerInterval == Int.max ? Int.max : rowsPerInterval * columns * components
                    var nextRestart = 0
                    for i in 0..<count {
                        if i > 0 && i % samplesPerInterval == 0 {
                            // RSTn after the interval's bits, padded with ones (T.81 §F.1.2.3, §E.1.4).
                            if bits % 8 != 0 {
                                let pad = 8 - bits % 8
                                accumulator = accumulator << UInt64(pad) | ((1 << UInt64(pad)) - 1)
                                bits += pad
                            }
                            flushBytes()
                            out += [0xFF, UInt8(0xD0 + nextRestart)]
                            nextRestart = (nextRestart + 1) & 7
                        }
                        let diff = d[i]
                        let magnitude = UInt32(diff < 0 ? -diff : diff)
                        let category = magnitude == 0 ? 0 : 32 - magnitude.leadingZeroBitCount
                        let length = Int(lengths[category])
                        accumulator = accumulator << UInt64(length) | UInt64(codes[category])
                        bits += length
                        if category > 0 && category < 16 {
                            let extra = diff < 0 ? UInt32(bitPattern: diff - 1) & ((1 << UInt32(category)) - 1) : UInt32(diff)
                            accumulator = accumulator << UInt64(category) | UInt64(extra)
                            bits += category
                        }
                        if bits >= 32 { flushBytes() }
                    }
                }
            }
        }
        // Pad the last byte with one bits (T.81 §F.1.2.3).
        if bits % 8 != 0 {
            let pad = 8 - bits % 8
            accumulator = accumulator << UInt64(pad) | ((1 << UInt64(pad)) - 1)
            bits += pad
        }
        flushBytes()
        out += [0xFF, 0xD9]
        return out
    }
}
