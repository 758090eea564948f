import Foundation
import Testing
@testable import DicomCore

/// PS3.15 Annex E Basic Application Level Confidentiality Profile (Sources/DicomCore/Deidentification).
@Suite("De-identification: PS3.15 Basic Application Level Confidentiality Profile")
struct DeidentifierTests {
    static let secret = Array("test secret of this node".utf8)
    static let study = "1.2.826.0.1.3680043.2.1125.77"
    static let referencedSOP = "1.2.826.0.1.3680043.2.1125.77.1.5"

    /// A CT-like instance with identifying attributes at the top level and in a sequence.
    static func instance(sop: String, burnedIn: String? = nil) -> DataSet {
        var ds = DataSet()
        ds[.specificCharacterSet] = .text(.specificCharacterSet, .CS, "ISO_IR 100")
        ds[.sopClassUID] = .uid(.sopClassUID, "1.2.840.10008.5.1.4.1.1.2")
        ds[.sopInstanceUID] = .uid(.sopInstanceUID, sop)
        ds[.studyDate] = .text(.studyDate, .DA, "20250102")
        ds[.seriesDate] = .text(.seriesDate, .DA, "20250102")
        ds[.contentDate] = .text(.contentDate, .DA, "20250102")
        ds[.accessionNumber] = .text(.accessionNumber, .SH, "ACC123")
        ds[.modality] = .text(.modality, .CS, "CT")
        ds[.institutionName] = .text(.institutionName, .LO, "General Hospital")
        ds[.referringPhysicianName] = .text(.referringPhysicianName, .PN, "Who^Doctor")
        ds[.patientName] = .text(.patientName, .PN, "Doe^Jane")
        ds[.patientID] = .text(.patientID, .LO, "PID-9")
        ds[.patientBirthDate] = .text(.patientBirthDate, .DA, "19700101")
        ds[.patientSex] = .text(.patientSex, .CS, "F")
        ds[.sliceThickness] = .text(.sliceThickness, .DS, "1.25")
        ds[.studyInstanceUID] = .uid(.studyInstanceUID, study)
        ds[.seriesInstanceUID] = .uid(.seriesInstanceUID, study + ".1")
        ds[.frameOfReferenceUID] = .uid(.frameOfReferenceUID, study + ".9")
        // A nested sequence: Referenced Image Sequence (X/Z/U*) whose item names a person too.
        var item = DataSet()
        item[.referencedSOPClassUID] = .uid(.referencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2")
        item[.referencedSOPInstanceUID] = .uid(.referencedSOPInstanceUID, referencedSOP)
        item[.patientName] = .text(.patientName, .PN, "Nested^Name")
        ds[.referencedImageSequence] = DataElement(tag: .referencedImageSequence, vr: .SQ, value: .sequence([SequenceItem(item)]))
        // A private block: creator and one element.
        ds[Tag(0x0029, 0x0010)] = .text(Tag(0x0029, 0x0010), .LO, "ACME 1.0")
        ds[Tag(0x0029, 0x1001)] = .text(Tag(0x0029, 0x1001), .LO, "Jane Doe's secret")
        if let burnedIn { ds[.burnedInAnnotation] = .text(.burnedInAnnotation, .CS, burnedIn) }
        ds[.rows] = DataElement(.rows, .US, bytes: [2, 0])
        ds[.pixelData] = DataElement(.pixelData, .OW, bytes: [1, 2, 3, 4])
        return ds
    }

    @Test("names, IDs and dates are emptied, removed or replaced; other attributes and the pixels are kept")
    func attributeActions() throws {
        let out = try Deidentifier(secret: Self.secret).deidentify(Self.instance(sop: Self.referencedSOP))
        // Z: zero length, still present (Type 2 attributes stay).
        #expect(out[.patientName]?.bytes == [])
        #expect(out[.patientBirthDate]?.bytes == [])
        #expect(out[.studyDate]?.bytes == [])
        #expect(out[.accessionNumber]?.bytes == [])
        #expect(out[.referringPhysicianName]?.bytes == [])
        #expect(out[.patientSex]?.bytes == [])
        // Z for Patient ID (PS3.15 2023b Table E.1-1); Z/D resolved to D (dummy) for Content Date.
        #expect(out[.patientID]?.bytes == [])
        #expect(out.string(.contentDate) == "19000101")
        // X/Z/D and X/D resolved to X: removed.
        #expect(out[.institutionName] == nil)
        #expect(out[.seriesDate] == nil)
        // Not in Table E.1-1: kept unchanged.
        #expect(out.string(.modality) == "CT")
        #expect(out.string(.sliceThickness) == "1.25")
        #expect(out.string(.specificCharacterSet) == "ISO_IR 100")
        #expect(out[.pixelData]?.bytes == [1, 2, 3, 4])
        #expect(out[.rows]?.bytes == [2, 0])
        // Private attributes, creator included, are gone.
        #expect(out.tags.allSatisfy { !$0.isPrivate })
        // The nested PN is emptied too.
        let item = try #require(out.sequence(.referencedImageSequence)?.first)
        #expect(item[.patientName]?.bytes == [])
        #expect(item.string(.referencedSOPClassUID) == "1.2.840.10008.5.1.4.1.1.2")
    }

    @Test("UIDs are replaced by 2.25 UIDs, the same original always the same new UID, references included")
    func uidsConsistent() throws {
        let d = Deidentifier(secret: Self.secret)
        let first = try d.deidentify(Self.instance(sop: Self.referencedSOP))
        let second = try d.deidentify(Self.instance(sop: Self.study + ".1.6"))
        let newStudy = try #require(first.string(.studyInstanceUID))
        #expect(newStudy != Self.study)
        #expect(newStudy.hasPrefix("2.25."))
        #expect(newStudy.count <= 64)
        #expect(newStudy.allSatisfy { $0.isNumber || $0 == "." })
        // One study: both instances get the same new Study and Series Instance UID.
        #expect(second.string(.studyInstanceUID) == newStudy)
        #expect(second.string(.seriesInstanceUID) == first.string(.seriesInstanceUID))
        #expect(first.string(.frameOfReferenceUID) == d.uid(for: Self.study + ".9"))
        // Two instances: two new SOP Instance UIDs.
        #expect(first.string(.sopInstanceUID) != second.string(.sopInstanceUID))
        #expect(first.string(.sopInstanceUID) != Self.referencedSOP)
        // The second instance's reference to the first maps to the first's new SOP Instance UID.
        let reference = try #require(second.sequence(.referencedImageSequence)?.first)
        #expect(reference.string(.referencedSOPInstanceUID) == first.string(.sopInstanceUID))
        // Another secret, other UIDs.
        let other = try Deidentifier(secret: Array("another node".utf8)).deidentify(Self.instance(sop: Self.referencedSOP))
        #expect(other.string(.studyInstanceUID) != newStudy)
        // UI values stay even length, NUL padded.
        #expect((first[.studyInstanceUID]?.bytes.count ?? 1) % 2 == 0)
    }

    @Test("Patient Identity Removed, De-identification Method and its code (113100, DCM) are added")
    func identityRemovedAttributes() throws {
        let out = try Deidentifier(secret: Self.secret).deidentify(Self.instance(sop: "1.2.3.4"))
        #expect(out.string(.patientIdentityRemoved) == "YES")
        #expect(out.string(.deidentificationMethod) == BasicProfile.methodDescription)
        #expect(BasicProfile.methodDescription.count <= 64)
        let code = try #require(out.sequence(.deidentificationMethodCodeSequence)?.first)
        #expect(code.string(.codeValue) == "113100")
        #expect(code.string(.codingSchemeDesignator) == "DCM")
        #expect(code.string(.codeMeaning) == "Basic Application Confidentiality Profile")
    }

    @Test("Burned In Annotation YES is refused; NO is de-identified")
    func burnedInAnnotation() throws {
        let d = Deidentifier(secret: Self.secret)
        #expect(throws: DeidentificationError.burnedInAnnotation) {
            try d.deidentify(Self.instance(sop: "1.2.3.4", burnedIn: "YES"))
        }
        let out = try d.deidentify(Self.instance(sop: "1.2.3.4", burnedIn: "NO"))
        #expect(out.string(.burnedInAnnotation) == "NO")
    }

