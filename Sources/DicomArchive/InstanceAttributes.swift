import DicomCore

/// The attributes the index keeps for one instance: the C-FIND / QIDO-RS matching and return keys
/// of PS3.4 §C.6.1.1 (patient, study, series and instance levels) and where the file is.
public struct InstanceAttributes: Sendable, Equatable {
    // Patient level, PS3.4 Table C.6-1
    public var patientID: String              // "" when (0010,0020) is empty (type 2)
    public var issuerOfPatientID: String      // "" when absent
    public var patientName: String?
    public var patientBirthDate: String?
    public var patientSex: String?
    // Study level, PS3.4 Table C.6-2 / C.6-5
    public var studyInstanceUID: String
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var studyID: String?
    public var studyDescription: String?
    public var referringPhysicianName: String?
    // Series level, PS3.4 Table C.6-3
    public var seriesInstanceUID: String
    public var modality: String?
    public var seriesNumber: Int?
    public var seriesDescription: String?
    public var bodyPartExamined: String?
    public var seriesDate: String?
    public var seriesTime: String?
    public var performedProcedureStepStartDate: String?
    // Instance level, PS3.4 Table C.6-4
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var instanceNumber: Int?
    public var transferSyntaxUID: String
    public var numberOfFrames: Int?
    public var rows: Int?
    public var columns: Int?
    public var specificCharacterSet: String?
    // Storage
    public var objectPath: String             // store key, relative to the archive root
    public var fileSize: Int
    public var sourceAETitle: String?
    public var receivedAt: Double             // seconds since 1970, UTC

    /// Reads the attributes from a parsed file.
    /// - Throws: `.missingAttribute` when a UID the index needs is absent or empty
    ///   (PS3.3 §C.12.1 SOP Common, §C.7.2.1 General Study, §C.7.3.1 General Series: all type 1).
    public init(file: DicomFile, objectPath: String, fileSize: Int, sourceAETitle: String?,
                receivedAt: Double) throws(ArchiveError) {
        let ds = file.dataSet
        func required(_ tag: Tag, _ name: String) throws(ArchiveError) -> String {
            guard let v = ds.string(tag), !v.isEmpty else { throw .missingAttribute("\(tag) \(name)") }
            return v
        }
        sopClassUID = try required(.sopClassUID, "SOP Class UID")
        sopInstanceUID = try required(.sopInstanceUID, "SOP Instance UID")
        studyInstanceUID = try required(.studyInstanceUID, "Study Instance UID")
        seriesInstanceUID = try required(.seriesInstanceUID, "Series Instance UID")
        patientID = ds.string(.patientID) ?? ""
        issuerOfPatientID = ds.string(.issuerOfPatientID) ?? ""
        patientName = ds.string(.patientName)
        patientBirthDate = ds.string(.patientBirthDate)
        patientSex = ds.string(.patientSex)
        studyDate = ds.string(.studyDate)
        studyTime = ds.string(.studyTime)
        accessionNumber = ds.string(.accessionNumber)
        studyID = ds.string(.studyID)
        studyDescription = ds.string(.studyDescription)
        referringPhysicianName = ds.string(.referringPhysicianName)
        modality = ds.string(.modality)
        seriesNumber = ds.int(.seriesNumber)
        seriesDescription = ds.string(.seriesDescription)
        bodyPartExamined = ds.string(.bodyPartExamined)
        seriesDate = ds.string(.seriesDate)
        seriesTime = ds.string(.seriesTime)
        performedProcedureStepStartDate = ds.string(.performedProcedureStepStartDate)
        instanceNumber = ds.int(.instanceNumber)
        transferSyntaxUID = file.transferSyntax.uid
        numberOfFrames = ds.int(.numberOfFrames)
        rows = ds.int(.rows)
        columns = ds.int(.columns)
        let charsets = ds.strings(.specificCharacterSet)
        specificCharacterSet = charsets.isEmpty ? nil : charsets.joined(separator: "\\")
        self.objectPath = objectPath
        self.fileSize = fileSize
        self.sourceAETitle = sourceAETitle
        self.receivedAt = receivedAt
    }
}
