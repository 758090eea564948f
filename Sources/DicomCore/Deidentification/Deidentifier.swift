// PS3.15 Annex E §E.1.1: a de-identifier of the Basic Application Level Confidentiality Profile.
// Applies Table E.1-1 (BasicProfileTable.swift) at every depth, removes private attributes and
// adds the attributes §E.1.1 requires of a de-identified instance.

/// Why an instance is not de-identified.
public enum DeidentificationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Burned In Annotation (0028,0301) is YES: identifying text may be in the pixels, and the
    /// Basic Profile does not clean pixel data (that is the Clean Pixel Data Option, PS3.15 §E.3.1).
    case burnedInAnnotation

    public var description: String {
        switch self {
        case .burnedInAnnotation:
            "Burned In Annotation (0028,0301) is YES: the pixel data may identify the patient and this node does not apply "
                + "the Clean Pixel Data Option (PS3.15 §E.3.1)"
        }
    }
}

/// De-identifies data sets with the Basic Profile. New UIDs are derived from the original UID and
/// a secret, so the same original always maps to the same new UID under one secret: references
/// between instances (Study/Series Instance UID, Referenced SOP Instance UID ...) stay consistent
/// across calls (PS3.15 Table E.1-1 "U": internally consistent within a set of instances).
public struct Deidentifier: Sendable {
    let secret: [UInt8]

    /// - Parameters:
    ///   - secret: the node's key for UID replacement; whoever knows it can link a new UID to an
    ///     original one by trying candidates, so keep it private.
    public init(secret: [UInt8]) {
        self.secret = secret
    }

    /// The replacement of `original`: "2.25." and the decimal value of the first 128 bits of
    /// SHA-256(secret ‖ original), made a version 8 UUID (RFC 9562 §5.8) as PS3.5 §B.2 expects
    /// of a 2.25 UID.
    public func uid(for original: String) -> String {
        var digest = Array(SHA256.digest(secret + Array(original.utf8)).prefix(16))
        digest[6] = (digest[6] & 0x0F) | 0x80
        digest[8] = (digest[8] & 0x3F) | 0x80
        return GeneratedUID.uid(uuid: digest)
    }

    /// A de-identified copy of `file`: its data set de-identified and a new File Meta group whose
    /// Media Storage SOP Instance UID is the new SOP Instance UID (PS3.10 §7.1); the source's
    /// AE titles and private meta elements are not carried over.
    /// - Throws: `DeidentificationError.burnedInAnnotation`.
    public func deidentify(_ file: DicomFile) throws(DeidentificationError) -> DicomFile {
        let dataSet = try deidentify(file.dataSet)
        return DicomFile(dataSet: dataSet, transferSyntax: file.transferSyntax)
    }

    /// A de-identified copy of the top-level data set `dataSet`.
    /// - Throws: `DeidentificationError.burnedInAnnotation`.
    public func deidentify(_ dataSet: DataSet) throws(DeidentificationError) -> DataSet {
        if let burnedIn = dataSet.string(.burnedInAnnotation),
           burnedIn.trimmingCharacters(in: .whitespaces).uppercased() == "YES" {
            throw .burnedInAnnotation
        }
        var out = clean(dataSet)
        addIdentityRemoved(to: &out)
        return out
    }

    // MARK: - Attributes

    /// - Parameter inDummySequence: the data set is an item (at any depth) of a sequence whose action
    ///   is D; values the table does not list are replaced too (see `DeidentificationAction.dummy`).
    func clean(_ dataSet: DataSet, inDummySequence: Bool = false) -> DataSet {
        var out = DataSet()
        out.characterSet = dataSet.characterSet
        for element in dataSet {
            if let kept = clean(element, in: dataSet, inDummySequence: inDummySequence) { out.append(kept) }
        }
        return out
    }

