// The worklist and the MPPS instances in their own SQLite file (`worklist.sqlite` in the data
// directory), with their own named migrations, apart from the image index.
import DicomCore
import Foundation
import GRDB

public final class SQLiteWorklistStore: WorklistStore {
    let queue: DatabaseQueue

    /// Opens (creating if needed) the database at `path` and runs its migrations.
    /// - Throws: `.index` when it cannot be opened or migrated.
    public init(path: String) throws(ArchiveError) {
        var config = Configuration()
        config.label = "dicomnode-worklist"
        config.busyMode = .timeout(10)
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(queue)
        } catch {
            throw SQLiteIndex.indexError(error)
        }
    }

    /// Opens `worklist.sqlite` under an archive root.
    public convenience init(dataDirectory: String) throws(ArchiveError) {
        try self.init(path: dataDirectory + "/worklist.sqlite")
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("worklist-v1") { db in
            try db.execute(sql: """
                CREATE TABLE worklistEntry (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    patientName TEXT, patientID TEXT, issuerOfPatientID TEXT, patientBirthDate TEXT, patientSex TEXT,
                    accessionNumber TEXT, requestedProcedureID TEXT, requestedProcedureDescription TEXT,
                    studyInstanceUID TEXT NOT NULL, referringPhysicianName TEXT,
                    scheduledStationAETitle TEXT, modality TEXT, startDate TEXT, startTime TEXT,
                    scheduledProcedureStepID TEXT NOT NULL, scheduledProcedureStepDescription TEXT,
                    scheduledPerformingPhysicianName TEXT,
                    status TEXT NOT NULL, updatedAt REAL NOT NULL,
                    item BLOB NOT NULL);
                CREATE INDEX worklistEntry_patientID ON worklistEntry(patientID);
                CREATE INDEX worklistEntry_accessionNumber ON worklistEntry(accessionNumber);
                CREATE INDEX worklistEntry_station ON worklistEntry(scheduledStationAETitle);
                CREATE INDEX worklistEntry_modality ON worklistEntry(modality);
                CREATE INDEX worklistEntry_start ON worklistEntry(startDate, startTime);
                CREATE INDEX worklistEntry_step ON worklistEntry(scheduledProcedureStepID);
                CREATE INDEX worklistEntry_study ON worklistEntry(studyInstanceUID);
                CREATE INDEX worklistEntry_status ON worklistEntry(status, updatedAt);
                CREATE TABLE performedProcedureStep (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sopInstanceUID TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL,
                    updatedAt REAL NOT NULL,
                    dataSet BLOB NOT NULL);
                """)
        }
        return m
    }

    // MARK: - Worklist

    public func add(_ item: DataSet) async throws(ArchiveError) -> WorklistEntry {
        var item = item
        let accession = item.string(.accessionNumber)
        var step = item.sequence(.scheduledProcedureStepSequence)?.first ?? DataSet()
        step.characterSet = item.characterSet
        if item.sequence(.scheduledProcedureStepSequence)?.first == nil && accession == nil {
            throw .missingAttribute("(0040,0100) Scheduled Procedure Step Sequence")
        }
        do {
            if item.string(.studyInstanceUID) == nil { try item.set(.studyInstanceUID, string: GeneratedUID.make()) }
            if step.string(.scheduledProcedureStepID) == nil {
                try step.set(.scheduledProcedureStepID, string: accession ?? String(GeneratedUID.make().suffix(16)))
            }
            let status = ScheduledStepStatus(rawValue: step.string(.scheduledProcedureStepStatus)?.uppercased() ?? "") ?? .scheduled
            try step.set(.scheduledProcedureStepStatus, string: status.rawValue)
            item.set(.scheduledProcedureStepSequence, sequence: [step])
        } catch {
            throw .unreadable("worklist item: \(error)")
        }
        let json: [UInt8]
        do { json = try item.dicomJSON() } catch { throw .unreadable("worklist item: \(error)") }
        let row = Columns(item: item)
        let now = Date()
        let id: Int64
        do {
            id = try await queue.write { db -> Int64 in
                if let a = row.accessionNumber {
                    try db.execute(sql: "DELETE FROM worklistEntry WHERE accessionNumber = ? AND scheduledProcedureStepID = ?",
                                   arguments: [a, row.stepID])
                }
                try db.execute(sql: """
                    INSERT INTO worklistEntry (patientName, patientID, issuerOfPatientID, patientBirthDate, patientSex,
                        accessionNumber, requestedProcedureID, requestedProcedureDescription, studyInstanceUID,
                        referringPhysicianName, scheduledStationAETitle, modality, startDate, startTime,
                        scheduledProcedureStepID, scheduledProcedureStepDescription, scheduledPerformingPhysicianName,
                        status, updatedAt, item)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                    """, arguments: [row.patientName, row.patientID, row.issuer, row.birthDate, row.sex,
                                     row.accessionNumber, row.requestedProcedureID, row.requestedProcedureDescription,
                                     row.studyUID, row.referring, row.station, row.modality, row.startDate, row.startTime,
                                     row.stepID, row.stepDescription, row.performing, row.status,
                                     now.timeIntervalSince1970, Data(json)])
                return db.lastInsertedRowID
            }
        } catch {
            throw SQLiteIndex.indexError(error)
        }
        return WorklistEntry(id: id, item: item, status: ScheduledStepStatus(rawValue: row.status) ?? .scheduled, updatedAt: now)
    }

    public func entries(_ filter: WorklistPrefilter) async throws(ArchiveError) -> [WorklistEntry] {
        var clauses: [String] = []
        var args: [String] = []
        func add(_ column: String, _ value: String?) {
            guard let value else { return }
            clauses.append("\(column) = ?")
            args.append(value)
        }
        add("patientID", filter.patientID)
        add("accessionNumber", filter.accessionNumber)
        add("scheduledStationAETitle", filter.scheduledStationAETitle)
        add("modality", filter.modality)
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let sql = "SELECT id, status, updatedAt, item FROM worklistEntry \(whereSQL) ORDER BY startDate, startTime, id"
        let values = args
        let rows: [(Int64, String, Double, Data)]
        do {
            rows = try await queue.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values)).map { r in
                    (r["id"] as Int64, r["status"] as String, r["updatedAt"] as Double, r["item"] as Data)
                }
            }
        } catch {
            throw SQLiteIndex.indexError(error)
        }
        return rows.compactMap { id, status, updated, blob in
            guard let item = try? DataSet.fromDicomJSON(Array(blob)).dataSet else { return nil }
            return WorklistEntry(id: id, item: item, status: ScheduledStepStatus(rawValue: status) ?? .scheduled,
                                 updatedAt: Date(timeIntervalSince1970: updated))
        }
    }

    public func setStatus(_ status: ScheduledStepStatus, where key: WorklistStepKey) async throws(ArchiveError) -> Int {
        guard !key.isEmpty else { return 0 }
        var clauses: [String] = []
        var args: [String] = []
        if let v = key.scheduledProcedureStepID { clauses.append("scheduledProcedureStepID = ?"); args.append(v) }
        if let v = key.accessionNumber { clauses.append("accessionNumber = ?"); args.append(v) }
        if let v = key.studyInstanceUID { clauses.append("studyInstanceUID = ?"); args.append(v) }
        if let v = key.requestedProcedureID { clauses.append("requestedProcedureID = ?"); args.append(v) }
        let sql = "SELECT id, item FROM worklistEntry WHERE " + clauses.joined(separator: " AND ")
        let values = args
        let now = Date().timeIntervalSince1970
        do {
            return try await queue.write { db -> Int in
                let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values))
                var changed = 0
                for r in rows {
                    let id: Int64 = r["id"]
                    let blob: Data = r["item"]
                    var item = (try? DataSet.fromDicomJSON(Array(blob)).dataSet) ?? DataSet()
                    if var step = item.sequence(.scheduledProcedureStepSequence)?.first {
                        step.characterSet = item.characterSet
                        try? step.set(.scheduledProcedureStepStatus, string: status.rawValue)
                        item.set(.scheduledProcedureStepSequence, sequence: [step])
                    }
                    let json = (try? item.dicomJSON()).map { Data($0) } ?? blob
                    try db.execute(sql: "UPDATE worklistEntry SET status = ?, updatedAt = ?, item = ? WHERE id = ?",
                                   arguments: [status.rawValue, now, json, id])
                    changed += 1
                }
                return changed
            }
        } catch {
            throw SQLiteIndex.indexError(error)
        }
    }

    public func removeExpired(olderThanHours hours: Double, now: Date) async throws(ArchiveError) -> Int {
        let cutoff = now.timeIntervalSince1970 - hours * 3600
        do {
            return try await queue.write { db -> Int in
                try db.execute(sql: "DELETE FROM worklistEntry WHERE status IN ('COMPLETED', 'DISCONTINUED') AND updatedAt <= ?",
                               arguments: [cutoff])
                return db.changesCount
            }
        } catch {
            throw SQLiteIndex.indexError(error)
        }
    }

    // MARK: - MPPS

    public func createPerformedStep(_ step: PerformedProcedureStep) async throws(ArchiveError) -> Bool {
        let json: [UInt8]
        do { json = try step.dataSet.dicomJSON() } catch { throw .unreadable("MPPS: \(error)") }
        let now = Date().timeIntervalSince1970
        do {
            return try await queue.write { db -> Bool in
                try db.execute(sql: "INSERT OR IGNORE INTO performedProcedureStep (sopInstanceUID, status, updatedAt, dataSet) VALUES (?,?,?,?)",
                               arguments: [step.sopInstanceUID, step.status, now, Data(json)])
                return db.changesCount == 1
            }
        } catch {
            throw SQLiteIndex.indexError(error)
        }
    }

    public func performedStep(_ sopInstanceUID: String) async throws(ArchiveError) -> PerformedProcedureStep? {
        let row: (String, Data)?
        do {
            row = try await queue.read { db in
                try Row.fetchOne(db, sql: "SELECT status, dataSet FROM performedProcedureStep WHERE sopInstanceUID = ?",
                                 arguments: [sopInstanceUID]).map { ($0["status"] as String, $0["dataSet"] as Data) }
            }
        } catch {
            throw SQLiteIndex.indexError(error)
        }
        guard let row else { return nil }
        let ds = (try? DataSet.fromDicomJSON(Array(row.1)).dataSet) ?? DataSet()
        return PerformedProcedureStep(sopInstanceUID: sopInstanceUID, dataSet: ds, status: row.0)
    }

    public func updatePerformedStep(_ step: PerformedProcedureStep) async throws(ArchiveError) {
        let json: [UInt8]
        do { json = try step.dataSet.dicomJSON() } catch { throw .unreadable("MPPS: \(error)") }
        let now = Date().timeIntervalSince1970
        do {
            try await queue.write { db in
                try db.execute(sql: "UPDATE performedProcedureStep SET status = ?, updatedAt = ?, dataSet = ? WHERE sopInstanceUID = ?",
                               arguments: [step.status, now, Data(json), step.sopInstanceUID])
            }
        } catch {
            throw SQLiteIndex.indexError(error)
        }
    }
}

