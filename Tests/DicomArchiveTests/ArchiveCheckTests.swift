import DicomCore
import DicomTestSupport
import Foundation
import Testing
@testable import DicomArchive

@Suite("Archive check and import")
struct ArchiveCheckTests {
    @Test("check finds missing, unindexed and resized files, and repair makes the archive consistent")
    func checkAndRepair() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        var results: [IngestResult] = []
        for i in 1...3 {
            let bytes = try Sample.partTen(Sample.dataSet(sop: "1.3.\(i)", study: "1.3"))
            results.append(try await archive.ingest(try Sample.stage(bytes, in: archive), context: IngestContext()))
        }
        let key = { (r: IngestResult) in String(r.objectPath.dropFirst(root.path.count + 1)) }
        // 1. A file goes missing.
        try FileManager.default.removeItem(atPath: results[0].objectPath)
        // 2. A file grows (bytes after the data set; its headers still parse).
        let grown = try #require(FileHandle(forWritingAtPath: results[1].objectPath))
        grown.seekToEndOfFile()
        grown.write(Data([0, 0, 0, 0]))
        try grown.close()
        // 3. An orphan: a valid object file the index does not know (crash between rename and commit).
        let orphanUID = "1.3.99"
        let orphanKey = archive.store.key(for: orphanUID, avoiding: nil)
        let orphanBytes = try Sample.partTen(Sample.dataSet(sop: orphanUID, study: "1.3"))
        try FileManager.default.createDirectory(atPath: root.path + "/" + orphanKey.split(separator: "/").dropLast().joined(separator: "/"),
                                                withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: root.path + "/" + orphanKey, contents: Data(orphanBytes)))
        // 4. An unreadable object file.
        let junkKey = archive.store.key(for: "1.3.junk", avoiding: nil)
        try FileManager.default.createDirectory(atPath: root.path + "/" + junkKey.split(separator: "/").dropLast().joined(separator: "/"),
                                                withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: root.path + "/" + junkKey, contents: Data([1, 2, 3, 4, 5, 6, 7])))

        let found = try await archive.check(repair: false)
        #expect(found.indexedInstances == 3)
        #expect(found.objectFiles == 4)
        #expect(found.missingFiles == [key(results[0])])
        #expect(found.sizeMismatches == [key(results[1])])
        #expect(found.unindexedFiles == [orphanKey, junkKey].sorted())
        #expect(found.repaired == 0)
        #expect(!found.isConsistent)
        // check without repair changes nothing
        #expect(try await archive.instanceCount() == 3)

        let repaired = try await archive.check(repair: true)
        #expect(repaired.missingFiles == found.missingFiles)
        #expect(repaired.repaired == 4)

        let after = try await archive.check(repair: false)
        #expect(after.isConsistent)
        #expect(after.indexedInstances == 3)   // 1.3.2, 1.3.3, the orphan 1.3.99
        #expect(after.objectFiles == 3)
        #expect(try await archive.objectPath(sopInstanceUID: "1.3.1") == nil)
        #expect(try await archive.objectPath(sopInstanceUID: orphanUID) == root.path + "/" + orphanKey)
        let row = try #require(try await archive.index.instance(sopInstanceUID: "1.3.2"))
        #expect(row.fileSize == Sample.read(results[1].objectPath).count)
        let quarantined = root.files(in: "quarantine")
        #expect(quarantined.count == 1)
        #expect(quarantined.first?.hasSuffix(junkKey.split(separator: "/").last.map(String.init) ?? "-") == true)
    }

    @Test("a leftover file of a replaced instance is quarantined, not indexed")
    func leftoverOfReplaceIsQuarantined() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.replace)
        let first = try Sample.partTen(Sample.dataSet(sop: "1.4.1", description: "first"))
        let r1 = try await archive.ingest(try Sample.stage(first, in: archive), context: IngestContext())
        let saved = Sample.read(r1.objectPath)
        let second = try Sample.partTen(Sample.dataSet(sop: "1.4.1", description: "second"))
        let r2 = try await archive.ingest(try Sample.stage(second, in: archive), context: IngestContext())
        // As if the process died after the commit but before the old file was removed.
        #expect(FileManager.default.createFile(atPath: r1.objectPath, contents: Data(saved)))
        let repaired = try await archive.check(repair: true)
        #expect(repaired.unindexedFiles.count == 1)
        #expect(repaired.repaired == 1)
        #expect(try await archive.objectPath(sopInstanceUID: "1.4.1") == r2.objectPath)
        #expect(Sample.read(r2.objectPath) == second)
        #expect(root.files(in: "quarantine").count == 1)
        #expect(try await archive.check(repair: false).isConsistent)
    }

    @Test("importing a raw data set without meta group builds one and keeps the data set")
    func importWithoutMeta() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        let ds = Sample.dataSet(sop: "1.6.1", study: "1.6")
        let raw = try DataSetWriter(encoding: .implicitLittle).encode(ds)
        let source = root.path + "-raw.dcm"
        #expect(FileManager.default.createFile(atPath: source, contents: Data(raw)))
        defer { try? FileManager.default.removeItem(atPath: source) }

        let result = try await archive.importFile(at: source, context: IngestContext())
        #expect(result.disposition == .stored)
        #expect(result.sopInstanceUID == "1.6.1")
        let stored = try DicomFile.read(path: result.objectPath)
        #expect(stored.preamble != nil)
        #expect(stored.hasPrefix)
        #expect(stored.fileMetaInformation.string(.transferSyntaxUID) == "1.2.840.10008.1.2")
        #expect(stored.fileMetaInformation.string(.mediaStorageSOPInstanceUID) == "1.6.1")
        #expect(stored.fileMetaInformation.string(.mediaStorageSOPClassUID) == Sample.ctImageStorage)
        #expect(try stored.encodedDataSet() == raw)
        #expect(try await archive.instanceCount() == 1)
        #expect(root.files(in: "incoming").isEmpty)
    }

    @Test("importing a Part 10 file copies it byte for byte; a non-DICOM file is unreadable")
    func importPartTen() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive()
        let bytes = try Sample.partTen(Sample.dataSet(sop: "1.6.2"))
        let source = root.path + "-p10.dcm"
        #expect(FileManager.default.createFile(atPath: source, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: source) }
        let result = try await archive.importFile(at: source, context: IngestContext())
        #expect(Sample.read(result.objectPath) == bytes)

        let text = root.path + "-text.txt"
        #expect(FileManager.default.createFile(atPath: text, contents: Data("hello, this is not DICOM at all\n".utf8)))
        defer { try? FileManager.default.removeItem(atPath: text) }
        do {
            _ = try await archive.importFile(at: text, context: IngestContext())
            Issue.record("a text file was imported")
        } catch {
            guard case .unreadable = error else {
                Issue.record("wrong error \(error)")
                return
            }
        }
        #expect(try await archive.instanceCount() == 1)
        #expect(root.files(in: "incoming").isEmpty)
    }
}
