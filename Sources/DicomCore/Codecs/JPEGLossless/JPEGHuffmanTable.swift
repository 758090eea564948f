// ITU-T T.81 §C and Annex F.2.2.3 / K.2: Huffman tables of the lossless process (process 14).

/// A decoding table built from a DHT segment's BITS and HUFFVAL lists (T.81 Annex C).
///
/// Codes of up to `lookaheadBits` bits are found with one lookup in `fast` (an entry holds the
/// code length in the high byte and the symbol in the low byte, 0 when the code is longer);
/// longer codes go through `maxCode`/`valueOffset` (T.81 Figure F.16).
struct JPEGHuffmanDecodingTable: Sendable {
    static let lookaheadBits = 10
    var fast: [UInt16]
    /// maxCode[l]: largest code of length l, -1 when there is none (index 1...16; 17 is a sentinel).
    var maxCode: [Int32]
    /// valueOffset[l]: index in `values` of the first code of length l minus that code.
    var valueOffset: [Int32]
    var values: [UInt8]
    /// The DHT's 16 counts (codes of each length).
    var counts: [UInt8]

    /// - Throws: `.corrupt` when the counts describe more codes than fit (T.81 §C).
    init(counts: [UInt8], values: [UInt8]) throws(CodecError) {
        precondition(counts.count == 16)
        self.values = values
        self.counts = counts
        fast = [UInt16](repeating: 0, count: 1 << Self.lookaheadBits)
        maxCode = [Int32](repeating: -1, count: 18)
        valueOffset = [Int32](repeating: 0, count: 18)
        var code: Int32 = 0
        var k = 0
        for length in 1...16 {
            let n = Int(counts[length - 1])
            if n > 0 {
                valueOffset[length] = Int32(k) - code
                for _ in 0..<n {
                    guard k < values.count else { throw CodecError(.corrupt, "JPEG: Huffman table counts exceed its values") }
                    // More codes of this length than fit in its bits (T.81 §C; FuzzJPEGLossless found
                    // a DHT with 7 codes of 1 bit, which overran the lookahead table).
                    guard code < (Int32(1) << length) else { throw CodecError(.corrupt, "JPEG: Huffman table is over-subscribed") }
                    if length <= Self.lookaheadBits {
                        let shift = Self.lookaheadBits - length
                        let base = Int(code) << shift
                        let entry = UInt16(length) << 8 | UInt16(values[k])
                        for j in 0..<(1 << shift) { fast[base + j] = entry }
                    }
                    code += 1
                    k += 1
                }
                maxCode[length] = code - 1
            }
            // A code of all ones is reserved (T.81 §C): every length's codes must fit below 2^length.
            guard code <= (Int32(1) << length) else { throw CodecError(.corrupt, "JPEG: Huffman table is over-subscribed") }
            code <<= 1
        }
        maxCode[17] = Int32.max
    }
}

/// An encoding table: code and length per symbol (T.81 Annex C), symbols 0...16 for lossless.
struct JPEGHuffmanEncodingTable: Sendable {
    var code = [UInt32](repeating: 0, count: 17)
    var length = [UInt8](repeating: 0, count: 17)
    /// The DHT segment's 16 counts and the symbols in code order.
    var counts = [UInt8](repeating: 0, count: 16)
    var symbols: [UInt8] = []

    /// The optimal table for `frequencies` of the difference categories 0...16 (T.81 §K.2,
    /// Figures K.1–K.3), code lengths limited to 16 bits.
    init(frequencies: [Int]) {
        // 17 categories plus the reserved symbol 256 (here index 17) that keeps the all-ones code unused.
        var freq = frequencies.map { Int64($0) } + [1]
        if !freq[0..<17].contains(where: { $0 > 0 }) { freq[0] = 1 }
        let n = freq.count
        var codeSize = [Int](repeating: 0, count: n)
        var others = [Int](repeating: -1, count: n)
        while true {
            // V1: least frequency (>0), V2: next least; ties go to the larger index (K.2).
            var v1 = -1, v2 = -1
            var f1 = Int64.max, f2 = Int64.max
            for i in 0..<n where freq[i] > 0 {
                if freq[i] <= f1 { f2 = f1; v2 = v1; f1 = freq[i]; v1 = i }
                else if freq[i] <= f2 { f2 = freq[i]; v2 = i }
            }
            if v2 < 0 { break }
            freq[v1] += freq[v2]
            freq[v2] = 0
            codeSize[v1] += 1
            var c = v1
            while others[c] >= 0 { c = others[c]; codeSize[c] += 1 }
            others[c] = v2
            codeSize[v2] += 1
            c = v2
            while others[c] >= 0 { c = others[c]; codeSize[c] += 1 }
        }
        var bits = [Int](repeating: 0, count: 64)
        for i in 0..<n where codeSize[i] > 0 { bits[codeSize[i]] += 1 }
        // Figure K.3: limit code lengths to 16.
        var i = 63
        while i > 16 {
            while bits[i] > 0 {
                var j = i - 2
                while bits[j] == 0 { j -= 1 }
                bits[i] -= 2
                bits[i - 1] += 1
                bits[j + 1] += 2
                bits[j] -= 1
            }
            i -= 1
        }
        // Remove the reserved symbol's code (the longest one).
        i = 16
        while bits[i] == 0 { i -= 1 }
        bits[i] -= 1
        // Figure K.4: symbols sorted by code size, then by value.
        var sorted: [UInt8] = []
        for size in 1...32 {
            for s in 0..<17 where codeSize[s] == size { sorted.append(UInt8(s)) }
        }
        for l in 1...16 { counts[l - 1] = UInt8(bits[l]) }
        symbols = sorted
        assign()
    }

    /// Codes from `counts` and `symbols` (T.81 Annex C.2).
    private mutating func assign() {
        var code: UInt32 = 0
        var k = 0
        for l in 1...16 {
            for _ in 0..<Int(counts[l - 1]) {
                let s = Int(symbols[k])
                self.code[s] = code
                self.length[s] = UInt8(l)
                code += 1
                k += 1
            }
            code <<= 1
        }
    }
}
