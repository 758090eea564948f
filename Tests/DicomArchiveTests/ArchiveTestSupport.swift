import DicomCore
import DicomTestSupport
import Foundation
@testable import DicomArchive

/// A fresh archive root in the temporary directory, removed when the value goes away.
final class TemporaryRoot {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("dicomarchive-test-\(UUID().uuidString)").path
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func archive(_ duplicate: DuplicatePolicy = .keepFirst, _ identity: IdentityConflictPolicy = .accept,
                 durable: Bool = false) throws -> Archive {
        try Archive(configuration: ArchiveConfiguration(root: path, duplicatePolicy: duplicate,
                                                        identityConflictPolicy: identity, durable: durable))
    }

    func files(in directory: String) -> [String] {
        let base = path + "/" + directory
        let all = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String]) ?? []
        return all.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: base + "/" + name, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }
}

enum Sample {
    static let ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"
    static let mrImageStorage = "1.2.840.10008.5.1.4.1.1.4"

    /// A small image data set with the UIDs and keys the index reads.
    static func dataSet(sop: String, study: String = "1.2.826.0.1.3680043.2.1125.1",
                        series: String = "1.2.826.0.1.3680043.2.1125.1.1", patientID: String = "PID-1",
                        modality: String = "CT", sopClass: String = ctImageStorage,
                        description: String = "first", omit: Tag? = nil) -> DataSet {
        var ds = DataSet()
        ds[.specificCharacterSet] = .text(.specificCharacterSet, .CS, "ISO_IR 100")
        ds[.sopClassUID] = .uid(.sopClassUID, sopClass)
        ds[.sopInstanceUID] = .uid(.sopInstanceUID, sop)
        ds[.studyDate] = .text(.studyDate, .DA, "20250101")
        ds[.accessionNumber] = .text(.accessionNumber, .SH, "ACC1")
        ds[.modality] = .text(.modality, .CS, modality)
        ds[.seriesDescription] = .text(.seriesDescription, .LO, description)
        ds[.patientName] = .text(.patientName, .PN, "Doe^Jane")
        ds[.patientID] = .text(.patientID, .LO, patientID)
        ds[.studyInstanceUID] = .uid(.studyInstanceUID, study)
        ds[.seriesInstanceUID] = .uid(.seriesInstanceUID, series)
        ds[.seriesNumber] = .text(.seriesNumber, .IS, "3")
        ds[.instanceNumber] = .text(.instanceNumber, .IS, "7")
        ds[.rows] = DataElement(.rows, .US, bytes: TestBytes.le16([2]))
        ds[.columns] = DataElement(.columns, .US, bytes: TestBytes.le16([2]))
        ds[.pixelData] = DataElement(.pixelData, .OW, bytes: TestBytes.le16([1, 2, 3, 4]))
        if let omit { _ = ds.remove(omit) }
        return ds
    }

    /// A Part 10 file's bytes for `ds`.
    static func partTen(_ ds: DataSet, syntax: TransferSyntax = .explicitVRLittleEndian) throws -> [UInt8] {
        try DicomFile(dataSet: ds, transferSyntax: syntax).encoded()
    }

    /// Stages `bytes` in the archive as a receiver would.
    static func stage(_ bytes: [UInt8], in archive: Archive) throws -> StagingFile {
        let staged = try archive.makeStagingFile()
        try staged.write(bytes)
        return staged
    }

    static func read(_ path: String) -> [UInt8] {
        (FileManager.default.contents(atPath: path)).map { [UInt8]($0) } ?? []
    }
}
