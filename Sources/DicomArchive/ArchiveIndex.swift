/// The index of stored instances: patient → study → series → instance. `SQLiteIndex` (GRDB,
/// WAL) is the default; a PostgreSQL index can implement the same protocol later.
///
/// Every method throws only `ArchiveError` (`.index` for database failures).
public protocol ArchiveIndex: Sendable {
    /// Applies writes in ONE transaction (group commit). Each write is decided on its own
    /// (duplicate and identity policies, in a savepoint), so one refused write does not fail the others.
    /// Returns one outcome per write, in order.
    func apply(_ writes: [IndexWrite]) async throws(ArchiveError) -> [IndexWriteOutcome]
    /// The indexed instance with this SOP Instance UID.
    func instance(sopInstanceUID: String) async throws(ArchiveError) -> IndexedInstance?
    /// The patient identity a study was first stored under, nil when the study is not indexed.
    func studyIdentity(studyInstanceUID: String) async throws(ArchiveError) -> PatientIdentity?
    /// The Study Instance UID a series belongs to, nil when the series is not indexed.
    func studyOfSeries(seriesInstanceUID: String) async throws(ArchiveError) -> String?
    /// A token that changes whenever an instance of the series is added, replaced or removed (for
    /// ETags and caches of series metadata, PS3.18 §10.4.1.2); nil when the series is not indexed.
    /// Several nodes sharing one index see the same token.
    func seriesVersion(seriesInstanceUID: String) async throws(ArchiveError) -> String?
    /// What the ingest policies need, read together: the instance if indexed, the patient
    /// identity its study was first stored under, and the study its series belongs to.
    func decisionInputs(sopInstanceUID: String, studyInstanceUID: String, seriesInstanceUID: String)
        async throws(ArchiveError) -> DecisionInputs
    func instanceCount() async throws(ArchiveError) -> Int
    /// Instances in insertion order, `limit` from `offset`.
    func instances(limit: Int, offset: Int) async throws(ArchiveError) -> [IndexedInstance]
    /// Removes an instance (and its series, study, patient when they become empty); returns the removed row.
    func deleteInstance(sopInstanceUID: String) async throws(ArchiveError) -> IndexedInstance?
    /// Every indexed instance's object path and recorded size.
    func allObjectPaths() async throws(ArchiveError) -> [IndexedInstance]
    /// C-FIND / QIDO-RS: the entities matching `query` (PS3.4 §C.2.2.2), in the order they were
    /// indexed, handed to `each` a page at a time; `each` returns false to stop.
    func find(_ query: IndexQuery, pageSize: Int,
              each: @Sendable ([QueryMatch]) async -> Bool) async throws(ArchiveError) -> FindSummary
}

/// A patient identity as received: (0010,0020) Patient ID and (0010,0021) Issuer of Patient ID.
public struct PatientIdentity: Sendable, Equatable, Hashable {
    public var patientID: String
    public var issuerOfPatientID: String
    public init(patientID: String, issuerOfPatientID: String) {
        self.patientID = patientID
        self.issuerOfPatientID = issuerOfPatientID
    }
}

/// The instance-level facts of an indexed instance.
public struct IndexedInstance: Sendable, Equatable {
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var objectPath: String
    public var fileSize: Int
    public var transferSyntaxUID: String
    public init(sopInstanceUID: String, sopClassUID: String, studyInstanceUID: String, seriesInstanceUID: String,
                objectPath: String, fileSize: Int, transferSyntaxUID: String) {
        self.sopInstanceUID = sopInstanceUID
        self.sopClassUID = sopClassUID
        self.studyInstanceUID = studyInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.objectPath = objectPath
        self.fileSize = fileSize
        self.transferSyntaxUID = transferSyntaxUID
    }
}

/// One instance to index, with the policies that decide duplicates and identity conflicts.
public struct IndexWrite: Sendable {
    public var attributes: InstanceAttributes
    public var duplicatePolicy: DuplicatePolicy
    public var identityConflictPolicy: IdentityConflictPolicy
    public init(attributes: InstanceAttributes, duplicatePolicy: DuplicatePolicy, identityConflictPolicy: IdentityConflictPolicy) {
        self.attributes = attributes
        self.duplicatePolicy = duplicatePolicy
        self.identityConflictPolicy = identityConflictPolicy
    }
}

