/// The Specific Character Set (0008,0005) in force for a data set: its defined terms and the
/// decoding/encoding of the string VRs it governs (PS3.5 §6.1, PS3.3 §C.12.1.1.2).
public struct SpecificCharacterSet: Sendable, Equatable, Hashable {
    /// The defined terms as written, e.g. ["", "ISO 2022 IR 87"] or ["GB18030"]; empty = default repertoire.
    public let terms: [String]

    public static let `default` = SpecificCharacterSet(terms: [])

    public init(terms: [String]) {
        self.terms = terms
    }

    /// Builds from the raw value of (0008,0005): backslash-separated, space-padded.
    public init(definedTermsBytes bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let terms = text.split(separator: "\\", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        self.init(terms: terms.count == 1 && terms[0].isEmpty ? [] : terms)
    }

    /// Decodes a whole value field (all values, with their "\" separators) of a string VR.
    public func decode(_ bytes: [UInt8], vr: VR) -> String {
        guard vr.usesSpecificCharacterSet else { return String(decoding: bytes, as: UTF8.self) }
        if terms.contains("ISO_IR 100") {
            return String(bytes.map { Character(Unicode.Scalar($0)) })
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Encodes a whole value field of a string VR.
    public func encode(_ string: String, vr: VR) throws(CharacterSetError) -> [UInt8] {
        guard vr.usesSpecificCharacterSet else { return Array(string.utf8) }
        if terms.contains("ISO_IR 100") {
            return try string.unicodeScalars.map { (s) throws(CharacterSetError) -> UInt8 in
                guard s.value < 256 else { throw .unencodable(string: string, characterSet: terms) }
                return UInt8(s.value)
            }
        }
        return Array(string.utf8)
    }
}

public enum CharacterSetError: Error, Equatable, Sendable {
    /// The string has characters that none of the data set's character sets can represent.
    case unencodable(string: String, characterSet: [String])
    /// A defined term that PS3.3 Table C.12-2/3/4/5 does not list.
    case unknownTerm(String)
}

import Foundation
