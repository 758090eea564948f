// PS3.4 Annex J: the Storage Commitment Push Model SOP Class (1.2.840.10008.1.20.1), SCP role.
// N-ACTION (Action Type 1, "Request Storage Commitment", PS3.4 §J.3.2) is answered 0000 once the
// request is understood; the result goes back as N-EVENT-REPORT (PS3.4 §J.3.3): Event Type 1
// when every referenced instance is in the archive, 2 when some are not (Failed SOP Sequence,
// Failure Reason 0112 "no such object instance" or 0119 "class / instance conflict", PS3.4
// §J.3.3.1.1). The report goes on the same association right after the N-ACTION response, or on
// a new one (StorageCommitmentReporter) — as configured, and as the fallback when the requestor
// has gone or does not answer on the same association.
// N-ACTION statuses (PS3.7 §10.1.4.1.10): 0000; 0112 wrong SOP instance (not the well-known
// instance); 0123 no such action type; 0120 missing attribute; 0110 processing failure.
import DicomArchive
import DicomCore
import Logging

public struct StorageCommitmentProvider: DimseServiceProvider {
    /// PS3.4 §J.3.1 / PS3.6 Annex A.
    public static let sopClassUID = "1.2.840.10008.1.20.1"
    /// The well-known SOP Instance of the Storage Commitment Push Model (PS3.4 §J.3.5).
    public static let wellKnownInstanceUID = "1.2.840.10008.1.20.1.1"

    public let index: any ArchiveIndex
    public let settings: StorageCommitmentSettings
    let reporter: StorageCommitmentReporter
    let logger: Logger
    public var aeTitle: String { settings.aeTitle }

    public init(index: any ArchiveIndex, settings: StorageCommitmentSettings, logger: Logger = Logger(label: "dicomnode.stgcmt")) {
        self.index = index
        self.settings = settings
        self.reporter = StorageCommitmentReporter(settings: settings, logger: logger)
        self.logger = logger
    }

    public init(index: any ArchiveIndex, aeTitle: String, logger: Logger = Logger(label: "dicomnode.stgcmt")) {
        self.init(index: index, settings: StorageCommitmentSettings(aeTitle: aeTitle), logger: logger)
    }

    public var abstractSyntaxes: Set<String> { [Self.sopClassUID] }
    public var commandFields: Set<CommandField> { [.nActionRQ] }

    // PS3.7 Annex C statuses used here.
    static let noSuchObjectInstance = DimseStatus(rawValue: 0x0112)
    static let classInstanceConflict = DimseStatus(rawValue: 0x0119)
    static let missingAttribute = DimseStatus(rawValue: 0x0120)
    static let noSuchActionType = DimseStatus(rawValue: 0x0123)

    static let transactionUID = Tag(0x0008, 0x1195)
    static let referencedSOPSequence = Tag(0x0008, 0x1199)
    static let failedSOPSequence = Tag(0x0008, 0x1198)
    static let referencedSOPClassUID = Tag(0x0008, 0x1150)
    static let referencedSOPInstanceUID = Tag(0x0008, 0x1155)
    static let failureReason = Tag(0x0008, 0x1197)
    static let retrieveAETitle = Tag(0x0008, 0x0054)

