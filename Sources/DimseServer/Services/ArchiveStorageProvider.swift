// PS3.4 Annex B Storage SCP backed by the archive's one ingest path. The staged file begins
// with a Part 10 header written when the C-STORE-RQ arrives (PS3.10 §7.1: source AE, received
// transfer syntax), then the data set bytes are appended as their PDVs arrive. A success status
// is returned only once the archive says the instance is durable and indexed.
import DicomArchive
import DicomCore

/// The C-STORE SCP of the node: stages into the archive's incoming/ folder and ingests.
public struct ArchiveStorageProvider: StorageProvider {
    public let archive: Archive
    /// Our AE title, recorded as (0002,0018) Receiving AE Title.
    public let aeTitle: String

    public init(archive: Archive, aeTitle: String) {
        self.archive = archive
        self.aeTitle = aeTitle
    }

    public func beginStore(_ rq: StoreRequest, on association: AssociationInfo) throws -> any StagedDataSet {
        let staging = try archive.makeStagingFile()
        do {
            let header = try DicomFile.partTenHeader(sopClassUID: rq.sopClassUID, sopInstanceUID: rq.sopInstanceUID,
                                                     transferSyntaxUID: rq.transferSyntaxUID,
                                                     sourceApplicationEntityTitle: association.callingAETitle,
                                                     receivingApplicationEntityTitle: aeTitle)
            try staging.write(header)
        } catch {
            staging.discard()
            throw error
        }
        return StagedArchiveFile(staging)
    }

    public func finishStore(_ rq: StoreRequest, dataSet: any StagedDataSet, on association: AssociationInfo) async -> StoreOutcome {
        guard let staged = dataSet as? StagedArchiveFile else {
            dataSet.discard()
            return StoreOutcome(status: .processingFailure, errorComment: "staged data set of an unknown kind")
        }
        let context = IngestContext(sourceAETitle: association.callingAETitle,
                                    expectedSOPClassUID: rq.sopClassUID, expectedSOPInstanceUID: rq.sopInstanceUID)
        do {
            // Stored, replaced and a duplicate kept under keep-first all answer success.
            _ = try await archive.ingest(staged.file, context: context)
            return StoreOutcome(status: .success)
        } catch {
            return StoreOutcome(status: error.dimseStatus, errorComment: error.errorComment)
        }
    }
}

/// The StagedDataSet face of an archive staging file.
final class StagedArchiveFile: StagedDataSet {
    let file: StagingFile
    init(_ file: StagingFile) { self.file = file }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try file.write(bytes) }
    func discard() { file.discard() }
}

// PS3.4 Table B.2-1 and PS3.7 Annex C: the status each archive failure is answered with.
extension ArchiveError: DimseStatusConvertible {
    public var dimseStatus: DimseStatus {
        switch self {
        case .unreadable: .cannotUnderstand                          // C000: cannot understand
        case .sopClassMismatch, .sopInstanceMismatch, .studyMismatch, .missingAttribute:
            .dataSetDoesNotMatchSOPClass                             // A900
        case .duplicateRejected: .duplicateSOPInstance               // 0111
        case .identityConflict: .dataSetDoesNotMatchSOPClass         // A900: refused by policy
        case .outOfSpace, .io, .index: .outOfResources               // A700
        }
    }

    public var errorComment: String {
        switch self {
        case .unreadable(let why): "data set does not parse: \(why)"
        case .sopClassMismatch(let expected, let found): "SOP Class UID \(found) in the data set, \(expected) in the command"
        case .sopInstanceMismatch(let expected, let found): "SOP Instance UID \(found) in the data set, \(expected) in the command"
        case .studyMismatch(let expected, let found): "Study Instance UID \(found) in the data set, \(expected) requested"
        case .missingAttribute(let what): "missing \(what)"
        case .duplicateRejected: "duplicate SOP Instance refused by policy"
        case .identityConflict: "Study Instance UID already belongs to another Patient ID"
        case .outOfSpace: "out of disk space"
        case .io: "storage I/O failure"
        case .index: "index failure"
        }
    }
}
