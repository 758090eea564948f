/// One defined term of Specific Character Set (0008,0005) and what it selects
/// (PS3.3 §C.12.1.1.2, Tables C.12-2 to C.12-5).
struct DefinedTerm: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        /// Sets invoked into G0/G1 (Tables C.12-2, C.12-3, C.12-4).
        case graphicSets(g0: GraphicCharacterSet?, g1: GraphicCharacterSet?)
        /// ISO_IR 192: UTF-8, no code extensions (Table C.12-5).
        case utf8
        /// GB18030 or GBK, converted whole through iconv (Table C.12-5).
        case iconv(name: String)
    }

    /// The term as the standard spells it.
    let term: String
    let kind: Kind
    /// Whether the term is one of the "ISO 2022 …" forms that allow escape sequences.
    let usesCodeExtensions: Bool

    /// All defined terms the standard lists, plus "ISO_IR 6", which many writers use for the
    /// default repertoire.
    static let all: [DefinedTerm] = {
        var terms: [DefinedTerm] = [
            DefinedTerm(term: "", kind: .graphicSets(g0: .ascii, g1: nil), usesCodeExtensions: false),
            DefinedTerm(term: "ISO_IR 6", kind: .graphicSets(g0: .ascii, g1: nil), usesCodeExtensions: false),
            DefinedTerm(term: "ISO 2022 IR 6", kind: .graphicSets(g0: .ascii, g1: nil), usesCodeExtensions: true),
            DefinedTerm(term: "ISO_IR 192", kind: .utf8, usesCodeExtensions: false),
            DefinedTerm(term: "GB18030", kind: .iconv(name: "GB18030"), usesCodeExtensions: false),
            DefinedTerm(term: "GBK", kind: .iconv(name: "GBK"), usesCodeExtensions: false),
            // Table C.12-4: multi-byte sets with code extensions.
            DefinedTerm(term: "ISO 2022 IR 87", kind: .graphicSets(g0: .jisX0208, g1: nil), usesCodeExtensions: true),
            DefinedTerm(term: "ISO 2022 IR 159", kind: .graphicSets(g0: .jisX0212, g1: nil), usesCodeExtensions: true),
            DefinedTerm(term: "ISO 2022 IR 149", kind: .graphicSets(g0: nil, g1: .ksX1001), usesCodeExtensions: true),
            DefinedTerm(term: "ISO 2022 IR 58", kind: .graphicSets(g0: nil, g1: .gb2312), usesCodeExtensions: true),
        ]
        // Tables C.12-2 and C.12-3: each single-byte set without and with code extensions.
        let singleByte: [(ir: Int, g0: GraphicCharacterSet, g1: GraphicCharacterSet)] = [
            (100, .ascii, .isoIR100), (101, .ascii, .isoIR101), (109, .ascii, .isoIR109),
            (110, .ascii, .isoIR110), (144, .ascii, .isoIR144), (127, .ascii, .isoIR127),
            (126, .ascii, .isoIR126), (138, .ascii, .isoIR138), (148, .ascii, .isoIR148),
            (203, .ascii, .isoIR203), (13, .jisX0201Romaji, .jisX0201Katakana), (166, .ascii, .isoIR166),
        ]
        for s in singleByte {
            terms.append(DefinedTerm(term: "ISO_IR \(s.ir)", kind: .graphicSets(g0: s.g0, g1: s.g1), usesCodeExtensions: false))
            terms.append(DefinedTerm(term: "ISO 2022 IR \(s.ir)", kind: .graphicSets(g0: s.g0, g1: s.g1), usesCodeExtensions: true))
        }
        return terms
    }()

    private static let byTerm: [String: DefinedTerm] = Dictionary(all.map { ($0.term, $0) }, uniquingKeysWith: { a, _ in a })
    private static let byLooseTerm: [String: DefinedTerm] = Dictionary(all.map { (loose($0.term), $0) }, uniquingKeysWith: { a, _ in a })

    /// The term spelt exactly as the standard does.
    static func exact(_ term: String) -> DefinedTerm? { byTerm[term] }

    /// The term, also when misspelt in ways seen in the wild: "ISO_IR100", "ISO-IR 100", "iso_ir 100".
    static func lenient(_ term: String) -> DefinedTerm? {
        byTerm[term] ?? byLooseTerm[loose(term)]
    }

    private static func loose(_ term: String) -> String {
        String(term.uppercased().unicodeScalars.filter { $0 != " " && $0 != "_" && $0 != "-" })
    }
}
