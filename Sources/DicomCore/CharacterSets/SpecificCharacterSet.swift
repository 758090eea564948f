import Foundation

/// The Specific Character Set (0008,0005) in force for a data set: its defined terms and the
/// decoding/encoding of the string VRs it governs (PS3.5 §6.1, PS3.3 §C.12.1.1.2).
///
/// Only SH, LO, ST, LT, UC, UT and PN are affected (PS3.5 §6.1.2.3); other VRs are ASCII.
/// ASCII, UTF-8 and ISO 8859-1 text never goes through iconv; other single- and double-byte
/// sets use tables built once from glibc's iconv; GB18030 and GBK go through iconv per value.
public struct SpecificCharacterSet: Sendable, Equatable, Hashable {
    /// The defined terms as written, e.g. ["", "ISO 2022 IR 87"] or ["GB18030"]; empty = default repertoire.
    public let terms: [String]
    private let mode: Mode

    private enum Mode: Hashable, Sendable {
        /// The default repertoire (ISO-IR 6), or only terms we do not know.
        case ascii
        /// ISO_IR 100 alone: bytes are the scalars.
        case latin1
        /// ISO_IR 192.
        case utf8
        /// GB18030 or GBK through iconv.
        case iconv(String)
        /// Graphic sets in G0/G1, with or without escape sequences.
        case iso2022(ISO2022Codec)
    }

    public static let `default` = SpecificCharacterSet(terms: [])

    public init(terms: [String]) {
        self.terms = terms
        self.mode = SpecificCharacterSet.mode(for: terms)
    }

    /// Builds from the raw value of (0008,0005): backslash-separated, space-padded.
    public init(definedTermsBytes bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let terms = text.split(separator: "\\", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: SpecificCharacterSet.padding) }
        self.init(terms: terms.count == 1 && terms[0].isEmpty ? [] : terms)
    }

    private static let padding = CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\0"))

    /// Whether `term` is a defined term of PS3.3 Tables C.12-2 to C.12-5 (spelt exactly; ""
    /// and "ISO_IR 6" stand for the default repertoire).
    public static func isKnown(_ term: String) -> Bool {
        DefinedTerm.exact(term) != nil
    }

    /// The terms that are not spelt as the standard does. Decoding still reads common misspellings
    /// ("ISO_IR100") and ignores the rest.
    public var unknownTerms: [String] {
        terms.filter { !SpecificCharacterSet.isKnown($0) }
    }

    /// Whether text may switch sets with ISO 2022 escape sequences (an "ISO 2022 …" term or
    /// several values; PS3.3 §C.12.1.1.2).
    public var usesCodeExtensions: Bool {
        if case .iso2022(let codec) = mode { return codec.usesCodeExtensions }
        return false
    }

    private static func mode(for terms: [String]) -> Mode {
        // A value 1 that is empty stands for ISO 2022 IR 6 when there are more values.
        let known = terms.enumerated().compactMap { index, term -> DefinedTerm? in
            if index == 0 && term.isEmpty && terms.count > 1 { return DefinedTerm.exact("ISO 2022 IR 6") }
            return DefinedTerm.lenient(term)
        }
        guard let first = known.first else { return .ascii }
        // ISO_IR 192, GB18030 and GBK allow no code extensions (PS3.3 Table C.12-5); a writer that
        // lists one beside other terms wrote its text in it (pydicom reads such sets the same way).
        for term in known {
            if case .utf8 = term.kind { return .utf8 }
            if case .iconv(let name) = term.kind { return .iconv(name) }
        }
        switch first.kind {
        case .utf8: return .utf8
        case .iconv(let name): return .iconv(name)
        case .graphicSets(let g0, let g1):
            let extensions = terms.count > 1 || known.contains(where: \.usesCodeExtensions)
            if known.count == 1 && !extensions {
                if g1 == nil && g0 == .ascii { return .ascii }
                if g1 == .isoIR100 { return .latin1 }
            }
            return .iso2022(ISO2022Codec(terms: known, codeExtensions: extensions))
        }
    }

    /// Decodes a whole value field (all values, with their "\" separators) of a string VR.
    /// Never fails: bytes the character set does not define become U+FFFD, or, with only the
    /// default repertoire or unknown terms, are read as UTF-8 when they form valid UTF-8 and as
    /// ISO 8859-1 otherwise.
    public func decode(_ bytes: [UInt8], vr: VR) -> String {
        guard vr.usesSpecificCharacterSet else { return String(decoding: bytes, as: UTF8.self) }
        switch mode {
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .ascii:
            if SpecificCharacterSet.isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
            if let text = String(validating: bytes, as: UTF8.self) { return text }
            return SpecificCharacterSet.decodeLatin1(bytes)
        case .latin1:
            if SpecificCharacterSet.isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
            return SpecificCharacterSet.decodeLatin1(bytes)
        case .iconv(let name):
            if SpecificCharacterSet.isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
            let utf8 = IconvConverter.with(from: name, to: "UTF-8") {
                $0.convert(bytes, replacement: [0xEF, 0xBF, 0xBD])
            }
            return String(decoding: (utf8 ?? nil) ?? [], as: UTF8.self)
        case .iso2022(let codec):
            if !codec.initialG0.isDoubleByte, !bytes.contains(where: { $0 >= 0x80 || $0 == 0x1B }) {
                return String(decoding: bytes, as: UTF8.self)
            }
            return codec.decode(bytes, vr: vr)
        }
    }

    /// Decodes a value field and splits it into its values at "\" (for VRs with several values).
    public func decodeValues(_ bytes: [UInt8], vr: VR) -> [String] {
        let text = decode(bytes, vr: vr)
        guard vr.allowsMultipleValues else { return [text] }
        return text.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
    }

    /// Encodes a whole value field of a string VR (no padding added).
    /// - Throws: `CharacterSetError.unencodable` when a character cannot be represented;
    ///   `.unknownTerm` for non-ASCII text when the character set names no term we know.
    public func encode(_ string: String, vr: VR) throws(CharacterSetError) -> [UInt8] {
        let utf8 = Array(string.utf8)
        // ASCII is G0 of every character set we write (PS3.5 §6.1.2.2).
        guard vr.usesSpecificCharacterSet, !SpecificCharacterSet.isASCII(utf8) else { return utf8 }
        switch mode {
        case .utf8:
            return utf8
        case .ascii:
            if let unknown = unknownTerms.first { throw .unknownTerm(unknown) }
            throw .unencodable(string: string, characterSet: terms)
        case .latin1:
            return try string.unicodeScalars.map { (s) throws(CharacterSetError) -> UInt8 in
                guard s.value < 256 else { throw .unencodable(string: string, characterSet: terms) }
                return UInt8(s.value)
            }
        case .iconv(let name):
            let converted = IconvConverter.with(from: "UTF-8", to: name) { $0.convert(utf8, replacement: nil) }
            guard let bytes = converted ?? nil else { throw .unencodable(string: string, characterSet: terms) }
            return bytes
        case .iso2022(let codec):
            return try codec.encode(string, vr: vr, terms: terms)
        }
    }

    /// Whether every byte is below 0x80.
    @inline(__always)
    static func isASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var accumulated: UInt8 = 0
            for byte in buffer { accumulated |= byte }
            return accumulated < 0x80
        }
    }

    /// ISO 8859-1: each byte is the scalar of the same value.
    static func decodeLatin1(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            if byte < 0x80 {
                out.append(byte)
            } else {
                out.append(0xC0 | byte >> 6)
                out.append(0x80 | byte & 0x3F)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
