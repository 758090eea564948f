// PS3.4 Annex F: the Modality Performed Procedure Step SOP Class (1.2.840.10008.3.1.2.3.3) as
// SCP. N-CREATE makes an instance IN PROGRESS (the scheduled step it names goes STARTED);
// N-SET changes it until it is COMPLETED or DISCONTINUED (the scheduled step follows).
// Statuses (PS3.4 §F.7.2.1.2, §F.7.2.2.2, PS3.7 Annex C): 0000 success, 0111 duplicate SOP
// instance, 0112 no such SOP instance, 0106 invalid attribute value, 0110 processing failure
// (N-SET after the final state, §F.7.2.2.2), 0120 missing attribute, C000-family never.
import DicomArchive
import DicomCore
import Foundation
import Logging

public struct MPPSProvider: DimseServiceProvider {
    public static let sopClass = "1.2.840.10008.3.1.2.3.3"

    /// PS3.7 Annex C statuses used here (not all are in DimseStatus).
    enum Status {
        static let invalidAttributeValue = DimseStatus(rawValue: 0x0106)
        static let noSuchSOPInstance = DimseStatus(rawValue: 0x0112)
        static let missingAttribute = DimseStatus(rawValue: 0x0120)
        static let invalidObjectInstance = DimseStatus(rawValue: 0x0117)
    }

    public let store: any WorklistStore
    let logger: Logger

    public init(store: any WorklistStore, logger: Logger = Logger(label: "dicomnode.mpps")) {
        self.store = store
        self.logger = logger
    }

    public var abstractSyntaxes: Set<String> { [Self.sopClass] }
    public var commandFields: Set<CommandField> { [.nCreateRQ, .nSetRQ] }

    public func perform(_ request: DimseRequest, operation: DimseOperation) async -> DimseReply {
        do {
            let field = request.command.commandField
            if field == .nCreateRQ { return try await create(request) }
            if field == .nSetRQ { return try await set(request) }
            return DimseReply(status: .unrecognizedOperation)
        } catch {
            logger.error("MPPS store error: \(error)")
            return DimseReply(status: .processingFailure, comment: "the MPPS store failed")
        }
    }

    /// PS3.4 §F.7.2.1: N-CREATE. The SCU may leave the instance UID to us (PS3.7 §10.1.5.1.2).
    func create(_ request: DimseRequest) async throws(ArchiveError) -> DimseReply {
        let uid = request.command.affectedSOPInstanceUID ?? GeneratedUID.make()
        guard let ds = request.dataSet else {
            return withUID(DimseReply(status: Status.missingAttribute, comment: "N-CREATE-RQ without an attribute list"), uid)
        }
        // Table F.7.2-1: Performed Procedure Step Status is required and IN PROGRESS at creation.
        guard let status = ds.string(.performedProcedureStepStatus) else {
            return withUID(DimseReply(status: Status.missingAttribute, comment: "(0040,0252) Performed Procedure Step Status missing"), uid)
        }
        guard status == "IN PROGRESS" else {
            return withUID(DimseReply(status: Status.invalidAttributeValue,
                                      comment: "(0040,0252) must be IN PROGRESS in N-CREATE, not \(status)"), uid)
        }
        let created = try await store.createPerformedStep(PerformedProcedureStep(sopInstanceUID: uid, dataSet: ds, status: status))
        guard created else {
            return withUID(DimseReply(status: .duplicateSOPInstance, comment: "MPPS \(uid) exists"), uid)
        }
        let changed = try await updateWorklist(ds, to: .started)
        logger.info("MPPS created", metadata: ["uid": "\(uid)", "worklist": "\(changed)"])
        return withUID(DimseReply(status: .success), uid)
    }

    /// PS3.4 §F.7.2.2: N-SET on an existing instance that is still IN PROGRESS.
    func set(_ request: DimseRequest) async throws(ArchiveError) -> DimseReply {
        // PS3.7 §10.1.3.1: N-SET-RQ names the instance in Requested SOP Instance UID; the
        // response carries it as Affected SOP Instance UID.
        guard let uid = request.command.requestedSOPInstanceUID else {
            return DimseReply(status: Status.missingAttribute, comment: "N-SET-RQ without Requested SOP Instance UID")
        }
        guard var stored = try await store.performedStep(uid) else {
            return withUID(DimseReply(status: Status.noSuchSOPInstance, comment: "no MPPS \(uid)"), uid)
        }
        guard stored.status == "IN PROGRESS" else {
            // §F.7.2.2.2: once COMPLETED or DISCONTINUED the instance may not be changed.
            return withUID(DimseReply(status: .processingFailure,
                                      comment: "Performed Procedure Step Object may no longer be updated (\(stored.status))"), uid)
        }
        let changes = request.dataSet ?? DataSet()
        let newStatus = changes.string(.performedProcedureStepStatus) ?? stored.status
        guard ["IN PROGRESS", "COMPLETED", "DISCONTINUED"].contains(newStatus) else {
            return withUID(DimseReply(status: Status.invalidAttributeValue,
                                      comment: "(0040,0252) \(newStatus) is not IN PROGRESS, COMPLETED or DISCONTINUED"), uid)
        }
        var merged = stored.dataSet
        for e in changes.elements { merged[e.tag] = e }
        if changes[.specificCharacterSet] != nil { merged.characterSet = changes.characterSet }
        stored.dataSet = merged
        stored.status = newStatus
        try await store.updatePerformedStep(stored)
        var changed = 0
        if newStatus == "COMPLETED" { changed = try await updateWorklist(merged, to: .completed) }
        if newStatus == "DISCONTINUED" { changed = try await updateWorklist(merged, to: .discontinued) }
        logger.info("MPPS set", metadata: ["uid": "\(uid)", "status": "\(newStatus)", "worklist": "\(changed)"])
        return withUID(DimseReply(status: .success), uid)
    }

    /// Table F.7.2-1 Scheduled Step Attributes Sequence: each item names the scheduled step
    /// (SPS ID, with Accession Number and Study Instance UID) this performed step carries out.
    func updateWorklist(_ ds: DataSet, to status: ScheduledStepStatus) async throws(ArchiveError) -> Int {
        var changed = 0
        for item in ds.sequence(.scheduledStepAttributesSequence) ?? [] {
            let spsID = item.string(.scheduledProcedureStepID)
            let key = WorklistStepKey(scheduledProcedureStepID: spsID,
                                      accessionNumber: item.string(.accessionNumber),
                                      studyInstanceUID: spsID == nil ? item.string(.studyInstanceUID) : nil)
            changed += try await store.setStatus(status, where: key)
        }
        return changed
    }

    private func withUID(_ reply: DimseReply, _ uid: String) -> DimseReply {
        var r = reply
        r.command.affectedSOPInstanceUID = uid
        return r
    }
}
