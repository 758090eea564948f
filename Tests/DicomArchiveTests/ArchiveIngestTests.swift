import DicomCore
import DicomTestSupport
import Foundation
import GRDB
import Testing
@testable import DicomArchive

@Suite("Archive ingest")
struct ArchiveIngestTests {
    @Test("SHA-256 gives the FIPS 180-4 example digests")
    func sha256Vectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test("an ingested instance is stored under the hash of its UID, byte for byte, and indexed")
    func ingestStoresAndIndexes() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(durable: true)
        let uid = "1.2.826.0.1.3680043.2.1125.1.1.1"
        let bytes = try Sample.partTen(Sample.dataSet(sop: uid))
        let staged = try Sample.stage(bytes, in: archive)
        #expect(staged.bytesWritten == bytes.count)

        let result = try await archive.ingest(staged, context: IngestContext(
            sourceAETitle: "STORESCU", expectedSOPClassUID: Sample.ctImageStorage, expectedSOPInstanceUID: uid))

        let hash = SHA256.hex(Array(uid.utf8))
        let expectedPath = "\(root.path)/objects/\(hash.prefix(2))/\(hash).dcm"
        #expect(result.disposition == .stored)
        #expect(result.sopInstanceUID == uid)
        #expect(result.sopClassUID == Sample.ctImageStorage)
        #expect(result.studyInstanceUID == "1.2.826.0.1.3680043.2.1125.1")
        #expect(result.objectPath == expectedPath)
        #expect(result.warnings.isEmpty)
        #expect(Sample.read(expectedPath) == bytes)
        #expect(try await archive.instanceCount() == 1)
        #expect(try await archive.objectPath(sopInstanceUID: uid) == expectedPath)
        #expect(root.files(in: "incoming").isEmpty)
        let row = try #require(try await archive.index.instance(sopInstanceUID: uid))
        #expect(row.fileSize == bytes.count)
        #expect(row.transferSyntaxUID == "1.2.840.10008.1.2.1")
        #expect(row.seriesInstanceUID == "1.2.826.0.1.3680043.2.1125.1.1")
    }

    @Test("the study's derived keys count its series and instances and list its modalities")
    func derivedStudyKeys() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        for (i, (series, modality)) in [("1.5.1", "CT"), ("1.5.1", "CT"), ("1.5.2", "MR")].enumerated() {
            let bytes = try Sample.partTen(Sample.dataSet(sop: "1.5.9.\(i)", study: "1.5", series: series, modality: modality))
            _ = try await archive.ingest(try Sample.stage(bytes, in: archive), context: IngestContext())
        }
        let index = try #require(archive.index as? SQLiteIndex)
        let summary = try #require(try await index.studySummary(studyInstanceUID: "1.5"))
        #expect(summary.modalitiesInStudy == ["CT", "MR"])
        #expect(summary.numberOfStudyRelatedSeries == 2)
        #expect(summary.numberOfStudyRelatedInstances == 3)
        #expect(summary.patientID == "PID-1")
    }

    @Test("series and study attributes: a later instance fills and changes them; one that repeats them writes no row")
    func attributeUpdatesOnlyWhenChanged() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        let index = try #require(archive.index as? SQLiteIndex)
        func ingest(_ ds: DataSet) async throws {
            _ = try await archive.ingest(try Sample.stage(try Sample.partTen(ds), in: archive), context: IngestContext())
        }
        func row(_ sql: String) throws -> [String] {
            try index.pool.read { db in
                let r = try #require(try Row.fetchOne(db, sql: sql))
                return (0..<r.count).map { (r[$0] as DatabaseValue).description }
            }
        }
        try await ingest(Sample.dataSet(sop: "1.6.1", study: "1.6", series: "1.6.1", omit: .accessionNumber))
        #expect(try row("SELECT accessionNumber, seriesDescription FROM study JOIN series ON series.studyId = study.id") == ["NULL", "\"first\""])
        // Fills what was missing, replaces what differs.
        try await ingest(Sample.dataSet(sop: "1.6.2", study: "1.6", series: "1.6.1", description: "second"))
        #expect(try row("SELECT accessionNumber, seriesDescription FROM study JOIN series ON series.studyId = study.id") == ["\"ACC1\"", "\"second\""])
        // Absent in a later instance: kept (COALESCE).
        try await ingest(Sample.dataSet(sop: "1.6.3", study: "1.6", series: "1.6.1", description: "second", omit: .accessionNumber))
        #expect(try row("SELECT accessionNumber, seriesDescription, numberOfSeriesRelatedInstances FROM study JOIN series ON series.studyId = study.id")
                == ["\"ACC1\"", "\"second\"", "3"])

        // The same values again: the guarded UPDATE changes no row (so writes no index page).
        let a = try InstanceAttributes(file: DicomFile(dataSet: Sample.dataSet(sop: "1.6.4", study: "1.6", series: "1.6.1", description: "second"),
                                                       transferSyntax: .explicitVRLittleEndian),
                                       objectPath: "", fileSize: 0, sourceAETitle: nil, receivedAt: 0)
        let changes = try await index.pool.write { db -> [Int] in
            let ids = try #require(try Row.fetchOne(db, sql: "SELECT study.id, series.id, study.patientId FROM series JOIN study ON study.id = series.studyId"))
            var counts: [Int] = []
            try SQLiteIndex.updatePatient(db, id: ids[2], a)
            counts.append(db.changesCount)
            try SQLiteIndex.updateIfChanged(db, table: "series", [("seriesDescription", "COALESCE(?1, seriesDescription)")],
                                            id: ids[1], arguments: [a.seriesDescription])
            counts.append(db.changesCount)
            try SQLiteIndex.updateIfChanged(db, table: "series", [("seriesDescription", "COALESCE(?1, seriesDescription)")],
                                            id: ids[1], arguments: ["third"])
            counts.append(db.changesCount)
            return counts
        }
        #expect(changes == [0, 0, 1])
        #expect(try row("SELECT seriesDescription FROM series") == ["\"third\""])
    }

    @Test("keep-first ignores a second copy and keeps the first file")
    func duplicateKeepFirst() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.keepFirst)
        let first = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1", description: "first"))
        let second = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1", description: "second copy"))
        let r1 = try await archive.ingest(try Sample.stage(first, in: archive), context: IngestContext())
        let staged = try Sample.stage(second, in: archive)
        let r2 = try await archive.ingest(staged, context: IngestContext())
        #expect(r1.disposition == .stored)
        #expect(r2.disposition == .duplicateIgnored)
        #expect(r2.objectPath == r1.objectPath)
        #expect(Sample.read(r1.objectPath) == first)
        #expect(!FileManager.default.fileExists(atPath: staged.path))
        #expect(try await archive.instanceCount() == 1)
        #expect(root.files(in: "objects").count == 1)
        #expect(root.files(in: "incoming").isEmpty)
    }

    @Test("replace stores the new copy under a fresh name and removes the old file")
    func duplicateReplace() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.replace)
        let first = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1", description: "first"))
        let second = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1", description: "second copy"))
        let third = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1", description: "third"))
        let r1 = try await archive.ingest(try Sample.stage(first, in: archive), context: IngestContext())
        let r2 = try await archive.ingest(try Sample.stage(second, in: archive), context: IngestContext())
        #expect(r2.disposition == .replaced)
        #expect(r2.objectPath != r1.objectPath)
        #expect(!FileManager.default.fileExists(atPath: r1.objectPath))
        #expect(Sample.read(r2.objectPath) == second)
        #expect(try await archive.objectPath(sopInstanceUID: "1.2.3.1") == r2.objectPath)
        let r3 = try await archive.ingest(try Sample.stage(third, in: archive), context: IngestContext())
        #expect(r3.disposition == .replaced)
        #expect(r3.objectPath == r1.objectPath)   // the primary name is free again
        #expect(Sample.read(r3.objectPath) == third)
        #expect(try await archive.instanceCount() == 1)
        #expect(root.files(in: "objects").count == 1)
        let row = try #require(try await archive.index.instance(sopInstanceUID: "1.2.3.1"))
        #expect(row.fileSize == third.count)
    }

    @Test("reject refuses a second copy, keeps the first and leaves no staged file")
    func duplicateReject() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.reject)
        let first = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1", description: "first"))
        let second = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1", description: "second copy"))
        let r1 = try await archive.ingest(try Sample.stage(first, in: archive), context: IngestContext())
        let staged = try Sample.stage(second, in: archive)
        await #expect(throws: ArchiveError.duplicateRejected(sopInstanceUID: "1.2.3.1")) {
            try await archive.ingest(staged, context: IngestContext())
        }
        #expect(Sample.read(r1.objectPath) == first)
        #expect(try await archive.instanceCount() == 1)
        #expect(root.files(in: "incoming").isEmpty)
        #expect(root.files(in: "objects").count == 1)
    }

    @Test("an identity conflict is stored with a warning under accept; the study keeps its patient")
    func identityConflictAccept() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.keepFirst, .accept)
        let a = try Sample.partTen(Sample.dataSet(sop: "1.7.1", study: "1.7", patientID: "PID-A"))
        let b = try Sample.partTen(Sample.dataSet(sop: "1.7.2", study: "1.7", patientID: "PID-B"))
        let ra = try await archive.ingest(try Sample.stage(a, in: archive), context: IngestContext())
        let rb = try await archive.ingest(try Sample.stage(b, in: archive), context: IngestContext())
        #expect(ra.warnings.isEmpty)
        #expect(rb.disposition == .stored)
        #expect(rb.warnings.count == 1)
        #expect(rb.warnings.first?.hasPrefix("identity conflict accepted") == true)
        #expect(rb.warnings.first?.contains("PID-") == false)   // no patient data in the warning
        #expect(try await archive.instanceCount() == 2)
        let index = try #require(archive.index as? SQLiteIndex)
        let summary = try #require(try await index.studySummary(studyInstanceUID: "1.7"))
        #expect(summary.patientID == "PID-A")
        #expect(summary.patientIDAsReceived == "PID-A")
        #expect(summary.numberOfStudyRelatedInstances == 2)
    }

    @Test("an identity conflict is refused under reject: no file, no row")
    func identityConflictReject() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.keepFirst, .reject)
        let a = try Sample.partTen(Sample.dataSet(sop: "1.7.1", study: "1.7", patientID: "PID-A"))
        let b = try Sample.partTen(Sample.dataSet(sop: "1.7.2", study: "1.7", patientID: "PID-B"))
        _ = try await archive.ingest(try Sample.stage(a, in: archive), context: IngestContext())
        let staged = try Sample.stage(b, in: archive)
        do {
            _ = try await archive.ingest(staged, context: IngestContext())
            Issue.record("the conflicting instance was stored")
        } catch {
            guard case .identityConflict(let reason) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(reason.contains("1.7"))
            #expect(!reason.contains("PID-"))
        }
        #expect(try await archive.instanceCount() == 1)
        #expect(try await archive.objectPath(sopInstanceUID: "1.7.2") == nil)
        #expect(root.files(in: "objects").count == 1)
        #expect(root.files(in: "incoming").isEmpty)
    }

    @Test("a SOP Class or Instance UID other than the request's is refused, leaving no staged file and no row")
    func mismatchesLeaveNothing() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        let bytes = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1"))
        let s1 = try Sample.stage(bytes, in: archive)
        await #expect(throws: ArchiveError.sopClassMismatch(expected: Sample.mrImageStorage, found: Sample.ctImageStorage)) {
            try await archive.ingest(s1, context: IngestContext(expectedSOPClassUID: Sample.mrImageStorage))
        }
        #expect(!FileManager.default.fileExists(atPath: s1.path))
        let s2 = try Sample.stage(bytes, in: archive)
        await #expect(throws: ArchiveError.sopInstanceMismatch(expected: "1.2.3.9", found: "1.2.3.1")) {
            try await archive.ingest(s2, context: IngestContext(expectedSOPClassUID: Sample.ctImageStorage,
                                                                 expectedSOPInstanceUID: "1.2.3.9"))
        }
        #expect(!FileManager.default.fileExists(atPath: s2.path))
        #expect(try await archive.instanceCount() == 0)
        #expect(root.files(in: "objects").isEmpty)
        #expect(root.files(in: "incoming").isEmpty)
    }

    @Test("a data set without Study Instance UID is refused naming the attribute")
    func missingStudyUID() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        let bytes = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1", omit: .studyInstanceUID))
        let staged = try Sample.stage(bytes, in: archive)
        await #expect(throws: ArchiveError.missingAttribute("(0020,000D) Study Instance UID")) {
            try await archive.ingest(staged, context: IngestContext())
        }
        #expect(root.files(in: "incoming").isEmpty)
        #expect(try await archive.instanceCount() == 0)
    }

    @Test("staged bytes that do not parse are refused as unreadable and removed")
    func unreadableStagedData() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        var bytes = try Sample.partTen(Sample.dataSet(sop: "1.2.3.1"))
        bytes = Array(bytes.prefix(200))   // cut inside the data set
        let staged = try Sample.stage(bytes, in: archive)
        do {
            _ = try await archive.ingest(staged, context: IngestContext())
            Issue.record("a truncated file was stored")
        } catch {
            guard case .unreadable = error else {
                Issue.record("wrong error \(error)")
                return
            }
        }
        #expect(!FileManager.default.fileExists(atPath: staged.path))
        #expect(try await archive.instanceCount() == 0)
        #expect(root.files(in: "objects").isEmpty)
    }

    @Test("a deflated file is read and indexed with its transfer syntax")
    func deflatedFile() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        let bytes = try Sample.partTen(Sample.dataSet(sop: "1.2.3.4", study: "1.9"), syntax: .deflatedExplicitVRLittleEndian)
        let result = try await archive.ingest(try Sample.stage(bytes, in: archive), context: IngestContext())
        #expect(result.disposition == .stored)
        #expect(result.studyInstanceUID == "1.9")
        let row = try #require(try await archive.index.instance(sopInstanceUID: "1.2.3.4"))
        #expect(row.transferSyntaxUID == "1.2.840.10008.1.2.1.99")
        #expect(Sample.read(result.objectPath) == bytes)
    }

    @Test("ENOSPC and EDQUOT are out of space, other errors I/O; a discarded staging file refuses writes")
    func errnoMappingAndDiscard() throws {
        #expect(ArchiveError.from(errno: ENOSPC, "write") == .outOfSpace("write: \(String(cString: strerror(ENOSPC)))"))
        #expect(ArchiveError.from(errno: EDQUOT, "write") == .outOfSpace("write: \(String(cString: strerror(EDQUOT)))"))
        #expect(ArchiveError.from(errno: EIO, "write") == .io("write: \(String(cString: strerror(EIO)))"))
        let root = TemporaryRoot()
        let archive = try root.archive()
        let staged = try archive.makeStagingFile()
        try staged.write([1, 2, 3])
        #expect(staged.bytesWritten == 3)
        staged.discard()
        staged.discard()
        #expect(!FileManager.default.fileExists(atPath: staged.path))
        #expect(throws: ArchiveError.self) { try staged.write([4]) }
    }

    @Test("opening removes stale staging files and a second open of the same root is refused")
    func openRemovesStaleStaging() async throws {
        let root = TemporaryRoot()
        do {
            let archive = try root.archive()
            let staged = try Sample.stage([1, 2, 3], in: archive)
            // Simulate a crash: the file stays although its owner is gone.
            let copy = root.path + "/incoming/left-behind.part"
            try FileManager.default.copyItem(atPath: staged.path, toPath: copy)
            _ = withExtendedLifetime(archive) {
                #expect(throws: ArchiveError.self) { try root.archive() }
            }
            staged.discard()
        }
        #expect(root.files(in: "incoming") == ["left-behind.part"])
        let reopened = try root.archive()
        #expect(root.files(in: "incoming").isEmpty)
        #expect(try await reopened.instanceCount() == 0)
    }
}
