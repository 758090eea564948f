/// A graphic character set that a defined term designates to G0 or G1, with its ISO 2022
/// escape sequence (PS3.3 Tables C.12-3 and C.12-4; PS3.5 §6.1.2.5).
enum GraphicCharacterSet: Hashable, Sendable, CaseIterable {
    /// ISO-IR 6 (US-ASCII), G0: ESC ( B.
    case ascii
    /// ISO-IR 14 (JIS X 0201 romaji), G0: ESC ( J. Read and written as ASCII: byte 05/12 stays
    /// the value delimiter "\" rather than YEN SIGN, as pydicom does.
    case jisX0201Romaji
    /// ISO-IR 13 (JIS X 0201 katakana), G1: ESC ) I.
    case jisX0201Katakana
    /// ISO-IR 100 (ISO 8859-1, Latin alphabet No. 1), G1: ESC - A.
    case isoIR100
    /// ISO-IR 101 (ISO 8859-2, Latin alphabet No. 2), G1: ESC - B.
    case isoIR101
    /// ISO-IR 109 (ISO 8859-3, Latin alphabet No. 3), G1: ESC - C.
    case isoIR109
    /// ISO-IR 110 (ISO 8859-4, Latin alphabet No. 4), G1: ESC - D.
    case isoIR110
    /// ISO-IR 144 (ISO 8859-5, Cyrillic), G1: ESC - L.
    case isoIR144
    /// ISO-IR 127 (ISO 8859-6, Arabic), G1: ESC - G.
    case isoIR127
    /// ISO-IR 126 (ISO 8859-7, Greek), G1: ESC - F.
    case isoIR126
    /// ISO-IR 138 (ISO 8859-8, Hebrew), G1: ESC - H.
    case isoIR138
    /// ISO-IR 148 (ISO 8859-9, Latin alphabet No. 5), G1: ESC - M.
    case isoIR148
    /// ISO-IR 203 (ISO 8859-15, Latin alphabet No. 9), G1: ESC - b.
    case isoIR203
    /// ISO-IR 166 (TIS 620-2533, Thai), G1: ESC - T.
    case isoIR166
    /// ISO-IR 87 (JIS X 0208 kanji), G0, two bytes: ESC $ B.
    case jisX0208
    /// ISO-IR 159 (JIS X 0212 supplementary kanji), G0, two bytes: ESC $ ( D.
    case jisX0212
    /// ISO-IR 149 (KS X 1001 Hangul and Hanja), G1, two bytes: ESC $ ) C.
    case ksX1001
    /// ISO-IR 58 (GB 2312 simplified Chinese), G1, two bytes: ESC $ ) A.
    case gb2312

    /// The escape sequence that designates this set (PS3.3 Tables C.12-3, C.12-4).
    var escapeSequence: [UInt8] {
        switch self {
        case .ascii: return [0x1B, 0x28, 0x42]               // ESC ( B
        case .jisX0201Romaji: return [0x1B, 0x28, 0x4A]      // ESC ( J
        case .jisX0201Katakana: return [0x1B, 0x29, 0x49]    // ESC ) I
        case .isoIR100: return [0x1B, 0x2D, 0x41]            // ESC - A
        case .isoIR101: return [0x1B, 0x2D, 0x42]            // ESC - B
        case .isoIR109: return [0x1B, 0x2D, 0x43]            // ESC - C
        case .isoIR110: return [0x1B, 0x2D, 0x44]            // ESC - D
        case .isoIR144: return [0x1B, 0x2D, 0x4C]            // ESC - L
        case .isoIR127: return [0x1B, 0x2D, 0x47]            // ESC - G
        case .isoIR126: return [0x1B, 0x2D, 0x46]            // ESC - F
        case .isoIR138: return [0x1B, 0x2D, 0x48]            // ESC - H
        case .isoIR148: return [0x1B, 0x2D, 0x4D]            // ESC - M
        case .isoIR203: return [0x1B, 0x2D, 0x62]            // ESC - b
        case .isoIR166: return [0x1B, 0x2D, 0x54]            // ESC - T
        case .jisX0208: return [0x1B, 0x24, 0x42]            // ESC $ B
        case .jisX0212: return [0x1B, 0x24, 0x28, 0x44]      // ESC $ ( D
        case .ksX1001: return [0x1B, 0x24, 0x29, 0x43]       // ESC $ ) C
        case .gb2312: return [0x1B, 0x24, 0x29, 0x41]        // ESC $ ) A
        }
    }

