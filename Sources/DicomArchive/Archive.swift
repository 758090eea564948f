#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DicomCore
import Synchronization
import Logging
import Metrics

/// Where an instance comes from, and what the request said it is.
public struct IngestContext: Sendable {
    /// The calling AE title (network) or nil (import).
    public var sourceAETitle: String?
    /// Affected SOP Class UID from the C-STORE-RQ (PS3.7 §9.1.1.1); a different (0008,0016) is an error.
    public var expectedSOPClassUID: String?
    /// Affected SOP Instance UID from the C-STORE-RQ; a different (0008,0018) is an error.
    public var expectedSOPInstanceUID: String?
    /// STOW-RS to /studies/{uid} (PS3.18 §10.5.1): a different (0020,000D) is an error.
    public var expectedStudyInstanceUID: String?

    public init(sourceAETitle: String? = nil, expectedSOPClassUID: String? = nil, expectedSOPInstanceUID: String? = nil,
                expectedStudyInstanceUID: String? = nil) {
        self.sourceAETitle = sourceAETitle
        self.expectedSOPClassUID = expectedSOPClassUID
        self.expectedSOPInstanceUID = expectedSOPInstanceUID
        self.expectedStudyInstanceUID = expectedStudyInstanceUID
    }
}

/// What ingest did.
public struct IngestResult: Sendable {
    public enum Disposition: Sendable, Equatable { case stored, replaced, duplicateIgnored }
    public var disposition: Disposition
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    /// Where the file now lives (for `duplicateIgnored`, the file kept).
    public var objectPath: String
    /// E.g. an identity conflict that policy accepted. No patient data.
    public var warnings: [String]
}

/// The crash-safe archive: a file store and an index, and the one ingest path that the DIMSE
/// server (C-STORE) and STOW-RS use.
///
/// Opening takes an exclusive lock on `ROOT/lock`: one process owns an archive at a time.
public final class Archive: Sendable {
    public let configuration: ArchiveConfiguration
    public let store: any FileStore
    public let index: any ArchiveIndex
    let committer: GroupCommitter
    /// Set when the index answers on the calling thread: the ingest fast path (one thread from
    /// parse to commit) uses it.
    let blockingCommitter: BlockingGroupCommitter?
    let uidLocks = KeyedLock()
    /// Ingests running now: `markClosed` refuses to mark the archive closed while one runs.
    private let activeIngests = Mutex(0)
    let logger: Logger
    private let lockDescriptor: Int32
    /// The previous process that had this archive open did not close it (crash, kill -9, power
    /// loss): an object file may have been renamed into `objects/` without its index row.
    public let previousRunEndedUncleanly: Bool
    /// The preview policy's worker, when the policy names any syntax.
    let previews: PreviewQueue?
    /// Counts the times an indexed instance was replaced or dropped (`removals`).
    private let removalCount = Atomic<UInt64>(0)

    /// Opens the archive at `configuration.root`: creates `objects/`, `incoming/`, `quarantine/`,
    /// opens and migrates `index.sqlite`, removes stale files in `incoming/`.
    /// - Throws: `.io` when the root cannot be created or another process holds the archive;
    ///   `.index` when the database cannot be opened.
    public convenience init(configuration: ArchiveConfiguration) throws(ArchiveError) {
        try self.init(configuration: configuration, logger: Logger(label: "dicomnode.archive"))
    }

    /// As `init(configuration:)`, logging to `logger`.
    public convenience init(configuration: ArchiveConfiguration, logger: Logger) throws(ArchiveError) {
        let store = try LocalFileStore(root: configuration.root, durable: configuration.durable)
        let lock = try Self.lock(root: configuration.root)
        do throws(ArchiveError) {
            let index = try SQLiteIndex(path: configuration.root + "/index.sqlite", durable: configuration.durable)
            try self.init(configuration: configuration, store: store, index: index, logger: logger, lockDescriptor: lock)
        } catch {
            close(lock)
            throw error
        }
    }

    /// An archive over any store and index (PostgreSQL, S3 later). Removes stale staging files.
    public convenience init(configuration: ArchiveConfiguration, store: any FileStore, index: any ArchiveIndex,
                            logger: Logger) throws(ArchiveError) {
        try self.init(configuration: configuration, store: store, index: index, logger: logger, lockDescriptor: -1)
    }

