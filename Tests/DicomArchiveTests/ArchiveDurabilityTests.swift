import DicomCore
import Foundation
import Testing
@testable import DicomArchive

@Suite("Archive durability settings and unclean stops")
struct ArchiveDurabilityTests {
    @Test("A durable archive commits with synchronous=FULL on the writer (GRDB's WAL set-up says NORMAL)")
    func synchronousFull() throws {
        let root = TemporaryRoot()
        let archive = try root.archive(durable: true)
        let index = try #require(archive.index as? SQLiteIndex)
        #expect(try index.writerSynchronousLevel() == 2)
    }

    @Test("An archive not marked closed is reconciled at the next open: an orphan object file is indexed")
    func reconcileAfterUncleanStop() async throws {
        let root = TemporaryRoot()
        let uid = "1.2.826.0.1.3680043.2.1125.77"
        do {
            let archive = try root.archive()
            let staged = try Sample.stage(try Sample.partTen(Sample.dataSet(sop: uid)), in: archive)
            _ = try await archive.ingest(staged, context: IngestContext())
            // Simulate a crash between the rename and the commit: drop the row, keep the file.
            _ = try await archive.index.deleteInstance(sopInstanceUID: uid)
            #expect(try await archive.instanceCount() == 0)
            // No markClosed(): the process "dies".
        }
        let reopened = try root.archive()
        #expect(reopened.previousRunEndedUncleanly)
        let report = try #require(try await reopened.recoverIfNeeded())
        #expect(report.unindexedFiles.count == 1)
        #expect(try await reopened.instanceCount() == 1)
        #expect(try await reopened.check(repair: false).isConsistent)
        reopened.markClosed()
    }

    @Test("An archive marked closed opens without reconciliation")
    func cleanStop() async throws {
        let root = TemporaryRoot()
        do {
            let archive = try root.archive()
            archive.markClosed()
        }
        let reopened = try root.archive()
        #expect(!reopened.previousRunEndedUncleanly)
        #expect(try await reopened.recoverIfNeeded() == nil)
    }

    @Test("The data directory is created with its missing parents")
    func makesParents() throws {
        let root = TemporaryRoot()
        let deep = root.path + "/a/b/c"
        _ = try Archive(configuration: ArchiveConfiguration(root: deep, durable: false))
        #expect(FileManager.default.fileExists(atPath: deep + "/objects/ff"))
    }
}

@Suite("Archive close while ingesting")
struct ArchiveCloseTests {
    @Test("markClosed while an ingest runs leaves the archive marked open, so the next start reconciles")
    func closeDuringIngest() async throws {
        let root = TemporaryRoot()
        do {
            let archive = try root.archive()
            // Hold the instance's UID lock so that an ingest of it stays in flight.
            let uid = "1.2.826.0.1.3680043.2.1125.88"
            await archive.uidLocks.acquire(uid)
            let staged = try Sample.stage(try Sample.partTen(Sample.dataSet(sop: uid)), in: archive)
            let ingest = Task { try await archive.ingest(staged, context: IngestContext(expectedSOPInstanceUID: uid)) }
            try await Task.sleep(for: .milliseconds(100))
            archive.markClosed()
            #expect(await archive.waitUntilIdle(timeout: .milliseconds(50)) == false)
            archive.uidLocks.release(uid)
            _ = try await ingest.value
            #expect(await archive.waitUntilIdle(timeout: .seconds(5)))
        }
        #expect(try root.archive().previousRunEndedUncleanly)
    }
}