/// What the index did with one write.
public enum IndexWriteOutcome: Sendable, Equatable {
    /// A new row; `identityConflict` says why it was accepted despite a conflicting identity.
    case inserted(identityConflict: String?)
    /// The row replaced an earlier one whose object (`oldObjectPath`) the caller now removes.
    case replaced(oldObjectPath: String, identityConflict: String?)
    /// Policy keep-first: the instance was already indexed, nothing changed.
    case duplicateIgnored(existingObjectPath: String)
    /// Refused by policy or failed; nothing of this write was indexed.
    case refused(ArchiveError)
}

/// The decision the duplicate and identity policies make for one instance, given what is indexed.
/// Used before the file is moved (to move nothing that will be refused) and again inside the
/// index transaction (the authority when concurrent ingests race).
enum IngestDecision: Equatable {
    case insert(identityConflict: String?)
    case replace(existing: IndexedInstance, identityConflict: String?)
    case ignoreDuplicate(existing: IndexedInstance)
    case refuse(ArchiveError)

    static func decide(incoming: InstanceAttributes, existing: IndexedInstance?, studyIdentity: PatientIdentity?,
                       studyOfSeries: String?, duplicatePolicy: DuplicatePolicy,
                       identityConflictPolicy: IdentityConflictPolicy) -> IngestDecision {
        if let existing {
            switch duplicatePolicy {
            case .keepFirst: return .ignoreDuplicate(existing: existing)
            case .reject: return .refuse(.duplicateRejected(sopInstanceUID: incoming.sopInstanceUID))
            case .replace: break
            }
        }
        var conflict: String?
        let identity = PatientIdentity(patientID: incoming.patientID, issuerOfPatientID: incoming.issuerOfPatientID)
        if let studyIdentity, studyIdentity != identity {
            conflict = "study \(incoming.studyInstanceUID) is indexed under another Patient ID / Issuer of Patient ID"
        } else if let studyOfSeries, studyOfSeries != incoming.studyInstanceUID {
            conflict = "series \(incoming.seriesInstanceUID) is indexed under another study"
        }
        // Replacing an instance with itself under a corrected identity is still a conflict for the
        // study it lands in; the row being replaced is not counted (it goes away).
        if let c = conflict, identityConflictPolicy == .reject {
            return .refuse(.identityConflict(c))
        }
        if let existing { return .replace(existing: existing, identityConflict: conflict) }
        return .insert(identityConflict: conflict)
    }
}

/// The index's answer for one ingest decision (see `ArchiveIndex.decisionInputs`).
public struct DecisionInputs: Sendable {
    public var existing: IndexedInstance?
    public var studyIdentity: PatientIdentity?
    public var studyOfSeries: String?
    public init(existing: IndexedInstance?, studyIdentity: PatientIdentity?, studyOfSeries: String?) {
        self.existing = existing
        self.studyIdentity = studyIdentity
        self.studyOfSeries = studyOfSeries
    }
}

/// An index that can also answer on the calling thread. The archive then runs an ingest on one
/// blocking thread from parse to commit (see `Archive.ingest`); an index that is async only
/// (PostgreSQL over NIO) takes the async path.
public protocol SynchronousArchiveIndex: ArchiveIndex {
    func decisionInputsBlocking(sopInstanceUID: String, studyInstanceUID: String, seriesInstanceUID: String)
        throws(ArchiveError) -> DecisionInputs
    /// Applies the writes in one transaction (see `apply`).
    func applyBlocking(_ writes: [IndexWrite]) throws(ArchiveError) -> [IndexWriteOutcome]
    /// `instance(sopInstanceUID:)` on the calling thread: a retrieve then looks the instance up
    /// and reads its file in one trip to a blocking thread.
    func instanceBlocking(sopInstanceUID: String) throws(ArchiveError) -> IndexedInstance?
}
