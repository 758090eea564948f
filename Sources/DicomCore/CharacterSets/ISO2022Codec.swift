/// Reads and writes text through the graphic character sets of (0008,0005) with ISO/IEC 2022
/// escape sequences (PS3.5 §6.1.2.5, PS3.3 §C.12.1.1.2, examples in PS3.5 Annexes H, I, K).
///
/// The single-byte terms without code extensions (ISO_IR 100 …) use it too: they simply never
/// switch sets.
struct ISO2022Codec: Hashable, Sendable {
    /// The G0 set in force at the start of a value and after each delimiter (value 1's, PS3.5 §6.1.2.5.3).
    let initialG0: GraphicCharacterSet
    /// The G1 set in force at the start of a value and after each delimiter; nil when value 1 has none.
    let initialG1: GraphicCharacterSet?
    /// Every set the terms make available, in the order of the terms: the encoder uses the first
    /// that can represent a character.
    let sets: [GraphicCharacterSet]
    /// Whether escape sequences may be written (an "ISO 2022" term or several values).
    let usesCodeExtensions: Bool

    /// - Parameter terms: the known terms in the order of (0008,0005); the first is value 1.
    init(terms: [DefinedTerm], codeExtensions: Bool) {
        var sets: [GraphicCharacterSet] = []
        for term in terms {
            guard case .graphicSets(let g0, let g1) = term.kind else { continue }
            for set in [g0, g1].compactMap({ $0 }) where !sets.contains(set) { sets.append(set) }
        }
        var initialG0 = GraphicCharacterSet.ascii
        var initialG1: GraphicCharacterSet?
        if case .graphicSets(let g0, let g1)? = terms.first?.kind {
            if let g0, !g0.isDoubleByte { initialG0 = g0 }
            initialG1 = g1
        }
        if !sets.contains(where: { !$0.isG1 && !$0.isDoubleByte }) { sets.insert(.ascii, at: 0) }
        self.initialG0 = initialG0
        self.initialG1 = initialG1
        self.sets = sets
        self.usesCodeExtensions = codeExtensions
    }

    /// The G1 set for bytes 0x80–0xFF met while no G1 set is designated: the first G1 set the
    /// terms name, else nil (such bytes are then read as ISO 8859-1).
    private var fallbackG1: GraphicCharacterSet? { sets.first(where: \.isG1) }

    /// Whether `byte` ends a value or component, after which value 1's sets are in force again:
    /// control characters (CR, LF, FF, TAB …), "\" between values, and "^" and "=" in PN
    /// (PS3.5 §6.1.2.5.3).
    @inline(__always)
    static func isDelimiter(_ byte: UInt32, vr: VR) -> Bool {
        if byte < 0x20 || byte == 0x7F { return true }
        if byte == 0x5C { return vr.allowsMultipleValues }
        if byte == 0x5E || byte == 0x3D { return vr == .PN }
        return false
    }

    /// Decodes a value field, leniently: unknown escape sequences are kept as text, bytes that
    /// no designated set maps become U+FFFD.
    func decode(_ bytes: [UInt8], vr: VR) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        var g0 = initialG0, g1 = initialG1
        var i = 0
        let n = bytes.count
        @inline(__always) func append(_ scalar: UInt32) {
            guard let s = Unicode.Scalar(scalar), scalar != CodeTable.unmapped else {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])   // U+FFFD
                return
            }
            if scalar < 0x80 { out.append(UInt8(scalar)) } else if let encoded = UTF8.encode(s) { out.append(contentsOf: encoded) }
        }
        while i < n {
            let b = bytes[i]
            if b == 0x1B, let (set, length) = GraphicCharacterSet.designated(by: bytes, at: i) {
                if set.isG1 { g1 = set } else { g0 = set }
                i += length
                continue
            }
            if b < 0x80 {
                if g0.isDoubleByte, (0x21...0x7E).contains(b) {
                    if i + 1 < n, (0x21...0x7E).contains(bytes[i + 1]), let table = g0.table {
                        append(table.scalars[Int(b - 0x21) * 94 + Int(bytes[i + 1] - 0x21)])
                        i += 2
                    } else {
                        append(CodeTable.unmapped)
                        i += 1
                    }
                    continue
                }
                out.append(b)
                if ISO2022Codec.isDelimiter(UInt32(b), vr: vr), b != 0x1B {
                    g0 = initialG0
                    g1 = initialG1
                }
                i += 1
                continue
            }
            guard let set = g1 ?? fallbackG1, let table = set.table else {
                append(UInt32(b))   // no G1 set at all: read as ISO 8859-1
                i += 1
                continue
            }
            if set.isDoubleByte {
                if (0xA1...0xFE).contains(b), i + 1 < n, (0xA1...0xFE).contains(bytes[i + 1]) {
                    append(table.scalars[Int(b - 0xA1) * 94 + Int(bytes[i + 1] - 0xA1)])
                    i += 2
                } else {
                    append(CodeTable.unmapped)
                    i += 1
                }
                continue
            }
            append(table.scalars[Int(b)])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes a value field. Each character is written in the first set (in the order of the
    /// terms) that has it, with an escape sequence when that set is not the one in force;
    /// value 1's G0 set is restored before every delimiter and at the end (PS3.5 §6.1.2.5.3).
    /// - Throws: `CharacterSetError.unencodable` when no set has a character.
    func encode(_ string: String, vr: VR, terms: [String]) throws(CharacterSetError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count + 8)
        var g0 = initialG0, g1 = initialG1
        for scalar in string.unicodeScalars {
            let v = scalar.value
            if v < 0x80, ISO2022Codec.isDelimiter(v, vr: vr) {
                if g0 != initialG0 { out.append(contentsOf: initialG0.escapeSequence) }
                out.append(UInt8(v))
                g0 = initialG0
                g1 = initialG1
                continue
            }
            guard let (set, code) = firstEncoding(of: v) else {
                throw .unencodable(string: string, characterSet: terms)
            }
            if set.isG1 {
                if g1 != set {
                    guard usesCodeExtensions else { throw .unencodable(string: string, characterSet: terms) }
                    out.append(contentsOf: set.escapeSequence)
                    g1 = set
                }
            } else if g0 != set {
                guard usesCodeExtensions else { throw .unencodable(string: string, characterSet: terms) }
                out.append(contentsOf: set.escapeSequence)
                g0 = set
            }
            if set.isDoubleByte {
                let high: UInt8 = set.isG1 ? 0x80 : 0
                out.append(UInt8(code >> 8) | high)
                out.append(UInt8(code & 0xFF) | high)
            } else {
                out.append(UInt8(code))
            }
        }
        if g0 != initialG0 { out.append(contentsOf: initialG0.escapeSequence) }
        return out
    }

    /// The first set that has `scalar`, and its code there.
    private func firstEncoding(of scalar: UInt32) -> (GraphicCharacterSet, UInt16)? {
        for set in sets {
            switch set {
            case .ascii, .jisX0201Romaji:
                if scalar < 0x80 { return (set, UInt16(scalar)) }
            default:
                if let code = set.table?.codes[scalar] { return (set, code) }
            }
        }
        return nil
    }
}
