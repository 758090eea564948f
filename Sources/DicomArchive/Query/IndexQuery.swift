// PS3.4 §C.6: the Query/Retrieve information models' levels and keys as the index holds them.
// One catalog serves C-FIND (DimseServer) and, later, QIDO-RS (WadoGateway).
import DicomCore

/// PS3.4 §C.3: the levels of the Patient Root and Study Root information models.
public enum QueryLevel: String, Sendable, CaseIterable, Comparable {
    case patient = "PATIENT", study = "STUDY", series = "SERIES", image = "IMAGE"

    var rank: Int {
        switch self { case .patient: 0; case .study: 1; case .series: 2; case .image: 3 }
    }
    public static func < (a: QueryLevel, b: QueryLevel) -> Bool { a.rank < b.rank }
}

/// A key the index can match on and return: its tag, its level and how its values compare.
public struct QueryKey: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case text, personName, date, time, uid, integer, codeList, derived
    }
    public let tag: Tag
    public let keyword: String
    public let vr: VR
    public let level: QueryLevel
    public let kind: Kind
    /// The SQL column (qualified by the level's table alias); nil for keys computed per result.
    let column: String?

    public var description: String { keyword }

    // A key is its tag (the catalog has one key per tag): hashing the tag alone keeps the
    // per-match dictionaries of a C-FIND cheap.
    public static func == (a: QueryKey, b: QueryKey) -> Bool { a.tag == b.tag }
    public func hash(into hasher: inout Hasher) { hasher.combine(tag) }

    /// The unique keys of the study, series and instance levels (PS3.4 §C.2.1.1.1).
    public static let studyInstanceUID = QueryKey(tag: .studyInstanceUID, keyword: "StudyInstanceUID", vr: .UI, level: .study, kind: .uid, column: "s.studyInstanceUID")
    public static let seriesInstanceUID = QueryKey(tag: .seriesInstanceUID, keyword: "SeriesInstanceUID", vr: .UI, level: .series, kind: .uid, column: "se.seriesInstanceUID")
    public static let sopInstanceUID = QueryKey(tag: .sopInstanceUID, keyword: "SOPInstanceUID", vr: .UI, level: .image, kind: .uid, column: "i.sopInstanceUID")

    /// Every key of PS3.4 Tables C.6-1 to C.6-4 (and C.6-5 to C.6-8) the index keeps.
    public static let all: [QueryKey] = [
        // Patient, Table C.6-1
        QueryKey(tag: .patientName, keyword: "PatientName", vr: .PN, level: .patient, kind: .personName, column: "p.patientName"),
        QueryKey(tag: .patientID, keyword: "PatientID", vr: .LO, level: .patient, kind: .text, column: "p.patientID"),
        QueryKey(tag: .issuerOfPatientID, keyword: "IssuerOfPatientID", vr: .LO, level: .patient, kind: .text, column: "p.issuerOfPatientID"),
        QueryKey(tag: .patientBirthDate, keyword: "PatientBirthDate", vr: .DA, level: .patient, kind: .date, column: "p.patientBirthDate"),
        QueryKey(tag: .patientSex, keyword: "PatientSex", vr: .CS, level: .patient, kind: .text, column: "p.patientSex"),
        QueryKey(tag: Tag(0x0020, 0x1200), keyword: "NumberOfPatientRelatedStudies", vr: .IS, level: .patient, kind: .integer, column: "p.numberOfPatientRelatedStudies"),
        QueryKey(tag: Tag(0x0020, 0x1202), keyword: "NumberOfPatientRelatedSeries", vr: .IS, level: .patient, kind: .integer, column: "p.numberOfPatientRelatedSeries"),
        QueryKey(tag: Tag(0x0020, 0x1204), keyword: "NumberOfPatientRelatedInstances", vr: .IS, level: .patient, kind: .integer, column: "p.numberOfPatientRelatedInstances"),
        // Study, Table C.6-2 / C.6-5
        QueryKey(tag: .studyDate, keyword: "StudyDate", vr: .DA, level: .study, kind: .date, column: "s.studyDate"),
        QueryKey(tag: .studyTime, keyword: "StudyTime", vr: .TM, level: .study, kind: .time, column: "s.studyTime"),
        QueryKey(tag: .accessionNumber, keyword: "AccessionNumber", vr: .SH, level: .study, kind: .text, column: "s.accessionNumber"),
        QueryKey(tag: .studyID, keyword: "StudyID", vr: .SH, level: .study, kind: .text, column: "s.studyID"),
        .studyInstanceUID,
        QueryKey(tag: .studyDescription, keyword: "StudyDescription", vr: .LO, level: .study, kind: .text, column: "s.studyDescription"),
        QueryKey(tag: .referringPhysicianName, keyword: "ReferringPhysicianName", vr: .PN, level: .study, kind: .personName, column: "s.referringPhysicianName"),
        QueryKey(tag: Tag(0x0008, 0x0061), keyword: "ModalitiesInStudy", vr: .CS, level: .study, kind: .codeList, column: "s.modalitiesInStudy"),
        QueryKey(tag: Tag(0x0008, 0x0062), keyword: "SOPClassesInStudy", vr: .UI, level: .study, kind: .derived, column: nil),
        QueryKey(tag: Tag(0x0020, 0x1206), keyword: "NumberOfStudyRelatedSeries", vr: .IS, level: .study, kind: .integer, column: "s.numberOfStudyRelatedSeries"),
        QueryKey(tag: Tag(0x0020, 0x1208), keyword: "NumberOfStudyRelatedInstances", vr: .IS, level: .study, kind: .integer, column: "s.numberOfStudyRelatedInstances"),
        // Series, Table C.6-3 / C.6-6
        QueryKey(tag: .modality, keyword: "Modality", vr: .CS, level: .series, kind: .text, column: "se.modality"),
        QueryKey(tag: .seriesNumber, keyword: "SeriesNumber", vr: .IS, level: .series, kind: .integer, column: "se.seriesNumber"),
        .seriesInstanceUID,
        QueryKey(tag: .seriesDescription, keyword: "SeriesDescription", vr: .LO, level: .series, kind: .text, column: "se.seriesDescription"),
        QueryKey(tag: .bodyPartExamined, keyword: "BodyPartExamined", vr: .CS, level: .series, kind: .text, column: "se.bodyPartExamined"),
        QueryKey(tag: .seriesDate, keyword: "SeriesDate", vr: .DA, level: .series, kind: .date, column: "se.seriesDate"),
        QueryKey(tag: .seriesTime, keyword: "SeriesTime", vr: .TM, level: .series, kind: .time, column: "se.seriesTime"),
        QueryKey(tag: .performedProcedureStepStartDate, keyword: "PerformedProcedureStepStartDate", vr: .DA, level: .series, kind: .date, column: "se.performedProcedureStepStartDate"),
        QueryKey(tag: Tag(0x0020, 0x1209), keyword: "NumberOfSeriesRelatedInstances", vr: .IS, level: .series, kind: .integer, column: "se.numberOfSeriesRelatedInstances"),
        // Composite object instance, Table C.6-4 / C.6-7
        QueryKey(tag: .instanceNumber, keyword: "InstanceNumber", vr: .IS, level: .image, kind: .integer, column: "i.instanceNumber"),
        .sopInstanceUID,
        QueryKey(tag: .sopClassUID, keyword: "SOPClassUID", vr: .UI, level: .image, kind: .uid, column: "i.sopClassUID"),
        QueryKey(tag: .numberOfFrames, keyword: "NumberOfFrames", vr: .IS, level: .image, kind: .integer, column: "i.numberOfFrames"),
        QueryKey(tag: .rows, keyword: "Rows", vr: .US, level: .image, kind: .integer, column: "i.rows"),
        QueryKey(tag: .columns, keyword: "Columns", vr: .US, level: .image, kind: .integer, column: "i.columns"),
        QueryKey(tag: Tag(0x0008, 0x3002), keyword: "AvailableTransferSyntaxUID", vr: .UI, level: .image, kind: .uid, column: "i.transferSyntaxUID"),
    ]

    public static let byTag: [Tag: QueryKey] = Dictionary(all.map { ($0.tag, $0) }, uniquingKeysWith: { a, _ in a })
}