    @Test("a Part 10 file: Media Storage SOP Instance UID follows the new SOP Instance UID; it reads back")
    func partTenFile() throws {
        let file = DicomFile(dataSet: Self.instance(sop: "1.2.3.4"), transferSyntax: .explicitVRLittleEndian,
                             sourceApplicationEntityTitle: "HOSPITAL_PACS")
        let out = try Deidentifier(secret: Self.secret).deidentify(file)
        let newUID = try #require(out.dataSet.string(.sopInstanceUID))
        #expect(newUID != "1.2.3.4")
        #expect(out.fileMetaInformation.string(.mediaStorageSOPInstanceUID) == newUID)
        #expect(out.fileMetaInformation[.sourceApplicationEntityTitle] == nil)
        let reread = try DicomFile.read(bytes: try out.encoded())
        #expect(reread.dataSet.string(.patientIdentityRemoved) == "YES")
        #expect(reread.dataSet[.patientName]?.bytes == [])
    }

    @Test("curves, overlays, group lengths and the combined codes resolve as documented")
    func repeatingGroupsAndCombinedCodes() {
        #expect(BasicProfile.action(for: Tag(0x5002, 0x3000)) == .remove)
        #expect(BasicProfile.action(for: Tag(0x6000, 0x0010)) == .remove)
        #expect(BasicProfile.action(for: Tag(0x6002, 0x4000)) == .remove)
        #expect(BasicProfile.action(for: Tag(0x0008, 0x0000)) == .remove)
        #expect(BasicProfile.action(for: .patientName) == .empty)
        #expect(BasicProfile.action(for: .sopInstanceUID) == .replaceUID)
        #expect(BasicProfile.action(for: Tag(0x0018, 0x1000)) == .dummy)   // X/Z/D Device Serial Number → D
        #expect(BasicProfile.action(for: Tag(0x0008, 0x1010)) == .remove)  // X/Z/D Station Name → X
        #expect(BasicProfile.action(for: Tag(0x0008, 0x1070)) == .empty)   // X/Z/D Operators' Name → Z (RT Series Type 2)
        #expect(BasicProfile.action(for: Tag(0x0008, 0x002A)) == .dummy)   // X/Z/D Acquisition DateTime → D (Enhanced MR 1C)
        #expect(BasicProfile.action(for: Tag(0x0008, 0x1140)) == .keep)    // X/Z/U* Referenced Image Sequence
        #expect(BasicProfile.action(for: .modality) == .keep)
        #expect(BasicProfile.table.count > 600)
    }

