import GRDB

extension SQLiteIndex {
    /// The schema's migrations. A migration never changes once merged: add a new one instead.
    ///
    /// Columns are the C-FIND / QIDO-RS matching and return keys of PS3.4 §C.6.1.1, named after
    /// the attribute keywords in camelCase; every matching key has an index.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: patient, study, series, instance") { db in
            try db.execute(sql: """
                CREATE TABLE patient (
                    id INTEGER PRIMARY KEY,
                    patientID TEXT NOT NULL,
                    issuerOfPatientID TEXT NOT NULL DEFAULT '',
                    patientName TEXT,
                    patientBirthDate TEXT,
                    patientSex TEXT,
                    numberOfPatientRelatedStudies INTEGER NOT NULL DEFAULT 0,
                    numberOfPatientRelatedSeries INTEGER NOT NULL DEFAULT 0,
                    numberOfPatientRelatedInstances INTEGER NOT NULL DEFAULT 0
                );
                CREATE UNIQUE INDEX patient_patientID_issuer ON patient(patientID, issuerOfPatientID);
                CREATE INDEX patient_patientName ON patient(patientName);
                CREATE INDEX patient_patientBirthDate ON patient(patientBirthDate);
                CREATE INDEX patient_patientSex ON patient(patientSex);

                CREATE TABLE study (
                    id INTEGER PRIMARY KEY,
                    patientId INTEGER NOT NULL REFERENCES patient(id) ON DELETE RESTRICT,
                    studyInstanceUID TEXT NOT NULL,
                    studyDate TEXT,
                    studyTime TEXT,
                    accessionNumber TEXT,
                    studyID TEXT,
                    studyDescription TEXT,
                    referringPhysicianName TEXT,
                    modalitiesInStudy TEXT,
                    numberOfStudyRelatedSeries INTEGER NOT NULL DEFAULT 0,
                    numberOfStudyRelatedInstances INTEGER NOT NULL DEFAULT 0,
                    patientIDAsReceived TEXT NOT NULL,
                    issuerOfPatientIDAsReceived TEXT NOT NULL DEFAULT ''
                );
                CREATE UNIQUE INDEX study_studyInstanceUID ON study(studyInstanceUID);
                CREATE INDEX study_patientId ON study(patientId);
                CREATE INDEX study_studyDate ON study(studyDate);
                CREATE INDEX study_studyTime ON study(studyTime);
                CREATE INDEX study_accessionNumber ON study(accessionNumber);
                CREATE INDEX study_studyID ON study(studyID);
                CREATE INDEX study_studyDescription ON study(studyDescription);
                CREATE INDEX study_referringPhysicianName ON study(referringPhysicianName);
                CREATE INDEX study_modalitiesInStudy ON study(modalitiesInStudy);

                CREATE TABLE series (
                    id INTEGER PRIMARY KEY,
                    studyId INTEGER NOT NULL REFERENCES study(id) ON DELETE RESTRICT,
                    seriesInstanceUID TEXT NOT NULL,
                    modality TEXT,
                    seriesNumber INTEGER,
                    seriesDescription TEXT,
                    bodyPartExamined TEXT,
                    seriesDate TEXT,
                    seriesTime TEXT,
                    performedProcedureStepStartDate TEXT,
                    numberOfSeriesRelatedInstances INTEGER NOT NULL DEFAULT 0
                );
                CREATE UNIQUE INDEX series_seriesInstanceUID ON series(seriesInstanceUID);
                CREATE INDEX series_studyId ON series(studyId);
                CREATE INDEX series_modality ON series(modality);
                CREATE INDEX series_seriesNumber ON series(seriesNumber);
                CREATE INDEX series_seriesDescription ON series(seriesDescription);
                CREATE INDEX series_bodyPartExamined ON series(bodyPartExamined);
                CREATE INDEX series_seriesDate ON series(seriesDate);
                CREATE INDEX series_seriesTime ON series(seriesTime);
                CREATE INDEX series_performedProcedureStepStartDate ON series(performedProcedureStepStartDate);

                CREATE TABLE instance (
                    id INTEGER PRIMARY KEY,
                    seriesId INTEGER NOT NULL REFERENCES series(id) ON DELETE RESTRICT,
                    sopInstanceUID TEXT NOT NULL,
                    sopClassUID TEXT NOT NULL,
                    instanceNumber INTEGER,
                    transferSyntaxUID TEXT NOT NULL,
                    objectPath TEXT NOT NULL,
                    fileSize INTEGER NOT NULL,
                    sourceAETitle TEXT,
                    receivedAt REAL NOT NULL,
                    numberOfFrames INTEGER,
                    rows INTEGER,
                    columns INTEGER,
                    specificCharacterSet TEXT
                );
                CREATE UNIQUE INDEX instance_sopInstanceUID ON instance(sopInstanceUID);
                CREATE UNIQUE INDEX instance_objectPath ON instance(objectPath);
                CREATE INDEX instance_seriesId ON instance(seriesId);
                CREATE INDEX instance_sopClassUID ON instance(sopClassUID);
                CREATE INDEX instance_instanceNumber ON instance(instanceNumber);
                """)
        }
        migrator.registerMigration("v2: person name matching keys") { db in
            // PS3.4 §C.2.2.2.1: PN matching per component group, case-insensitive; the keys are
            // upper-cased groups (PersonNameKey) so that equality and prefix wildcards use an index.
            for (table, column) in [("patient", "patientName"), ("study", "referringPhysicianName")] {
                for key in SQLiteIndex.personNameColumns(column) {
                    try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(key) TEXT")
                    try db.execute(sql: "CREATE INDEX \(table)_\(key) ON \(table)(\(key))")
                }
                let rows = try Row.fetchAll(db, sql: "SELECT id, \(column) FROM \(table) WHERE \(column) IS NOT NULL")
                for row in rows {
                    let g = PersonNameKey.groups(of: row[1])
                    let keys = SQLiteIndex.personNameColumns(column)
                    try db.execute(sql: "UPDATE \(table) SET \(keys[0]) = ?, \(keys[1]) = ?, \(keys[2]) = ? WHERE id = ?",
                                   arguments: [g.alphabetic, g.ideographic, g.phonetic, row[0] as Int64])
                }
            }
        }
        return migrator
    }
}