/// The indexed columns of an entry, read from its item.
private struct Columns {
    var patientName, patientID, issuer, birthDate, sex: String?
    var accessionNumber, requestedProcedureID, requestedProcedureDescription, referring: String?
    var studyUID: String
    var station, modality, startDate, startTime, stepDescription, performing: String?
    var stepID: String
    var status: String

    init(item: DataSet) {
        var step = item.sequence(.scheduledProcedureStepSequence)?.first ?? DataSet()
        step.characterSet = item.characterSet
        patientName = item.string(.patientName)
        patientID = item.string(.patientID)
        issuer = item.string(.issuerOfPatientID)
        birthDate = item.string(.patientBirthDate)
        sex = item.string(.patientSex)
        accessionNumber = item.string(.accessionNumber)
        requestedProcedureID = item.string(.requestedProcedureID)
        requestedProcedureDescription = item.string(.requestedProcedureDescription)
        referring = item.string(.referringPhysicianName)
        studyUID = item.string(.studyInstanceUID) ?? ""
        station = step.string(.scheduledStationAETitle)
        modality = step.string(.modality)
        startDate = step.string(.scheduledProcedureStepStartDate)
        startTime = step.string(.scheduledProcedureStepStartTime)
        stepDescription = step.string(.scheduledProcedureStepDescription)
        performing = step.string(.scheduledPerformingPhysicianName)
        stepID = step.string(.scheduledProcedureStepID) ?? ""
        status = step.string(.scheduledProcedureStepStatus) ?? ScheduledStepStatus.scheduled.rawValue
    }
}
