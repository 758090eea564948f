/// What the archive does when an instance arrives whose SOP Instance UID is already stored.
///
/// PS3.4 §B.2.3 leaves this to the SCP ("the SCP may ... store the SOP Instance again or ignore it");
/// the node makes it a setting.
public enum DuplicatePolicy: String, Sendable, Codable, CaseIterable {
    /// Keep the stored instance, discard the new copy, answer success.
    case keepFirst = "keep-first"
    /// Store the new copy in place of the old one.
    case replace
    /// Refuse the new copy (`ArchiveError.duplicateRejected`).
    case reject
}

/// What the archive does when an instance names a study (or series) already stored under another
/// patient identity: same Study Instance UID, another Patient ID or Issuer of Patient ID.
public enum IdentityConflictPolicy: String, Sendable, Codable, CaseIterable {
    /// Store the instance in the existing study and log a warning (the study keeps its patient).
    case accept
    /// Refuse the instance (`ArchiveError.identityConflict`).
    case reject
}

/// Where the archive lives and how it treats duplicates, identity conflicts and durability.
public struct ArchiveConfiguration: Sendable {
    /// The data directory, e.g. `./dicomnode-data`: holds `index.sqlite`, `objects/`, `incoming/`, `quarantine/`.
    public var root: String
    public var duplicatePolicy: DuplicatePolicy
    public var identityConflictPolicy: IdentityConflictPolicy
    /// true: fsync files and directories, SQLite `synchronous=FULL` in WAL mode. false only for tests.
    public var durable: Bool
    /// Ingest compression policy (issue 6): Modality (0008,0060) → the transfer syntax UID an
    /// instance received uncompressed is stored in (a lossless one: JPEG-LS, JPEG 2000, HTJ2K, RLE,
    /// JPEG Lossless); "*" for every other modality. Absent: stored as received. Instances that
    /// arrive compressed are always kept as they are (never recompressed).
    public var ingestCompression: [String: String] = [:]
    /// Preview policy (issue 6): Modality → a lossy transfer syntax UID (JPEG Baseline, JPEG-LS
    /// near-lossless, JPEG 2000 lossy); "*" for every other modality. After an instance is stored,
    /// a copy in that syntax is made in the background and served to a DICOMweb client that asks
    /// for that syntax, instead of transcoding at each request. The stored original stays
    /// authoritative and untouched.
    public var previewOnIngest: [String: String] = [:]
    /// 1–100: the lossy encoders' quality for previews.
    public var previewQuality = 85

    public init(root: String, duplicatePolicy: DuplicatePolicy = .keepFirst,
                identityConflictPolicy: IdentityConflictPolicy = .accept, durable: Bool = true) {
        self.root = root
        self.duplicatePolicy = duplicatePolicy
        self.identityConflictPolicy = identityConflictPolicy
        self.durable = durable
    }
}

/// The module's version of the on-disk layout.
public enum DicomArchiveLayout {
    public static let version = 1
}