    /// One attribute after its action; nil: removed.
    func clean(_ element: DataElement, in dataSet: DataSet, inDummySequence: Bool = false) -> DataElement? {
        var e = element
        let vr = element.vr == .UN ? (dataSet.dictionaryVR(for: element.tag) ?? .UN) : element.vr
        var action = BasicProfile.action(for: element.tag)
        if inDummySequence && action == .keep && element.items == nil && Self.dummiedInDummySequence.contains(vr) {
            action = .dummy
        }
        switch action {
        case .remove:
            return nil
        case .empty:
            e.value = element.items != nil ? .sequence([]) : .bytes([])
            e.undefinedLength = element.items != nil && element.undefinedLength
        case .dummy:
            if let items = element.items {
                e.value = .sequence(cleanItems(items, inDummySequence: true))
            } else if vr == .UI {
                e.value = .bytes(replacedUIDs(element.bytes))
            } else {
                e.value = .bytes(Self.dummy(for: vr))
                e.undefinedLength = false
            }
        case .replaceUID:
            if let items = element.items {
                e.value = .sequence(cleanItems(items, inDummySequence: inDummySequence))
            } else if vr == .UI || vr == .UN {
                e.value = .bytes(replacedUIDs(element.bytes))
            } else {
                return nil
            }
        case .keep:
            if let items = element.items {
                e.value = .sequence(cleanItems(items, inDummySequence: inDummySequence))
            } else if vr == .UN && dataSet.dictionaryVR(for: element.tag) == nil && element.undefinedLength {
                // A UN value of undefined length holds a sequence we cannot see into: drop it.
                return nil
            }
        }
        return e
    }

    func cleanItems(_ items: [SequenceItem], inDummySequence: Bool = false) -> [SequenceItem] {
        items.map { SequenceItem(clean($0.dataSet, inDummySequence: inDummySequence), undefinedLength: $0.undefinedLength) }
    }

    /// The VRs whose values get a dummy inside a D sequence although the table does not list the
    /// attribute: those that can hold a name, free text, an identifier, a date or a time (and UN,
    /// which can hold any of them). Code strings, numbers and UIDs the table does not list (SOP
    /// Class UIDs, for instance) keep the item's structure valid and are kept.
    static let dummiedInDummySequence: Set<VR> = [.AE, .AS, .DA, .DT, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UR, .UT, .UN]

    /// Each value of a UI value field (backslash separated) replaced, NUL-padded to even length.
    func replacedUIDs(_ bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        let values = text.split(separator: "\\", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\0 "))
        }
        var out = Array(values.map { uid(for: $0) }.joined(separator: "\\").utf8)
        if out.count % 2 == 1 { out.append(0) }
        return out
    }

    /// PS3.15 §E.1.1: Patient Identity Removed (0012,0062) YES, and the method as text (0012,0063)
    /// and as code (0012,0064), added to what an earlier de-identification left. PS3.15 §E.2:
    /// Longitudinal Temporal Information Modified (0028,0303) REMOVED, since no Retain Longitudinal
    /// Temporal Information Option is applied.
    func addIdentityRemoved(to out: inout DataSet) {
        out[.patientIdentityRemoved] = .text(.patientIdentityRemoved, .CS, "YES")
        out[.longitudinalTemporalInformationModified] = .text(.longitudinalTemporalInformationModified, .CS, "REMOVED")
        var methods = out.strings(.deidentificationMethod).filter { !$0.isEmpty }
        methods.append(BasicProfile.methodDescription)
        out[.deidentificationMethod] = .text(.deidentificationMethod, .LO, methods.joined(separator: "\\"))
        var code = DataSet()
        code[.codeValue] = .text(.codeValue, .SH, BasicProfile.methodCode.value)
        code[.codingSchemeDesignator] = .text(.codingSchemeDesignator, .SH, BasicProfile.methodCode.scheme)
        code[.codeMeaning] = .text(.codeMeaning, .LO, BasicProfile.methodCode.meaning)
        var items = out[.deidentificationMethodCodeSequence]?.items ?? []
        items.append(SequenceItem(code))
        out[.deidentificationMethodCodeSequence] = DataElement(tag: .deidentificationMethodCodeSequence, vr: .SQ,
                                                                value: .sequence(items))
    }

    // MARK: - Values

    /// A non-zero length dummy value valid for `vr` (Table E.1-1 action D).
    static func dummy(for vr: VR) -> [UInt8] {
        let text: String
        switch vr {
        case .DA: text = "19000101"
        case .TM: text = "000000"
        case .DT: text = "19000101000000"
        case .AS: text = "000Y"
        case .DS, .IS: text = "0"
        case .AE, .CS, .LO, .LT, .PN, .SH, .ST, .UC, .UR, .UT: text = "ANONYMIZED"
        case .US, .SS: return [0, 0]
        case .UL, .SL, .FL, .AT: return [0, 0, 0, 0]
        case .FD, .SV, .UV, .OB, .OD, .OF, .OL, .OV, .OW, .UN: return [UInt8](repeating: 0, count: 8)
        case .UI, .SQ: text = "0"
        }
        var bytes = Array(text.utf8)
        if bytes.count % 2 == 1 { bytes.append(vr == .UI ? 0 : 0x20) }
        return bytes
    }
}

import Foundation
