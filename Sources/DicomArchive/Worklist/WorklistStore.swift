// PS3.4 Annex K (Modality Worklist) and Annex F (Modality Performed Procedure Step): the
// scheduled procedure steps the node offers to modalities, and the performed procedure steps
// modalities report back. Kept behind a protocol, like the index (see SQLiteWorklistStore).
import DicomCore
import Foundation

/// PS3.3 §C.4.10 Scheduled Procedure Step Status (0040,0020), with the two states MPPS and HL7
/// drive it into (STARTED, COMPLETED/DISCONTINUED).
public enum ScheduledStepStatus: String, Sendable, CaseIterable {
    case scheduled = "SCHEDULED", arrived = "ARRIVED", ready = "READY", started = "STARTED"
    case discontinued = "DISCONTINUED", completed = "COMPLETED"

    /// A final state: the entry expires after `worklist.expire_after_hours`.
    public var isFinal: Bool { self == .discontinued || self == .completed }
}

/// One worklist entry: a Requested Procedure with one Scheduled Procedure Step (PS3.4 §K.6.1.2),
/// as the full item (every attribute given comes back) plus the columns matching uses.
public struct WorklistEntry: Sendable, Equatable {
    public var id: Int64
    /// The whole worklist item, strings decoded (its character set is its own (0008,0005)).
    public var item: DataSet
    public var status: ScheduledStepStatus
    public var updatedAt: Date

    public init(id: Int64, item: DataSet, status: ScheduledStepStatus, updatedAt: Date) {
        self.id = id
        self.item = item
        self.status = status
        self.updatedAt = updatedAt
    }
}

/// Which entries a worklist status change applies to: any entry whose non-nil keys all equal.
public struct WorklistStepKey: Sendable, Equatable {
    public var scheduledProcedureStepID: String?
    public var accessionNumber: String?
    public var studyInstanceUID: String?
    public var requestedProcedureID: String?

    public init(scheduledProcedureStepID: String? = nil, accessionNumber: String? = nil,
                studyInstanceUID: String? = nil, requestedProcedureID: String? = nil) {
        self.scheduledProcedureStepID = scheduledProcedureStepID.flatMap { $0.isEmpty ? nil : $0 }
        self.accessionNumber = accessionNumber.flatMap { $0.isEmpty ? nil : $0 }
        self.studyInstanceUID = studyInstanceUID.flatMap { $0.isEmpty ? nil : $0 }
        self.requestedProcedureID = requestedProcedureID.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// No key at all: such a key selects nothing (never "every entry").
    public var isEmpty: Bool {
        scheduledProcedureStepID == nil && accessionNumber == nil && studyInstanceUID == nil && requestedProcedureID == nil
    }
}

/// Exact-value filters the store applies before the full matching (`WorklistMatcher`).
public struct WorklistPrefilter: Sendable, Equatable {
    public var patientID: String?
    public var accessionNumber: String?
    public var scheduledStationAETitle: String?
    public var modality: String?
    public init() {}
}

/// A stored Modality Performed Procedure Step SOP instance (PS3.4 §F.7).
public struct PerformedProcedureStep: Sendable, Equatable {
    public var sopInstanceUID: String
    public var dataSet: DataSet
    /// (0040,0252): IN PROGRESS, DISCONTINUED or COMPLETED.
    public var status: String

    public init(sopInstanceUID: String, dataSet: DataSet, status: String) {
        self.sopInstanceUID = sopInstanceUID
        self.dataSet = dataSet
        self.status = status
    }
}

public protocol WorklistStore: Sendable {
    /// Adds an entry, or replaces the one with the same Accession Number and Scheduled Procedure
    /// Step ID. Generates a Study Instance UID and an SPS ID when absent; status defaults to SCHEDULED.
    /// - Returns: the stored entry.
    /// - Throws: `.missingAttribute` when the item has no Scheduled Procedure Step Sequence item and
    ///   no Accession Number; `.index` on SQLite failure.
    @discardableResult
    func add(_ item: DataSet) async throws(ArchiveError) -> WorklistEntry
    /// Entries passing the prefilter, ordered by scheduled start.
    func entries(_ filter: WorklistPrefilter) async throws(ArchiveError) -> [WorklistEntry]
    /// Sets the status of the entries `key` selects. - Returns: how many changed.
    @discardableResult
    func setStatus(_ status: ScheduledStepStatus, where key: WorklistStepKey) async throws(ArchiveError) -> Int
    /// Removes COMPLETED/DISCONTINUED entries whose last change is older than `hours`. - Returns: the count.
    @discardableResult
    func removeExpired(olderThanHours hours: Double, now: Date) async throws(ArchiveError) -> Int

    /// Stores a new MPPS instance. - Returns: false when the UID exists already (PS3.4 F.7.2.1: 0111).
    func createPerformedStep(_ step: PerformedProcedureStep) async throws(ArchiveError) -> Bool
    func performedStep(_ sopInstanceUID: String) async throws(ArchiveError) -> PerformedProcedureStep?
    func updatePerformedStep(_ step: PerformedProcedureStep) async throws(ArchiveError)
}