    /// Rows checked one by one against PS3.15 2023b Table E.1-1 (Basic Prof. column), including the
    /// rows where the third-party list this table started from, or an older edition, said otherwise.
    @Test("Table E.1-1 rows pinned to the PS3.15 2023b Basic Profile codes")
    func tableRowsPinned() {
        let expected: [(UInt32, ProfileActionCode)] = [
            (0x0010_0020, .Z),    // Patient ID: Z (the 2024b list this table came from said Z/D)
            (0x0010_0010, .Z),    // Patient's Name
            (0x0008_0050, .Z),    // Accession Number
            (0x3006_0009, .Z),    // Structure Set Time: Z (an older edition said X/D)
            (0x300A_00B2, .XZ),   // Treatment Machine Name: X/Z (an older edition said X)
            (0x3010_0077, .XD),   // Treatment Site: X/D (an older edition said D)
            (0x0008_0023, .ZD),   // Content Date
            (0x0018_9919, .ZD),   // Instruction Performed DateTime
            (0x0008_1010, .XZD),  // Station Name
            (0x0008_1111, .XZD),  // Referenced Performed Procedure Step Sequence
            (0x0018_1030, .XD),   // Protocol Name
            (0x0008_1110, .XZ),   // Referenced Study Sequence
            (0x0008_1140, .XZU),  // Referenced Image Sequence
            (0x0008_2112, .XZU),  // Source Image Sequence
            (0x0040_A730, .D),    // Content Sequence
            (0x0040_1101, .D),    // Person Identification Code Sequence
            (0x0072_0065, .D),    // Selector OB Value
            (0x0008_0106, .D),    // Context Group Version
            (0x0040_0610, .Z),    // Specimen Preparation Sequence
            (0x0018_9424, .X),    // Acquisition Protocol Description
            (0x0008_1000, .X),    // Network ID (retired)
            (0xFFFA_FFFA, .X),    // Digital Signatures Sequence
            (0x0020_9161, .U),    // Concatenation UID
            (0x0002_0003, .U),    // Media Storage SOP Instance UID
            (0x0008_0017, .U),    // Acquisition UID
        ]
        for (tag, code) in expected {
            #expect(BasicProfile.table[tag] == code, "(\(String(tag >> 16, radix: 16)),\(String(tag & 0xFFFF, radix: 16)))")
        }
        // Not in Table E.1-1: kept.
        #expect(BasicProfile.table[Tag.modality.rawValue] == nil)
        #expect(BasicProfile.table[Tag.sopClassUID.rawValue] == nil)
        #expect(BasicProfile.action(for: .modality) == .keep)
        // 607 rows with a single tag in PS3.15 2023b, and the 13 rows of 2024b named in the table's header.
        #expect(BasicProfile.table.count == 617)
        // Private attributes (gggg,eeee) with gggg odd: X, the groups PS3.5 does not allow included.
        #expect(BasicProfile.action(for: Tag(0x0009, 0x1001)) == .remove)
        #expect(BasicProfile.action(for: Tag(0x0003, 0x0010)) == .remove)
        // Overlay Data / Overlay Comments (60xx,3000)/(60xx,4000) and Curve Data (50xx,xxxx): X.
        #expect(BasicProfile.action(for: Tag(0x60FE, 0x3000)) == .remove)
        #expect(BasicProfile.action(for: Tag(0x501E, 0x0010)) == .remove)
    }