    /// Whether the set is invoked in G1 (bytes with the high bit set) rather than G0.
    var isG1: Bool {
        switch self {
        case .ascii, .jisX0201Romaji, .jisX0208, .jisX0212: return false
        default: return true
        }
    }

    /// Bytes per character: 2 for the 94×94 sets, else 1.
    var isDoubleByte: Bool {
        switch self {
        case .jisX0208, .jisX0212, .ksX1001, .gb2312: return true
        default: return false
        }
    }

    /// The set whose escape sequence starts `bytes[index...]` (which holds ESC), and the sequence's length.
    static func designated(by bytes: [UInt8], at index: Int) -> (set: GraphicCharacterSet, length: Int)? {
        for set in allCases {
            let escape = set.escapeSequence
            guard index + escape.count <= bytes.count else { continue }
            if bytes[index..<(index + escape.count)].elementsEqual(escape) { return (set, escape.count) }
        }
        return nil
    }

    /// The code table; nil for ASCII and JIS X 0201 romaji, which are read as ASCII.
    var table: CodeTable? {
        switch self {
        case .ascii, .jisX0201Romaji: return nil
        case .jisX0201Katakana: return Tables.katakana
        case .isoIR100: return Tables.latin1
        case .isoIR101: return Tables.latin2
        case .isoIR109: return Tables.latin3
        case .isoIR110: return Tables.latin4
        case .isoIR144: return Tables.cyrillic
        case .isoIR127: return Tables.arabic
        case .isoIR126: return Tables.greek
        case .isoIR138: return Tables.hebrew
        case .isoIR148: return Tables.latin5
        case .isoIR203: return Tables.latin9
        case .isoIR166: return Tables.thai
        case .jisX0208: return Tables.jisX0208
        case .jisX0212: return Tables.jisX0212
        case .ksX1001: return Tables.ksX1001
        case .gb2312: return Tables.gb2312
        }
    }

    /// Tables are built on first use (static lets initialise lazily and thread-safely).
    private enum Tables {
        static let katakana = CodeTable.jisX0201Katakana()
        static let latin1 = CodeTable.singleByte(iconvName: "ISO-8859-1")
        static let latin2 = CodeTable.singleByte(iconvName: "ISO-8859-2")
        static let latin3 = CodeTable.singleByte(iconvName: "ISO-8859-3")
        static let latin4 = CodeTable.singleByte(iconvName: "ISO-8859-4")
        static let cyrillic = CodeTable.singleByte(iconvName: "ISO-8859-5")
        static let arabic = CodeTable.singleByte(iconvName: "ISO-8859-6")
        static let greek = CodeTable.singleByte(iconvName: "ISO-8859-7")
        static let hebrew = CodeTable.singleByte(iconvName: "ISO-8859-8")
        static let latin5 = CodeTable.singleByte(iconvName: "ISO-8859-9")
        static let latin9 = CodeTable.singleByte(iconvName: "ISO-8859-15")
        static let thai = CodeTable.singleByte(iconvName: "TIS-620")
        static let jisX0208 = CodeTable.doubleByte(eucName: "EUC-JP")
        static let jisX0212 = CodeTable.doubleByte(eucName: "EUC-JP", prefix: [0x8F])   // SS3
        static let ksX1001 = CodeTable.doubleByte(eucName: "EUC-KR")
        static let gb2312 = CodeTable.doubleByte(eucName: "GB2312")
    }
}