/// A query on the index: the level, the matching keys and the return keys.
public struct IndexQuery: Sendable {
    public var level: QueryLevel
    /// Matching per key; keys absent here match universally.
    public var conditions: [QueryKey: MatchCondition]
    /// PN matching ignores case (PS3.4 §C.2.2.2.1 leaves it to the SCP; most PACS ignore case).
    public var personNameCaseInsensitive: Bool
    /// Return at most this many matches (0: no limit).
    public var limit: Int
    /// Skip this many matches first (QIDO-RS `offset`, PS3.18 §8.3.4.4); `limit` counts after them.
    public var offset = 0
    /// The keys the caller will use; nil for all. Only their columns are read (and those of the
    /// unique keys, always); keys computed per result (SOP Classes in Study) are computed only
    /// when asked for.
    public var returnKeys: Set<QueryKey>?
    /// PS3.4 §C.2.2.2.5.1 combined date-time matching (when negotiated): a date range and a time
    /// range of the same pair (Study Date/Time, Series Date/Time) bound one date-time range
    /// instead of each applying on its own.
    public var combineDateTime = false

    public init(level: QueryLevel, conditions: [QueryKey: MatchCondition] = [:],
                personNameCaseInsensitive: Bool = true, limit: Int = 0, returnKeys: Set<QueryKey>? = nil) {
        self.level = level
        self.conditions = conditions
        self.personNameCaseInsensitive = personNameCaseInsensitive
        self.limit = limit
        self.returnKeys = returnKeys
    }
}

/// One matching entity: the values of every key at its level and above, as text (numbers in
/// decimal, code lists and UID lists joined with "\"), and for an instance where it is stored.
public struct QueryMatch: Sendable, Equatable {
    public var values: [QueryKey: String]
    /// Instance level only.
    public var stored: IndexedInstance?
    public init(values: [QueryKey: String], stored: IndexedInstance? = nil) {
        self.values = values
        self.stored = stored
    }
    public subscript(keyword: String) -> String? {
        values.first(where: { $0.key.keyword == keyword })?.value
    }
}