    @Test("a D sequence keeps its items but no original text, name, code or date in them")
    func dummySequences() throws {
        var ds = Self.instance(sop: "1.2.3.4")
        // Person Identification Code Sequence (0040,1101) D: the code identifies the person.
        var code = DataSet()
        code[.codeValue] = .text(.codeValue, .SH, "EMP-4711")
        code[.codingSchemeDesignator] = .text(.codingSchemeDesignator, .SH, "HOSPITAL")
        code[.codeMeaning] = .text(.codeMeaning, .LO, "Jane Roe")
        ds[.personIdentificationCodeSequence] = DataElement(tag: .personIdentificationCodeSequence, vr: .SQ,
                                                            value: .sequence([SequenceItem(code)]))
        // Content Sequence (0040,A730) D: an SR TEXT content item naming the patient.
        var content = DataSet()
        content[.relationshipType] = .text(.relationshipType, .CS, "CONTAINS")
        content[.valueType] = .text(.valueType, .CS, "TEXT")
        content[.textValue] = .text(.textValue, .UT, "Jane Doe, born 1970-01-01")
        content[.observationDateTime] = .text(.observationDateTime, .DT, "20250102101010")
        var reference = DataSet()
        reference[.referencedSOPClassUID] = .uid(.referencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2")
        reference[.referencedSOPInstanceUID] = .uid(.referencedSOPInstanceUID, Self.referencedSOP)
        content[.referencedSOPSequence] = DataElement(tag: .referencedSOPSequence, vr: .SQ, value: .sequence([SequenceItem(reference)]))
        ds[.contentSequence] = DataElement(tag: .contentSequence, vr: .SQ, value: .sequence([SequenceItem(content)]))

        let d = Deidentifier(secret: Self.secret)
        let out = try d.deidentify(ds)
        let person = try #require(out.sequence(.personIdentificationCodeSequence)?.first)
        #expect(person.string(.codeValue) == "ANONYMIZED")
        #expect(person.string(.codingSchemeDesignator) == "ANONYMIZED")
        #expect(person.string(.codeMeaning) == "ANONYMIZED")
        let item = try #require(out.sequence(.contentSequence)?.first)
        #expect(item.string(.textValue) == "ANONYMIZED")
        #expect(item.string(.valueType) == "TEXT")               // CS: kept, the item stays a TEXT item
        #expect(item.string(.relationshipType) == "CONTAINS")
        #expect(item.string(.observationDateTime) == "19000101000000")  // X/D, resolved to D (Type 1C in SR items)
        let ref = try #require(item.sequence(.referencedSOPSequence)?.first)
        #expect(ref.string(.referencedSOPClassUID) == "1.2.840.10008.5.1.4.1.1.2")
        #expect(ref.string(.referencedSOPInstanceUID) == d.uid(for: Self.referencedSOP))
        // Outside D sequences, attributes the table does not list are kept as they are.
        #expect(out.string(.modality) == "CT")
    }

    @Test("Longitudinal Temporal Information Modified is REMOVED (PS3.15 §E.2, no Retain option)")
    func longitudinalTemporalInformation() throws {
        let out = try Deidentifier(secret: Self.secret).deidentify(Self.instance(sop: "1.2.3.4"))
        #expect(out.string(.longitudinalTemporalInformationModified) == "REMOVED")
        #expect(out[.longitudinalTemporalInformationModified]?.vr == .CS)
    }
}
