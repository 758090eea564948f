import GRDB

/// The index in SQLite through GRDB: a `DatabasePool` in WAL mode, `synchronous=FULL` when
/// durable, so that a committed transaction survives power loss.
///
/// Error texts carry SQLite's result code and message only, never SQL with values
/// (patient data stays out of errors and logs).
public final class SQLiteIndex: ArchiveIndex {
    let pool: DatabasePool

    /// The most of the database file each connection maps (SQLite docs, PRAGMA mmap_size); SQLite
    /// caps it at its compile-time maximum (2 GiB in Debian's build).
    static let mmapSize: Int64 = 1 << 30

    /// Opens (creating if needed) the database at `path` and runs the migrations.
    /// - Throws: `.index` when the database cannot be opened or migrated.
    public init(path: String, durable: Bool) throws(ArchiveError) {
        var config = Configuration()
        config.label = "dicomnode-index"
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        let synchronous = durable ? "FULL" : "OFF"
        config.prepareDatabase { db in
            // WAL is set by DatabasePool; FULL makes every commit fsync the WAL (SQLite docs, PRAGMA synchronous).
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // Sorting and statement journals in memory: no temporary file per transaction.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Pages read straight from the OS page cache, not copied into each connection's own
            // 2 MiB cache by a pread per page: a C-FIND reading 200 study rows scattered over the
            // table otherwise spends most of its time in those reads (docs/performance.md).
            try db.execute(sql: "PRAGMA mmap_size = \(Self.mmapSize)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB switches a pool to WAL with `synchronous = NORMAL` *after* prepareDatabase,
            // which would let a power loss take back the last commits. Set it again on the pool's
            // one writer connection, where commits happen.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
            try Self.migrator.migrate(pool)
        } catch {
            throw Self.indexError(error)
        }
    }

    /// The writer connection's `PRAGMA synchronous` (0 OFF, 1 NORMAL, 2 FULL), for tests.
    public func writerSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    // The statements of the ingest path are prepared once per connection and reused
    // (GRDB's statement cache): parsing SQL was a fifth of the receiver's CPU time.
    static func exec(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    static func fetchRow(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchInt64(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchString(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func indexError(_ error: any Error) -> ArchiveError {
        if let e = error as? DatabaseError {
            return .index("SQLite error \(e.resultCode.rawValue): \(e.message ?? "no message")")
        }
        if let e = error as? ArchiveError { return e }
        return .index("\(type(of: error))")
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(ArchiveError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.indexError(error)
        }
    }

    // MARK: - Writes

    public func apply(_ writes: [IndexWrite]) async throws(ArchiveError) -> [IndexWriteOutcome] {
        guard !writes.isEmpty else { return [] }
        do {
            return try await pool.write { db in try Self.applyAll(db, writes) }
        } catch {
            throw Self.indexError(error)
        }
    }

    /// One transaction for the batch; each write in its own savepoint so that a refused one
    /// leaves the others in.
    static func applyAll(_ db: Database, _ writes: [IndexWrite]) throws -> [IndexWriteOutcome] {
        var outcomes: [IndexWriteOutcome] = []
        var touched = Touched()
        for write in writes {
            var outcome = IndexWriteOutcome.refused(.index("not applied"))
            do {
                try db.inSavepoint {
                    outcome = try Self.applyOne(db, write, touched: &touched)
                    if case .refused = outcome { return .rollback }
                    return .commit
                }
            } catch {
                outcome = .refused(Self.indexError(error))
            }
            outcomes.append(outcome)
        }
        try Self.refreshDerived(db, touched)
        return outcomes
    }

    /// Rows whose derived counts must be recomputed at the end of the transaction.
    struct Touched {
        var series: Set<Int64> = []
        var studies: Set<Int64> = []
        var patients: Set<Int64> = []
    }

    static func applyOne(_ db: Database, _ write: IndexWrite, touched: inout Touched) throws -> IndexWriteOutcome {
        let a = write.attributes
        let existing = try fetchInstance(db, sopInstanceUID: a.sopInstanceUID)
        let studyRow = try Self.fetchRow(db, sql: """
            SELECT id, patientId, patientIDAsReceived, issuerOfPatientIDAsReceived FROM study WHERE studyInstanceUID = ?
            """, arguments: [a.studyInstanceUID])
        let seriesRow = try Self.fetchRow(db, sql: """
            SELECT series.id AS id, study.studyInstanceUID AS studyInstanceUID
            FROM series JOIN study ON study.id = series.studyId WHERE seriesInstanceUID = ?
            """, arguments: [a.seriesInstanceUID])
        let studyIdentity = studyRow.map {
            PatientIdentity(patientID: $0["patientIDAsReceived"], issuerOfPatientID: $0["issuerOfPatientIDAsReceived"])
        }
        let decision = IngestDecision.decide(
            incoming: a, existing: existing, studyIdentity: studyIdentity,
            studyOfSeries: seriesRow?["studyInstanceUID"],
            duplicatePolicy: write.duplicatePolicy, identityConflictPolicy: write.identityConflictPolicy)

        let conflict: String?
        switch decision {
        case .refuse(let error):
            return .refused(error)
        case .ignoreDuplicate(let existing):
            return .duplicateIgnored(existingObjectPath: existing.objectPath)
        case .insert(let c):
            conflict = c
        case .replace(let old, let c):
            conflict = c
            try deleteInstanceRow(db, sopInstanceUID: old.sopInstanceUID, touched: &touched, keepEmpty: true)
        }

        // Patient: the study's own when the study exists (an accepted conflict does not move it).
        let patientId: Int64
        let studyId: Int64
        if let studyRow {
            studyId = studyRow["id"]
            patientId = studyRow["patientId"]
            if conflict == nil {
                try updatePatient(db, id: patientId, a)
                let r = PersonNameKey.groups(of: a.referringPhysicianName)
                try Self.updateIfChanged(db, table: "study", [
                    ("studyDate", "COALESCE(?1, studyDate)"), ("studyTime", "COALESCE(?2, studyTime)"),
                    ("accessionNumber", "COALESCE(?3, accessionNumber)"), ("studyID", "COALESCE(?4, studyID)"),
                    ("studyDescription", "COALESCE(?5, studyDescription)"),
                    ("referringPhysicianName", "COALESCE(?6, referringPhysicianName)"),
                    ("referringPhysicianNameKey", "CASE WHEN ?6 IS NULL THEN referringPhysicianNameKey ELSE ?7 END"),
                    ("referringPhysicianNameIdeographicKey", "CASE WHEN ?6 IS NULL THEN referringPhysicianNameIdeographicKey ELSE ?8 END"),
                    ("referringPhysicianNamePhoneticKey", "CASE WHEN ?6 IS NULL THEN referringPhysicianNamePhoneticKey ELSE ?9 END"),
                ], id: studyId, arguments: [a.studyDate, a.studyTime, a.accessionNumber, a.studyID, a.studyDescription,
                                            a.referringPhysicianName, r.alphabetic, r.ideographic, r.phonetic])
            }
        } else {
            if let id = try Self.fetchInt64(db, sql: "SELECT id FROM patient WHERE patientID = ? AND issuerOfPatientID = ?",
                                           arguments: [a.patientID, a.issuerOfPatientID]) {
                patientId = id
                try updatePatient(db, id: id, a)
            } else {
                let n = PersonNameKey.groups(of: a.patientName)
                try Self.exec(db, sql: """
                    INSERT INTO patient (patientID, issuerOfPatientID, patientName, patientBirthDate, patientSex,
                        patientNameKey, patientNameIdeographicKey, patientNamePhoneticKey)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [a.patientID, a.issuerOfPatientID, a.patientName, a.patientBirthDate, a.patientSex,
                                     n.alphabetic, n.ideographic, n.phonetic])
                patientId = db.lastInsertedRowID
            }
            let r = PersonNameKey.groups(of: a.referringPhysicianName)
            try Self.exec(db, sql: """
                INSERT INTO study (patientId, studyInstanceUID, studyDate, studyTime, accessionNumber, studyID,
                    studyDescription, referringPhysicianName, patientIDAsReceived, issuerOfPatientIDAsReceived,
                    referringPhysicianNameKey, referringPhysicianNameIdeographicKey, referringPhysicianNamePhoneticKey)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [patientId, a.studyInstanceUID, a.studyDate, a.studyTime, a.accessionNumber, a.studyID,
                                 a.studyDescription, a.referringPhysicianName, a.patientID, a.issuerOfPatientID,
                                 r.alphabetic, r.ideographic, r.phonetic])
            studyId = db.lastInsertedRowID
        }

        let seriesId: Int64
        if let seriesRow {
            seriesId = seriesRow["id"]
            try Self.updateIfChanged(db, table: "series", [
                ("modality", "COALESCE(?1, modality)"), ("seriesNumber", "COALESCE(?2, seriesNumber)"),
                ("seriesDescription", "COALESCE(?3, seriesDescription)"), ("bodyPartExamined", "COALESCE(?4, bodyPartExamined)"),
                ("seriesDate", "COALESCE(?5, seriesDate)"), ("seriesTime", "COALESCE(?6, seriesTime)"),
                ("performedProcedureStepStartDate", "COALESCE(?7, performedProcedureStepStartDate)"),
            ], id: seriesId, arguments: [a.modality, a.seriesNumber, a.seriesDescription, a.bodyPartExamined, a.seriesDate,
                                         a.seriesTime, a.performedProcedureStepStartDate])
            if let owner = try Self.fetchInt64(db, sql: "SELECT studyId FROM series WHERE id = ?", arguments: [seriesId]) {
                touched.studies.insert(owner)
                if let p = try Self.fetchInt64(db, sql: "SELECT patientId FROM study WHERE id = ?", arguments: [owner]) {
                    touched.patients.insert(p)
                }
            }
        } else {
            try Self.exec(db, sql: """
                INSERT INTO series (studyId, seriesInstanceUID, modality, seriesNumber, seriesDescription,
                    bodyPartExamined, seriesDate, seriesTime, performedProcedureStepStartDate)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [studyId, a.seriesInstanceUID, a.modality, a.seriesNumber, a.seriesDescription,
                                 a.bodyPartExamined, a.seriesDate, a.seriesTime, a.performedProcedureStepStartDate])
            seriesId = db.lastInsertedRowID
        }

        try Self.exec(db, sql: """
            INSERT INTO instance (seriesId, sopInstanceUID, sopClassUID, instanceNumber, transferSyntaxUID, objectPath,
                fileSize, sourceAETitle, receivedAt, numberOfFrames, rows, columns, specificCharacterSet)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [seriesId, a.sopInstanceUID, a.sopClassUID, a.instanceNumber, a.transferSyntaxUID, a.objectPath,
                             a.fileSize, a.sourceAETitle, a.receivedAt, a.numberOfFrames, a.rows, a.columns,
                             a.specificCharacterSet])
        touched.series.insert(seriesId)
        touched.studies.insert(studyId)
        touched.patients.insert(patientId)

        if case .replace(let old, _) = decision {
            try removeEmptyParents(db, touched: touched)
            return .replaced(oldObjectPath: old.objectPath, identityConflict: conflict)
        }
        return .inserted(identityConflict: conflict)
    }

    static func updatePatient(_ db: Database, id: Int64, _ a: InstanceAttributes) throws {
        let n = PersonNameKey.groups(of: a.patientName)
        try Self.updateIfChanged(db, table: "patient", [
            ("patientName", "COALESCE(?1, patientName)"), ("patientBirthDate", "COALESCE(?2, patientBirthDate)"),
            ("patientSex", "COALESCE(?3, patientSex)"),
            ("patientNameKey", "CASE WHEN ?1 IS NULL THEN patientNameKey ELSE ?4 END"),
            ("patientNameIdeographicKey", "CASE WHEN ?1 IS NULL THEN patientNameIdeographicKey ELSE ?5 END"),
            ("patientNamePhoneticKey", "CASE WHEN ?1 IS NULL THEN patientNamePhoneticKey ELSE ?6 END"),
        ], id: id, arguments: [a.patientName, a.patientBirthDate, a.patientSex, n.alphabetic, n.ideographic, n.phonetic])
    }

    /// `UPDATE table SET column = expression, … WHERE id = ?` that leaves the row alone when every
    /// expression equals the column's value (`IS`: NULL equals NULL). Writing equal values would
    /// still rewrite a page of every index on those columns, each a WAL frame at the commit: the
    /// instances of a series all carry the same study and series attributes.
    /// - Parameters:
    ///   - assignments: expressions name their arguments ?1…?N (an argument may be used twice).
    ///   - arguments: ?1…?N; the row id is bound after them.
    static func updateIfChanged(_ db: Database, table: String, _ assignments: [(column: String, expression: String)],
                                id: Int64, arguments: [(any DatabaseValueConvertible)?]) throws {
        let set = assignments.map { "\($0.column) = \($0.expression)" }.joined(separator: ", ")
        let same = assignments.map { "\($0.column) IS \($0.expression)" }.joined(separator: " AND ")
        try Self.exec(db, sql: "UPDATE \(table) SET \(set) WHERE id = ?\(arguments.count + 1) AND NOT (\(same))",
                      arguments: StatementArguments(arguments + [id]))
    }

    /// Deletes an instance row; records its parents as touched. Unless `keepEmpty`, removes parents left empty.
    static func deleteInstanceRow(_ db: Database, sopInstanceUID: String, touched: inout Touched, keepEmpty: Bool) throws {
        guard let row = try Self.fetchRow(db, sql: """
            SELECT instance.id AS id, series.id AS seriesId, study.id AS studyId, study.patientId AS patientId
            FROM instance JOIN series ON series.id = instance.seriesId JOIN study ON study.id = series.studyId
            WHERE sopInstanceUID = ?
            """, arguments: [sopInstanceUID]) else { return }
        try Self.exec(db, sql: "DELETE FROM instance WHERE id = ?", arguments: [row["id"] as Int64])
        touched.series.insert(row["seriesId"])
        touched.studies.insert(row["studyId"])
        touched.patients.insert(row["patientId"])
        if !keepEmpty { try removeEmptyParents(db, touched: touched) }
    }

    /// Series without instances, studies without series and patients without studies go.
    static func removeEmptyParents(_ db: Database, touched: Touched) throws {
        for id in touched.series {
            try Self.exec(db, sql: "DELETE FROM series WHERE id = ? AND NOT EXISTS (SELECT 1 FROM instance WHERE seriesId = ?)",
                           arguments: [id, id])
        }
        for id in touched.studies {
            try Self.exec(db, sql: "DELETE FROM study WHERE id = ? AND NOT EXISTS (SELECT 1 FROM series WHERE studyId = ?)",
                           arguments: [id, id])
        }
        for id in touched.patients {
            try Self.exec(db, sql: "DELETE FROM patient WHERE id = ? AND NOT EXISTS (SELECT 1 FROM study WHERE patientId = ?)",
                           arguments: [id, id])
        }
    }

    /// Modalities in Study of the study row `study.id`, from its series.
    static let modalitiesInStudy = """
        SELECT group_concat(modality, '\\') FROM (SELECT DISTINCT modality FROM series
                                                 WHERE studyId = study.id AND modality IS NOT NULL ORDER BY modality)
        """

    /// Recomputes the derived keys of PS3.4 §C.6.1.1: Modalities in Study and the Number of … Related … counts.
    static func refreshDerived(_ db: Database, _ touched: Touched) throws {
        for id in touched.series {
            try Self.exec(db, sql: """
                UPDATE series SET numberOfSeriesRelatedInstances = (SELECT COUNT(*) FROM instance WHERE seriesId = series.id)
                WHERE id = ?
                """, arguments: [id])
        }
        for id in touched.studies {
            try Self.exec(db, sql: """
                UPDATE study SET
                    numberOfStudyRelatedSeries = (SELECT COUNT(*) FROM series WHERE studyId = study.id),
                    numberOfStudyRelatedInstances = (SELECT COUNT(*) FROM instance JOIN series ON series.id = instance.seriesId
                                                     WHERE series.studyId = study.id)
                WHERE id = ?
                """, arguments: [id])
            // Indexed: written only when it changes.
            try Self.updateIfChanged(db, table: "study", [("modalitiesInStudy", "(\(modalitiesInStudy))")], id: id, arguments: [])
        }
        for id in touched.patients {
            try Self.exec(db, sql: """
                UPDATE patient SET
                    numberOfPatientRelatedStudies = (SELECT COUNT(*) FROM study WHERE patientId = patient.id),
                    numberOfPatientRelatedSeries = (SELECT COUNT(*) FROM series JOIN study ON study.id = series.studyId
                                                    WHERE study.patientId = patient.id),
                    numberOfPatientRelatedInstances = (SELECT COUNT(*) FROM instance JOIN series ON series.id = instance.seriesId
                                                       JOIN study ON study.id = series.studyId WHERE study.patientId = patient.id)
                WHERE id = ?
                """, arguments: [id])
        }
    }

    // MARK: - Reads

    static let instanceColumns = """
        SELECT instance.sopInstanceUID, instance.sopClassUID, study.studyInstanceUID, series.seriesInstanceUID,
               instance.objectPath, instance.fileSize, instance.transferSyntaxUID
        FROM instance JOIN series ON series.id = instance.seriesId JOIN study ON study.id = series.studyId
        """

    static func instance(from row: Row) -> IndexedInstance {
        IndexedInstance(sopInstanceUID: row[0], sopClassUID: row[1], studyInstanceUID: row[2], seriesInstanceUID: row[3],
                        objectPath: row[4], fileSize: row[5], transferSyntaxUID: row[6])
    }

    static func fetchInstance(_ db: Database, sopInstanceUID: String) throws -> IndexedInstance? {
        try Self.fetchRow(db, sql: instanceColumns + " WHERE instance.sopInstanceUID = ?", arguments: [sopInstanceUID])
            .map(instance(from:))
    }

    public func instance(sopInstanceUID: String) async throws(ArchiveError) -> IndexedInstance? {
        try await read { db in try Self.fetchInstance(db, sopInstanceUID: sopInstanceUID) }
    }

    public func studyIdentity(studyInstanceUID: String) async throws(ArchiveError) -> PatientIdentity? {
        try await read { db in
            try Self.fetchRow(db, sql: """
                SELECT patientIDAsReceived, issuerOfPatientIDAsReceived FROM study WHERE studyInstanceUID = ?
                """, arguments: [studyInstanceUID]).map { PatientIdentity(patientID: $0[0], issuerOfPatientID: $0[1]) }
        }
    }

    public func studyOfSeries(seriesInstanceUID: String) async throws(ArchiveError) -> String? {
        try await read { db in
            try Self.fetchString(db, sql: """
                SELECT study.studyInstanceUID FROM series JOIN study ON study.id = series.studyId WHERE seriesInstanceUID = ?
                """, arguments: [seriesInstanceUID])
        }
    }

    public func seriesVersion(seriesInstanceUID: String) async throws(ArchiveError) -> String? {
        try await read { db in
            // Every insert or replacement writes receivedAt = now and a new row or object path;
            // a removal changes the count. Indexed: series by UID, instance by seriesId.
            guard let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(i.id) AS n, MAX(i.id) AS maxId, MAX(i.receivedAt) AS latest, SUM(i.fileSize) AS bytes
                FROM series se JOIN instance i ON i.seriesId = se.id WHERE se.seriesInstanceUID = ?
                """, arguments: [seriesInstanceUID]) else { return nil }
            let n: Int = row["n"] ?? 0
            guard n > 0 else { return nil }
            let maxId: Int64 = row["maxId"] ?? 0
            let latest: Double = row["latest"] ?? 0
            let bytes: Int64 = row["bytes"] ?? 0
            return "\(n)-\(maxId)-\(Int64(latest * 1_000_000))-\(bytes)"
        }
    }

    public func decisionInputs(sopInstanceUID: String, studyInstanceUID: String, seriesInstanceUID: String)
        async throws(ArchiveError) -> DecisionInputs {
        try await read { db in
            try Self.decisionInputs(db, sopInstanceUID: sopInstanceUID, studyInstanceUID: studyInstanceUID,
                                    seriesInstanceUID: seriesInstanceUID)
        }
    }

    static func decisionInputs(_ db: Database, sopInstanceUID: String, studyInstanceUID: String,
                               seriesInstanceUID: String) throws -> DecisionInputs {
        let existing = try Self.fetchInstance(db, sopInstanceUID: sopInstanceUID)
        let identity = try Self.fetchRow(db, sql: """
            SELECT patientIDAsReceived, issuerOfPatientIDAsReceived FROM study WHERE studyInstanceUID = ?
            """, arguments: [studyInstanceUID]).map { PatientIdentity(patientID: $0[0], issuerOfPatientID: $0[1]) }
        let study = try Self.fetchString(db, sql: """
            SELECT study.studyInstanceUID FROM series JOIN study ON study.id = series.studyId WHERE seriesInstanceUID = ?
            """, arguments: [seriesInstanceUID])
        return DecisionInputs(existing: existing, studyIdentity: identity, studyOfSeries: study)
    }

    public func instanceCount() async throws(ArchiveError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instance") ?? 0 }
    }

    public func instances(limit: Int, offset: Int) async throws(ArchiveError) -> [IndexedInstance] {
        try await read { db in
            try Row.fetchAll(db, sql: Self.instanceColumns + " ORDER BY instance.id LIMIT ? OFFSET ?",
                             arguments: [limit, offset]).map(Self.instance(from:))
        }
    }

    public func allObjectPaths() async throws(ArchiveError) -> [IndexedInstance] {
        try await read { db in
            try Row.fetchAll(db, sql: Self.instanceColumns + " ORDER BY instance.id").map(Self.instance(from:))
        }
    }

    public func deleteInstance(sopInstanceUID: String) async throws(ArchiveError) -> IndexedInstance? {
        do {
            return try await pool.write { db in
                guard let existing = try Self.fetchInstance(db, sopInstanceUID: sopInstanceUID) else { return nil }
                var touched = Touched()
                try Self.deleteInstanceRow(db, sopInstanceUID: sopInstanceUID, touched: &touched, keepEmpty: false)
                try Self.refreshDerived(db, touched)
                return existing
            }
        } catch {
            throw Self.indexError(error)
        }
    }

    // MARK: - Derived keys (for tests and the query services)

    /// Modalities in Study, Number of Study Related Series / Instances for one study.
    public func studySummary(studyInstanceUID: String) async throws(ArchiveError) -> StudySummary? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT study.modalitiesInStudy, study.numberOfStudyRelatedSeries, study.numberOfStudyRelatedInstances,
                       patient.patientID, study.patientIDAsReceived
                FROM study JOIN patient ON patient.id = study.patientId WHERE studyInstanceUID = ?
                """, arguments: [studyInstanceUID]).map {
                StudySummary(modalitiesInStudy: ($0[0] as String?)?.split(separator: "\\").map(String.init) ?? [],
                             numberOfStudyRelatedSeries: $0[1], numberOfStudyRelatedInstances: $0[2],
                             patientID: $0[3], patientIDAsReceived: $0[4])
            }
        }
    }
}

/// The derived study-level keys of PS3.4 §C.6.1.1.3 and the study's patient.
public struct StudySummary: Sendable, Equatable {
    public var modalitiesInStudy: [String]
    public var numberOfStudyRelatedSeries: Int
    public var numberOfStudyRelatedInstances: Int
    /// The Patient ID of the patient row the study belongs to.
    public var patientID: String
    /// The Patient ID the study was first received with.
    public var patientIDAsReceived: String
}

// The blocking face, for the ingest fast path: the whole ingest of an instance runs on one
// thread, without a hop per step (each hop is a thread wake-up, ~0.1–0.5 ms on 2 cores).
extension SQLiteIndex: SynchronousArchiveIndex {
    public func decisionInputsBlocking(sopInstanceUID: String, studyInstanceUID: String,
                                       seriesInstanceUID: String) throws(ArchiveError) -> DecisionInputs {
        do {
            return try pool.read { db in
                try Self.decisionInputs(db, sopInstanceUID: sopInstanceUID, studyInstanceUID: studyInstanceUID,
                                        seriesInstanceUID: seriesInstanceUID)
            }
        } catch {
            throw Self.indexError(error)
        }
    }

    public func instanceBlocking(sopInstanceUID: String) throws(ArchiveError) -> IndexedInstance? {
        do {
            return try pool.read { db in try Self.fetchInstance(db, sopInstanceUID: sopInstanceUID) }
        } catch {
            throw Self.indexError(error)
        }
    }

    public func applyBlocking(_ writes: [IndexWrite]) throws(ArchiveError) -> [IndexWriteOutcome] {
        guard !writes.isEmpty else { return [] }
        do {
            return try pool.write { db in try Self.applyAll(db, writes) }
        } catch {
            throw Self.indexError(error)
        }
    }
}
