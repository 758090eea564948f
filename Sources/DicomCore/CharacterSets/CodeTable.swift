/// The mapping between the codes of one graphic character set and Unicode scalars, built once
/// from glibc's iconv tables (for the sets that need one) and then used without iconv.
final class CodeTable: Sendable {
    /// Scalar value for each code; `CodeTable.unmapped` where the set has no character.
    /// Single-byte sets: indexed by the byte (0x00–0xFF). Double-byte 94×94 sets: indexed by
    /// `(first - 0x21) * 94 + (second - 0x21)` of the 7-bit code.
    let scalars: [UInt32]
    /// Code for each scalar the set can represent (the byte, or the 7-bit code pair as `first << 8 | second`).
    let codes: [UInt32: UInt16]

    static let unmapped: UInt32 = 0xFFFF_FFFF

    private init(scalars: [UInt32]) {
        self.scalars = scalars
        var codes = [UInt32: UInt16](minimumCapacity: scalars.count)
        let doubleByte = scalars.count == 94 * 94
        // Single-byte tables give codes for their upper half only: ASCII is written through G0.
        for (index, scalar) in scalars.enumerated() where scalar != CodeTable.unmapped && (doubleByte || index >= 0x80) {
            let code = doubleByte ? UInt16((index / 94 + 0x21) << 8 | (index % 94 + 0x21)) : UInt16(index)
            if codes[scalar] == nil { codes[scalar] = code }   // the first code wins for duplicates
        }
        self.codes = codes
    }

    /// The upper half (0x80–0xFF) of an ISO 8859 style set, from iconv's table for `iconvName`;
    /// the lower half is ASCII (PS3.3 Table C.12-2: G0 is ISO-IR 6 for all of them).
    static func singleByte(iconvName: String) -> CodeTable {
        var scalars = (0..<256).map { $0 < 0x80 ? UInt32($0) : CodeTable.unmapped }
        _ = IconvConverter.with(from: iconvName, to: "UTF-32LE") { converter in
            for byte in 0x80...0xFF {
                scalars[byte] = CodeTable.single(converter.convert([UInt8(byte)], replacement: nil))
            }
        }
        return CodeTable(scalars: scalars)
    }

    /// A 94×94 double-byte set read through an EUC encoding: each 7-bit code pair is converted
    /// as `prefix + [first | 0x80, second | 0x80]`.
    static func doubleByte(eucName: String, prefix: [UInt8] = []) -> CodeTable {
        var scalars = [UInt32](repeating: CodeTable.unmapped, count: 94 * 94)
        _ = IconvConverter.with(from: eucName, to: "UTF-32LE") { converter in
            for index in 0..<(94 * 94) {
                let first = UInt8(index / 94 + 0xA1), second = UInt8(index % 94 + 0xA1)
                scalars[index] = CodeTable.single(converter.convert(prefix + [first, second], replacement: nil))
            }
        }
        return CodeTable(scalars: scalars)
    }

    /// JIS X 0201 katakana (ISO-IR 13) in G1: 0xA1–0xDF are the half-width katakana U+FF61–U+FF9F.
    static func jisX0201Katakana() -> CodeTable {
        let scalars = (0..<256).map { byte -> UInt32 in
            if byte < 0x80 { return UInt32(byte) }
            if (0xA1...0xDF).contains(byte) { return UInt32(0xFF61 + byte - 0xA1) }
            return CodeTable.unmapped
        }
        return CodeTable(scalars: scalars)
    }

    /// The one scalar of a UTF-32LE conversion result, or `unmapped`.
    private static func single(_ utf32: [UInt8]?) -> UInt32 {
        guard let b = utf32, b.count == 4 else { return unmapped }
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }
}
