// PS3.3 §C.11.1.1 (Modality LUT), §C.11.2.1.1 (VOI LUT) and §C.7.6.3.1.5–6 (Palette Color LUTs):
// a LUT Descriptor (number of entries, 0 meaning 65536; first stored value mapped; bits per
// entry) and the LUT Data.

/// A lookup table read from a data set: input values below the first mapped value give the first
/// entry, values past the last entry give the last (PS3.3 §C.11.1.1).
public struct LookupTable: Sendable, Equatable {
    public var entries: [UInt16]
    public var firstMapped: Int
    /// Bits per entry: the descriptor's third value, raised when an entry needs more.
    public var bits: Int

    public init(entries: [UInt16], firstMapped: Int, bits: Int) {
        precondition(!entries.isEmpty, "a LUT has at least one entry")
        self.entries = entries
        self.firstMapped = firstMapped
        self.bits = bits
    }

    /// The entry for input `x`.
    @inline(__always)
    public func value(_ x: Int) -> UInt16 {
        let i = x - firstMapped
        if i <= 0 { return entries[0] }
        if i >= entries.count { return entries[entries.count - 1] }
        return entries[i]
    }

    /// The largest value an entry may hold: 2^bits − 1.
    var maxValue: Double { Double((1 << bits) - 1) }

    /// The descriptor of `tag`: (entries, first mapped, bits). The first mapped value is signed when
    /// the element's VR is SS, or, when the VR does not say (OW, US from an implicit VR reader), when
    /// `signedInput` (PS3.3 §C.11.1.1: "depending on Pixel Representation").
    static func descriptor(_ tag: Tag, in dataSet: DataSet, signedInput: Bool) -> (entries: Int, first: Int, bits: Int)? {
        guard let words = dataSet.uint16s(tag), words.count >= 3 else { return nil }
        let entries = words[0] == 0 ? 65536 : Int(words[0])
        let signedFirst = dataSet[tag]?.vr == .SS || (dataSet[tag]?.vr != .US && signedInput)
        let first = signedFirst ? Int(Int16(bitPattern: words[1])) : Int(words[1])
        return (entries, first, Int(words[2]))
    }

    /// A Modality or VOI LUT Sequence item: LUT Descriptor (0028,3002) and LUT Data (0028,3006),
    /// one 16-bit word per entry.
    /// - Throws: `CodecError.badDescriptor` when the descriptor or the data is missing or too short.
    static func read(item: DataSet, signedInput: Bool) throws(CodecError) -> LookupTable {
        guard let (count, first, bits) = descriptor(.lutDescriptor, in: item, signedInput: signedInput),
              (1...16).contains(bits) else {
            throw CodecError(.badDescriptor, "LUT Descriptor (0028,3002) missing or invalid")
        }
        guard let data = item.uint16s(.lutData), data.count >= count else {
            throw CodecError(.badDescriptor, "LUT Data (0028,3006) missing or shorter than its descriptor's \(count) entries")
        }
        return LookupTable(entries: Array(data[0..<count]), firstMapped: first, bits: bits).fittingBits()
    }

