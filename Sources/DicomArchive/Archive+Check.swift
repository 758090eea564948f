import DicomCore

/// What `Archive.check` found (before repairing) and how many problems it repaired.
/// Paths are store keys relative to the archive root (`objects/ab/<hash>.dcm`).
public struct CheckReport: Sendable, Equatable {
    public var indexedInstances: Int
    public var objectFiles: Int
    /// Indexed instances whose file is gone.
    public var missingFiles: [String]
    /// Object files no index row points at (e.g. left by a crash between rename and commit).
    public var unindexedFiles: [String]
    /// Indexed instances whose file size differs from the one recorded.
    public var sizeMismatches: [String]
    /// Problems repaired (rows dropped, files indexed, files quarantined).
    public var repaired: Int
    public var isConsistent: Bool { missingFiles.isEmpty && unindexedFiles.isEmpty && sizeMismatches.isEmpty }

    public init(indexedInstances: Int, objectFiles: Int, missingFiles: [String], unindexedFiles: [String],
                sizeMismatches: [String], repaired: Int) {
        self.indexedInstances = indexedInstances
        self.objectFiles = objectFiles
        self.missingFiles = missingFiles
        self.unindexedFiles = unindexedFiles
        self.sizeMismatches = sizeMismatches
        self.repaired = repaired
    }
}

extension Archive {
    /// Compares the index with the files: every indexed instance has its file with the recorded
    /// size, every object file is indexed.
    ///
    /// With `repair`: rows whose file is gone are dropped; an unindexed file is indexed (under the
    /// identity policy), or quarantined when it is unreadable, refused, or a leftover of a
    /// replaced instance; a file whose size differs is re-indexed, or quarantined (and its row
    /// dropped) when unreadable. Safe while ingest runs: each instance is repaired under its UID lock.
    public func check(repair: Bool) async throws(ArchiveError) -> CheckReport {
        let rows = try await index.allObjectPaths()
        let store = self.store
        let files = try await BlockingIO.run { () throws(ArchiveError) -> [String: Int] in try store.allObjects() }
        var missing: [IndexedInstance] = []
        var mismatched: [IndexedInstance] = []
        for row in rows {
            if let size = files[row.objectPath] {
                if size != row.fileSize { mismatched.append(row) }
            } else {
                missing.append(row)
            }
        }
        let indexed = Set(rows.map(\.objectPath))
        let unindexed = files.keys.filter { !indexed.contains($0) }.sorted()
        var report = CheckReport(indexedInstances: rows.count, objectFiles: files.count,
                                 missingFiles: missing.map(\.objectPath).sorted(), unindexedFiles: unindexed,
                                 sizeMismatches: mismatched.map(\.objectPath).sorted(), repaired: 0)
        guard repair else { return report }

        for row in missing {
            try await withUIDLock(row.sopInstanceUID) { () async throws(ArchiveError) in
                guard let now = try await index.instance(sopInstanceUID: row.sopInstanceUID), now.objectPath == row.objectPath,
                      try await BlockingIO.run({ () throws(ArchiveError) -> Int? in try store.size(of: row.objectPath) }) == nil
                else { return }
                _ = try await index.deleteInstance(sopInstanceUID: row.sopInstanceUID)
                noteRemoval()
                logger.warning("dropped index row whose file is gone", metadata: ["sopInstanceUID": "\(row.sopInstanceUID)"])
                report.repaired += 1
            }
        }
        for row in mismatched {
            if try await reindex(key: row.objectPath, indexedAs: row.sopInstanceUID) != nil { report.repaired += 1 }
        }
        for key in unindexed {
            if try await reindex(key: key, indexedAs: nil) != nil { report.repaired += 1 }
        }
        return report
    }

    /// Indexes the object `key` from its own headers. `indexedAs`: the instance whose row points
    /// at `key` (a size mismatch), nil for an unindexed file. Returns true when indexed, false
    /// when the file was quarantined, nil when nothing needed doing (an ingest got there first).
    private func reindex(key: String, indexedAs: String?) async throws(ArchiveError) -> Bool? {
        let store = self.store
        let parsed = try await BlockingIO.run { () throws(ArchiveError) -> InstanceAttributes? in
            guard let size = try store.size(of: key) else { return nil }
            do {
                let file = try DicomFile.read(source: try store.open(key), options: .headersOnly)
                return try InstanceAttributes(file: file, objectPath: key, fileSize: size, sourceAETitle: nil,
                                              receivedAt: Self.now())
            } catch {
                return nil
            }
        }
        // The UID lock of the instance concerned: the file's own, or the row's when unreadable.
        guard let uid = parsed?.sopInstanceUID ?? indexedAs else {
            // Unreadable and indexed by nobody.
            guard try await BlockingIO.run({ () throws(ArchiveError) -> Int? in try store.size(of: key) }) != nil else { return nil }
            try await quarantine(key, reason: "unreadable")
            return false
        }
        await uidLocks.acquire(uid)
        defer { uidLocks.release(uid) }
        let existing = try await index.instance(sopInstanceUID: uid)
        guard var attributes = parsed, indexedAs == nil || indexedAs == uid else {
            // Unreadable (or holding another instance than its row says): set aside, drop the row.
            try await quarantine(key, reason: "unreadable or not the indexed instance")
            if let indexedAs, try await index.instance(sopInstanceUID: indexedAs)?.objectPath == key {
                _ = try await index.deleteInstance(sopInstanceUID: indexedAs)
                noteRemoval()
            }
            return false
        }
        if indexedAs == nil, let existing {
            if existing.objectPath == key { return nil }   // an ingest committed it meanwhile
            if try await BlockingIO.run({ () throws(ArchiveError) -> Int? in try store.size(of: existing.objectPath) }) != nil {
                try await quarantine(key, reason: "another file holds this instance")
                return false
            }
        }
        if indexedAs != nil, existing?.objectPath != key { return nil }   // replaced meanwhile
        attributes.objectPath = key
        let outcome = await committer.submit(IndexWrite(attributes: attributes, duplicatePolicy: .replace,
                                                        identityConflictPolicy: configuration.identityConflictPolicy))
        switch outcome {
        case .inserted, .replaced, .duplicateIgnored:
            noteRemoval()
            logger.notice("object file indexed by check", metadata: ["sopInstanceUID": "\(uid)"])
            return true
        case .refused(let error):
            if case .index = error { throw error }
            try await quarantine(key, reason: "\(error)")
            return false
        }
    }

    private func quarantine(_ key: String, reason: String) async throws(ArchiveError) {
        let store = self.store
        let target = try await BlockingIO.run { () throws(ArchiveError) -> String in try store.quarantine(key) }
        logger.warning("object quarantined", metadata: ["object": "\(key)", "to": "\(target)", "reason": "\(reason)"])
    }

    private func withUIDLock(_ uid: String, _ body: () async throws(ArchiveError) -> Void) async throws(ArchiveError) {
        await uidLocks.acquire(uid)
        defer { uidLocks.release(uid) }
        try await body()
    }
}