    public func perform(_ request: DimseRequest, operation: DimseOperation) async -> DimseReply {
        var rsp = DimseReply(status: .success)
        rsp.command.affectedSOPInstanceUID = Self.wellKnownInstanceUID
        let actionType = request.command.uint16(0x1008)
        rsp.command.setUInt16(0x1008, actionType)
        guard request.command.requestedSOPInstanceUID == Self.wellKnownInstanceUID else {
            return failure(Self.noSuchObjectInstance, "Requested SOP Instance UID is not \(Self.wellKnownInstanceUID)")
        }
        guard actionType == 1 else {
            return failure(Self.noSuchActionType, "Action Type ID \(actionType.map(String.init) ?? "missing") is not 1")
        }
        guard let ds = request.dataSet, let transaction = ds.string(Self.transactionUID), !transaction.isEmpty,
              let items = ds.sequence(Self.referencedSOPSequence), !items.isEmpty else {
            return failure(Self.missingAttribute, "Transaction UID (0008,1195) and Referenced SOP Sequence (0008,1199) are required")
        }
        // PS3.4 §J.3.3.1.1: check every referenced instance against the archive.
        var committed: [DataSet] = []
        var failed: [DataSet] = []
        for item in items {
            let cls = item.string(Self.referencedSOPClassUID) ?? ""
            let inst = item.string(Self.referencedSOPInstanceUID) ?? ""
            var out = DataSet()
            do {
                try out.set(Self.referencedSOPClassUID, string: cls, vr: .UI)
                try out.set(Self.referencedSOPInstanceUID, string: inst, vr: .UI)
                let stored = inst.isEmpty ? nil : try await index.instance(sopInstanceUID: inst)
                if let stored, stored.sopClassUID == cls {
                    try out.set(Self.retrieveAETitle, string: aeTitle, vr: .AE)
                    committed.append(out)
                } else {
                    let reason = stored == nil ? Self.noSuchObjectInstance : Self.classInstanceConflict
                    try out.set(Self.failureReason, ints: [Int(reason.rawValue)], vr: .US)
                    failed.append(out)
                }
            } catch {
                logger.error("storage commitment: \(error)", metadata: ["assoc": "\(operation.association.id)"])
                return failure(.processingFailure, "the index could not be read")
            }
        }
        var reportDataSet = DataSet()
        do {
            try reportDataSet.set(Self.transactionUID, string: transaction, vr: .UI)
            if !committed.isEmpty { reportDataSet.set(Self.referencedSOPSequence, sequence: committed) }
            if !failed.isEmpty { reportDataSet.set(Self.failedSOPSequence, sequence: failed) }
        } catch {
            return failure(.processingFailure, "the event report could not be built")
        }
        let report = StorageCommitmentReport(transactionUID: transaction, eventTypeID: failed.isEmpty ? 1 : 2,
                                             eventInformation: reportDataSet)
        let meta: Logger.Metadata = ["assoc": "\(operation.association.id)", "transaction": "\(transaction)",
                                     "committed": "\(committed.count)", "failed": "\(failed.count)"]
        // The N-ACTION response first (PS3.4 §J.3.2), then the report.
        do {
            try await operation.send(rsp)
        } catch {
            // The requestor went away before the response: a report on a new association would
            // answer a request it does not know was received; it will ask again.
            return .alreadySent
        }
        let requestor = settings.remote(operation.association.callingAETitle)
        if settings.reportAssociation == .new, let requestor {
            logger.info("storage commitment: report goes on a new association to \(requestor)", metadata: meta)
            reporter.submit(report, to: requestor)
            return .alreadySent
        }
        // Event Type ID 1 or 2, PS3.4 §J.3.3.
        let event = CommandSet.eventReportRequest(sopClassUID: Self.sopClassUID, sopInstanceUID: Self.wellKnownInstanceUID,
                                                  eventTypeID: report.eventTypeID)
        do {
            let bytes = try DimseDataSetCoding.encode(reportDataSet, transferSyntax: request.context.transferSyntax)
            let seconds = settings.reportTimeout.components.seconds
            let answer = try await operation.sendRequest(event, dataSet: bytes, contextID: request.context.id,
                                                         timeout: .seconds(max(1, seconds)))
            logger.info("storage commitment: N-EVENT-REPORT answered \(answer.status.map { String($0.rawValue, radix: 16) } ?? "?")",
                        metadata: meta)
        } catch {
            if let requestor {
                logger.notice("storage commitment: N-EVENT-REPORT not delivered on the same association (\(error)); trying a new association to \(requestor)",
                              metadata: meta)
                reporter.submit(report, to: requestor)
            } else {
                let calling = operation.association.callingAETitle
                logger.warning("storage commitment: N-EVENT-REPORT not delivered (\(error)); \(calling) is not a configured remote AE, so the result is lost until it asks again",
                               metadata: meta)
            }
        }
        return .alreadySent
    }

    private func failure(_ status: DimseStatus, _ comment: String) -> DimseReply {
        var r = DimseReply(status: status, comment: comment)
        r.command.affectedSOPInstanceUID = Self.wellKnownInstanceUID
        return r
    }
}