    /// One of the Red, Green or Blue Palette Color Lookup Tables (PS3.3 §C.7.6.3.1.5–6): 8-bit
    /// entries one per byte (some writers put them one per 16-bit word), or 16-bit entries; or
    /// a Segmented Palette Color LUT (PS3.3 §C.7.9.2).
    /// - Throws: `CodecError` when the palette is missing or malformed.
    static func palette(descriptor: Tag, data: Tag, segmented: Tag, in dataSet: DataSet, signedInput: Bool) throws(CodecError) -> LookupTable {
        guard let (count, first, bits) = LookupTable.descriptor(descriptor, in: dataSet, signedInput: signedInput),
              bits == 8 || bits == 16 else {
            throw CodecError(.badDescriptor, "Palette Color LUT Descriptor \(descriptor) missing or not 8 or 16 bits")
        }
        if let bytes = dataSet[data]?.bytes, !bytes.isEmpty {
            if bits == 16 || bytes.count >= 2 * count {
                guard let words = dataSet.uint16s(data), words.count >= count else {
                    throw CodecError(.badDescriptor, "Palette Color LUT Data \(data) shorter than \(count) entries")
                }
                var entries = Array(words[0..<count])
                // 8-bit entries written one per word: the value is in the low byte, or in the high byte.
                if bits == 8, entries.contains(where: { $0 > 255 }) { entries = entries.map { $0 >> 8 } }
                return LookupTable(entries: entries, firstMapped: first, bits: bits)
            }
            guard bytes.count >= count else {
                throw CodecError(.badDescriptor, "Palette Color LUT Data \(data) shorter than \(count) entries")
            }
            return LookupTable(entries: bytes[0..<count].map { UInt16($0) }, firstMapped: first, bits: 8)
        }
        if let words = dataSet.uint16s(segmented), !words.isEmpty {
            let entries = try expandSegments(words, bits: bits)
            guard entries.count >= count else {
                throw CodecError(.badDescriptor, "Segmented palette \(segmented) expands to \(entries.count) of \(count) entries")
            }
            return LookupTable(entries: Array(entries[0..<count]), firstMapped: first, bits: bits)
        }
        throw CodecError(.badDescriptor, "Palette Color LUT Data \(data) missing")
    }

    /// Expands a Segmented Palette Color LUT, PS3.3 §C.7.9.2: discrete (opcode 0), linear (1) and
    /// indirect (2) segments.
    static func expandSegments(_ words: [UInt16], bits: Int) throws(CodecError) -> [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(65536)
        try expand(words, from: 0, segments: Int.max, into: &out, depth: 0)
        return out
    }

    private static func expand(_ words: [UInt16], from start: Int, segments: Int, into out: inout [UInt16], depth: Int) throws(CodecError) {
        guard depth < 4 else { throw CodecError(.badDescriptor, "segmented palette: indirect segments nest too deep") }
        var i = start
        var done = 0
        while i + 1 < words.count, done < segments {
            let opcode = words[i], length = Int(words[i + 1])
            switch opcode {
            case 0:  // §C.7.9.2.1 discrete: `length` values follow
                guard i + 2 + length <= words.count else { throw CodecError(.badDescriptor, "segmented palette: truncated discrete segment") }
                out.append(contentsOf: words[(i + 2)..<(i + 2 + length)])
                i += 2 + length
            case 1:  // §C.7.9.2.2 linear: `length` values from the previous last value to the given one
                guard let y0 = out.last, i + 2 < words.count else {
                    throw CodecError(.badDescriptor, "segmented palette: linear segment without a start value")
                }
                let y1 = Double(words[i + 2]), start = Double(y0)
                for k in 1...max(length, 1) where length > 0 {
                    out.append(UInt16((start + (y1 - start) * Double(k) / Double(length)).rounded()))
                }
                i += 3
            case 2:  // §C.7.9.2.3 indirect: copy `length` segments found at a byte offset
                guard !out.isEmpty, i + 3 < words.count else {
                    throw CodecError(.badDescriptor, "segmented palette: bad indirect segment")
                }
                let byteOffset = Int(words[i + 2]) | Int(words[i + 3]) << 16
                try expand(words, from: byteOffset / 2, segments: length, into: &out, depth: depth + 1)
                i += 4
            default:
                throw CodecError(.badDescriptor, "segmented palette: unknown opcode \(opcode)")
            }
            guard out.count <= 65536 else { throw CodecError(.badDescriptor, "segmented palette longer than 65536 entries") }
            done += 1
        }
    }

    /// Raises `bits` when an entry does not fit the descriptor's bit count (a common writer error).
    func fittingBits() -> LookupTable {
        var copy = self
        let largest = entries.max() ?? 0
        while copy.bits < 16 && Int(largest) > (1 << copy.bits) - 1 { copy.bits += 1 }
        return copy
    }
}