    private init(configuration: ArchiveConfiguration, store: any FileStore, index: any ArchiveIndex,
                 logger: Logger, lockDescriptor: Int32) throws(ArchiveError) {
        self.configuration = configuration
        self.store = store
        self.index = index
        self.logger = logger
        self.lockDescriptor = lockDescriptor
        self.previousRunEndedUncleanly = lockDescriptor >= 0 && Self.readState(lockDescriptor) == Self.stateOpen
        self.previews = configuration.previewOnIngest.isEmpty ? nil : PreviewQueue()
        if lockDescriptor >= 0 { try Self.writeState(lockDescriptor, Self.stateOpen, durable: configuration.durable) }
        self.committer = GroupCommitter(index: index)
        self.blockingCommitter = (index as? any SynchronousArchiveIndex).map { BlockingGroupCommitter(index: $0) }
        let stale = try store.removeStaleStagingFiles()
        if stale > 0 {
            logger.info("removed stale staging files", metadata: ["count": "\(stale)"])
        }
        previews?.start { [weak self] job in await self?.runPreview(job) }
    }

    deinit {
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    // The lock file says whether the archive is open ("open") or was closed cleanly ("closed").
    static let stateOpen = "open\n"
    static let stateClosed = "closed\n"

    private static func readState(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 16, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }

    private static func writeState(_ fd: Int32, _ state: String, durable: Bool) throws(ArchiveError) {
        let bytes = Array(state.utf8)
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard n == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0 else {
            throw ArchiveError.from(errno: errno, "write the archive lock file")
        }
        if durable { try POSIX.fsync(fd, "archive lock file") }
    }

    /// Waits until no ingest runs, up to `timeout`. Returns whether the archive is idle.
    public func waitUntilIdle(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while activeIngests.withLock({ $0 }) > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// After an unclean end of the previous run, makes index and files agree again: object files
    /// renamed into place whose index transaction never committed (their instance was never
    /// acknowledged) are indexed, or quarantined when unreadable (`check(repair: true)`).
    /// - Returns: the check's report, or nil when the previous run ended cleanly.
    public func recoverIfNeeded() async throws(ArchiveError) -> CheckReport? {
        guard previousRunEndedUncleanly else { return nil }
        logger.warning("the archive was not closed cleanly by its previous process; reconciling index and files")
        let report = try await check(repair: true)
        logger.notice("reconciled", metadata: ["unindexedFiles": "\(report.unindexedFiles.count)",
                                               "missingFiles": "\(report.missingFiles.count)",
                                               "repaired": "\(report.repaired)"])
        return report
    }

    /// Marks the archive closed cleanly (the next open needs no reconciliation). Call when no
    /// ingest runs any more, e.g. after the servers stopped.
    public func markClosed() {
        guard lockDescriptor >= 0 else { return }
        // An ingest still running could stop between its rename and its commit when the process
        // exits: leave the archive marked open, so that the next start reconciles.
        guard activeIngests.withLock({ $0 }) == 0 else {
            logger.warning("ingests still running at close: the next start will reconcile the archive")
            return
        }
        do throws(ArchiveError) {
            try Self.writeState(lockDescriptor, Self.stateClosed, durable: configuration.durable)
        } catch {
            logger.error("could not mark the archive closed: \(error)")
        }
    }

    private static func lock(root: String) throws(ArchiveError) -> Int32 {
        let fd = open(root + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ArchiveError.from(errno: errno, "open \(root)/lock") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK { throw .io("archive at \(root) is in use by another process or Archive instance") }
            throw ArchiveError.from(errno: e, "lock \(root)/lock")
        }
        return fd
    }

    /// A new staging file in `incoming/`.
    public func makeStagingFile() throws(ArchiveError) -> StagingFile {
        try store.makeStagingFile()
    }

    /// The one ingest path. `staged` holds a complete Part 10 file (preamble, DICM, meta, data set).
    ///
    /// Order: parse headers (stop before Pixel Data) → checks (expected UIDs, required UIDs,
    /// duplicate and identity policy) → fsync file → rename into `objects/` → fsync directory →
    /// index transaction committed (group commit) → return. On any failure the staged file is
    /// removed and nothing is indexed. Returns only when the instance is durable.
    /// - Throws: `ArchiveError`; see its cases for the DIMSE status each maps to.
    public func ingest(_ staged: StagingFile, context: IngestContext) async throws(ArchiveError) -> IngestResult {
        activeIngests.withLock { $0 += 1 }
        defer { activeIngests.withLock { $0 -= 1 } }
        // The fast path: the SOP Instance UID is known from the C-STORE-RQ, so its lock can be
        // taken first and every step done in one trip to a blocking thread.
        if let blocking = blockingCommitter, let uid = context.expectedSOPInstanceUID,
           let syncIndex = index as? any SynchronousArchiveIndex {
            await uidLocks.acquire(uid)
            defer { uidLocks.release(uid) }
            return try await BlockingIO.run { () throws(ArchiveError) -> IngestResult in
                let a = try self.readAttributes(staged, context: context)
                let known: DecisionInputs
                do throws(ArchiveError) {
                    known = try syncIndex.decisionInputsBlocking(sopInstanceUID: a.sopInstanceUID,
                                                                 studyInstanceUID: a.studyInstanceUID,
                                                                 seriesInstanceUID: a.seriesInstanceUID)
                } catch {
                    staged.discard()
                    throw error
                }
                guard case .proceed(let key) = try self.apply(self.decide(a, known), to: staged, a) else {
                    return self.result(.duplicateIgnored, a, key: known.existing?.objectPath ?? "", warnings: [])
                }
                let committed = try self.moveIntoPlace(staged, key: key, a)
                return try self.conclude(blocking.submit(self.indexWrite(committed)), committed, key: key)
            }
        }
        // The async path (an index without a blocking face, or an import whose UID is known only
        // once the file is read): the same steps, each hop awaited.
        let a = try await BlockingIO.run { () throws(ArchiveError) -> InstanceAttributes in
            try self.readAttributes(staged, context: context)
        }
        await uidLocks.acquire(a.sopInstanceUID)
        defer { uidLocks.release(a.sopInstanceUID) }
        let known: DecisionInputs
        do throws(ArchiveError) {
            known = try await index.decisionInputs(sopInstanceUID: a.sopInstanceUID, studyInstanceUID: a.studyInstanceUID,
                                                   seriesInstanceUID: a.seriesInstanceUID)
        } catch {
            staged.discard()
            throw error
        }
        guard case .proceed(let key) = try apply(decide(a, known), to: staged, a) else {
            return result(.duplicateIgnored, a, key: known.existing?.objectPath ?? "", warnings: [])
        }
        let committed = try await BlockingIO.run { () throws(ArchiveError) -> InstanceAttributes in
            try self.moveIntoPlace(staged, key: key, a)
        }
        let outcome = await committer.submit(indexWrite(committed))
        return try await BlockingIO.run { () throws(ArchiveError) -> IngestResult in
            try self.conclude(outcome, committed, key: key)
        }
    }

    // MARK: - The steps of ingest, shared by both paths

    /// Step 1: parse the staged file's headers, check the UIDs against the command (PS3.4
    /// §B.2.3), make the bytes durable. On failure the staged file is removed.
    private func readAttributes(_ staged: StagingFile, context: IngestContext) throws(ArchiveError) -> InstanceAttributes {
        do throws(ArchiveError) {
            let file: DicomFile
            let source = try staged.byteSource()
            do {
                file = try DicomFile.read(source: source, options: .headersOnly)
            } catch {
                throw .unreadable("\(error)")
            }
            var a = try InstanceAttributes(file: file, objectPath: "", fileSize: staged.bytesWritten,
                                           sourceAETitle: context.sourceAETitle, receivedAt: Self.now())
            a.sourceAETitle = context.sourceAETitle
            if let expected = context.expectedSOPClassUID, expected != a.sopClassUID {
                throw ArchiveError.sopClassMismatch(expected: expected, found: a.sopClassUID)
            }
            if let expected = context.expectedSOPInstanceUID, expected != a.sopInstanceUID {
                throw ArchiveError.sopInstanceMismatch(expected: expected, found: a.sopInstanceUID)
            }
            if let expected = context.expectedStudyInstanceUID, expected != a.studyInstanceUID {
                throw ArchiveError.studyMismatch(expected: expected, found: a.studyInstanceUID)
            }
            if let target = compressionTarget(for: a, file: file) {
                a = try compress(staged, to: target, a)
            }
            try staged.finishWriting(durable: configuration.durable)
            return a
        } catch {
            staged.discard()
            throw error
        }
    }

    /// The ingest compression policy's syntax for this instance, when it applies: the instance is
    /// in a native syntax and its modality (or "*") names a compressed one. (Whether it has Pixel
    /// Data is seen once it is read whole, in `compress`.)
    private func compressionTarget(for a: InstanceAttributes, file: DicomFile) -> String? {
        guard !configuration.ingestCompression.isEmpty, !file.transferSyntax.isEncapsulated else { return nil }
        let target = a.modality.flatMap { configuration.ingestCompression[$0] } ?? configuration.ingestCompression["*"]
        // Lossless only: JPEG Baseline/Extended would replace the original (PS3.5 §A.4.1).
        guard let target, target != a.transferSyntaxUID, TransferSyntax(uid: target).isEncapsulated,
              !["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"].contains(target) else { return nil }
        return target
    }

    /// Rewrites the staged file in `target` (lossless), before it is made durable. A codec that
    /// cannot take the image (bit depth, colour) leaves the file as received, with a log line.
    private func compress(_ staged: StagingFile, to target: String, _ a: InstanceAttributes) throws(ArchiveError) -> InstanceAttributes {
        let full: DicomFile
        let source = try staged.byteSource()
        do { full = try DicomFile.read(source: source) } catch { throw .unreadable("\(error)") }
        guard full.dataSet.contains(.pixelData) else { return a }
        let bytes: [UInt8]
        do {
            bytes = try Transcoder.transcode(full, to: TransferSyntax(uid: target), options: .lossless).encoded()
        } catch {
            logger.notice("ingest compression skipped", metadata: ["sopInstanceUID": "\(a.sopInstanceUID)", "to": "\(target)",
                                                                   "reason": "\(error)"])
            return a
        }
        try staged.rewrite(bytes)
        var out = a
        out.transferSyntaxUID = target
        out.fileSize = bytes.count
        return out
    }

    /// Step 2: the duplicate and identity policies against what is indexed.
    private func decide(_ a: InstanceAttributes, _ known: DecisionInputs) -> IngestDecision {
        IngestDecision.decide(incoming: a, existing: known.existing, studyIdentity: known.studyIdentity,
                              studyOfSeries: known.studyOfSeries, duplicatePolicy: configuration.duplicatePolicy,
                              identityConflictPolicy: configuration.identityConflictPolicy)
    }

    private enum Next {
        case proceed(key: String)
        case ignored
    }

    /// Carries out a refusal or a kept duplicate (the staged file goes); otherwise names the object key.
    private func apply(_ decision: IngestDecision, to staged: StagingFile, _ a: InstanceAttributes) throws(ArchiveError) -> Next {
        switch decision {
        case .refuse(let error):
            staged.discard()
            logRefusal(error, sopInstanceUID: a.sopInstanceUID)
            throw error
        case .ignoreDuplicate:
            staged.discard()
            logger.debug("duplicate ignored", metadata: ["sopInstanceUID": "\(a.sopInstanceUID)"])
            return .ignored
        case .insert:
            return .proceed(key: store.key(for: a.sopInstanceUID, avoiding: nil))
        case .replace(let existing, _):
            return .proceed(key: store.key(for: a.sopInstanceUID, avoiding: existing.objectPath))
        }
    }

    /// Step 3: rename into `objects/`, fsync the directory.
    private func moveIntoPlace(_ staged: StagingFile, key: String, _ a: InstanceAttributes) throws(ArchiveError) -> InstanceAttributes {
        var a = a
        do throws(ArchiveError) {
            a.fileSize = try store.commit(staged, as: key)
        } catch {
            staged.discard()
            throw error
        }
        a.objectPath = key
        return a
    }

    private func indexWrite(_ a: InstanceAttributes) -> IndexWrite {
        IndexWrite(attributes: a, duplicatePolicy: configuration.duplicatePolicy,
                   identityConflictPolicy: configuration.identityConflictPolicy)
    }

    /// Step 4's aftermath: what the index transaction decided, and the files it leaves to tidy.
    private func conclude(_ outcome: IndexWriteOutcome, _ a: InstanceAttributes, key: String) throws(ArchiveError) -> IngestResult {
        switch outcome {
        case .inserted(let conflict):
            Self.storedInstances.increment()
            Self.storedBytes.increment(by: a.fileSize)
            schedulePreview(a, key: key)
            return result(.stored, a, key: key, warnings: warnings(conflict, a))
        case .replaced(let old, let conflict):
            noteRemoval()
            if old != key {
                store.removePreview(for: old)
                do throws(ArchiveError) { try store.remove(old) } catch {
                    // The index no longer points at it: `check --repair` quarantines it later.
                    logger.warning("could not remove replaced object", metadata: ["error": "\(error)"])
                }
            }
            Self.storedInstances.increment()
            Self.storedBytes.increment(by: a.fileSize)
            schedulePreview(a, key: key)
            return result(.replaced, a, key: key, warnings: warnings(conflict, a))
        case .duplicateIgnored(let existingPath):
            if existingPath != key { try? store.remove(key) }
            return result(.duplicateIgnored, a, key: existingPath, warnings: [])
        case .refused(let error):
            // Nothing indexed: take the file back out so that no unindexed copy stays behind.
            try? store.remove(key)
            logRefusal(error, sopInstanceUID: a.sopInstanceUID)
            throw error
        }
    }

    private func warnings(_ conflict: String?, _ a: InstanceAttributes) -> [String] {
        guard let conflict else { return [] }
        // Warning level: UIDs only; the Patient IDs involved go to debug (patient data).
        logger.warning("identity conflict accepted by policy", metadata: [
            "sopInstanceUID": "\(a.sopInstanceUID)", "studyInstanceUID": "\(a.studyInstanceUID)",
        ])
        logger.debug("identity conflict details", metadata: [
            "patientID": "\(a.patientID)", "issuerOfPatientID": "\(a.issuerOfPatientID)",
        ])
        return ["identity conflict accepted: \(conflict)"]
    }

    private func logRefusal(_ error: ArchiveError, sopInstanceUID: String) {
        logger.notice("instance refused", metadata: ["sopInstanceUID": "\(sopInstanceUID)", "reason": "\(error)"])
    }

    private func result(_ d: IngestResult.Disposition, _ a: InstanceAttributes, key: String, warnings: [String]) -> IngestResult {
        IngestResult(disposition: d, sopInstanceUID: a.sopInstanceUID, sopClassUID: a.sopClassUID,
                     studyInstanceUID: a.studyInstanceUID, seriesInstanceUID: a.seriesInstanceUID,
                     objectPath: store.localPath(key) ?? key, warnings: warnings)
    }

    /// Prometheus: instances and bytes made durable by ingest (C-STORE, STOW-RS, import).
    static let storedInstances = Counter(label: "dicomnode_instances_stored_total")
    static let storedBytes = Counter(label: "dicomnode_stored_bytes_total")

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: - Queries

    /// Goes up each time an indexed instance is replaced by another file or its row is dropped,
    /// after the index says so. A cache of index answers taken at one value is good while the
    /// value stays (a new instance never changes what an earlier answer said of another one).
    /// This process's changes only: a cache shared by nodes must also check the files.
    public var removals: UInt64 { removalCount.load(ordering: .acquiring) }

    func noteRemoval() { removalCount.add(1, ordering: .releasing) }

    public func instanceCount() async throws(ArchiveError) -> Int {
        try await index.instanceCount()
    }

    /// The file of an indexed instance, nil when it is not indexed.
    public func objectPath(sopInstanceUID: String) async throws(ArchiveError) -> String? {
        guard let row = try await index.instance(sopInstanceUID: sopInstanceUID) else { return nil }
        return store.localPath(row.objectPath) ?? row.objectPath
    }

    /// (transactions committed by the group committer, writes in them, largest batch).
    public var groupCommitStatistics: (transactions: Int, writes: Int, largestBatch: Int) {
        if let b = blockingCommitter?.statistics, b.batches > 0 {
            let a = committer.statistics
            return (a.batches + b.batches, a.writes + b.writes, max(a.largest, b.largest))
        }
        let s = committer.statistics
        return (s.batches, s.writes, s.largest)
    }
}
