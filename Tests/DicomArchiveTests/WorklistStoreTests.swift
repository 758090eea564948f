import DicomCore
import Foundation
import Testing
@testable import DicomArchive

@Suite("Worklist store and matching (PS3.4 Annex K)")
struct WorklistStoreTests {
    static func item(name: String, patientID: String, accession: String, station: String, modality: String,
                     date: String, time: String, spsID: String?, performing: String? = nil) throws -> DataSet {
        var ds = DataSet()
        ds.characterSet = SpecificCharacterSet(terms: ["ISO_IR 192"])
        try ds.set(.specificCharacterSet, string: "ISO_IR 192")
        try ds.set(.patientName, string: name)
        try ds.set(.patientID, string: patientID)
        try ds.set(.accessionNumber, string: accession)
        var sps = DataSet()
        sps.characterSet = ds.characterSet
        try sps.set(.scheduledStationAETitle, string: station)
        try sps.set(.modality, string: modality)
        try sps.set(.scheduledProcedureStepStartDate, string: date)
        try sps.set(.scheduledProcedureStepStartTime, string: time)
        if let spsID { try sps.set(.scheduledProcedureStepID, string: spsID) }
        if let performing { try sps.set(.scheduledPerformingPhysicianName, string: performing) }
        ds.set(.scheduledProcedureStepSequence, sequence: [sps])
        return ds
    }

    static func query(_ build: (inout DataSet, inout DataSet) throws -> Void) rethrows -> DataSet {
        var q = DataSet()
        q.characterSet = SpecificCharacterSet(terms: ["ISO_IR 192"])
        var sps = DataSet()
        sps.characterSet = q.characterSet
        try build(&q, &sps)
        q.set(.scheduledProcedureStepSequence, sequence: [sps])
        return q
    }

    @Test("an added item comes back whole, with a generated Study Instance UID and status SCHEDULED")
    func addAndRead() async throws {
        let root = TemporaryRoot()
        try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
        let store = try SQLiteWorklistStore(dataDirectory: root.path)
        var item = try Self.item(name: "王^小东", patientID: "P2", accession: "A2", station: "MR01", modality: "MR",
                                 date: "20261125", time: "1015", spsID: "S2")
        try item.set(.requestedProcedureDescription, string: "MR knee")
        _ = try await store.add(item)
        let all = try await store.entries(WorklistPrefilter())
        #expect(all.count == 1)
        let got = try #require(all.first)
        #expect(got.item.string(.patientName) == "王^小东")
        #expect(got.item.string(.requestedProcedureDescription) == "MR knee")
        #expect(got.item.string(.studyInstanceUID)?.hasPrefix("2.25.") == true)
        #expect(got.status == .scheduled)
        #expect(got.item.sequence(.scheduledProcedureStepSequence)?.first?.string(.scheduledProcedureStepStatus) == "SCHEDULED")
        // Same accession and SPS ID: replaced, not duplicated.
        _ = try await store.add(item)
        #expect(try await store.entries(WorklistPrefilter()).count == 1)
    }

    @Test("status changes select by SPS ID / accession; expiry removes only old final entries")
    func statusAndExpiry() async throws {
        let root = TemporaryRoot()
        try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
        let store = try SQLiteWorklistStore(dataDirectory: root.path)
        _ = try await store.add(Self.item(name: "A^B", patientID: "P1", accession: "A1", station: "CT01", modality: "CT",
                                      date: "20261124", time: "0900", spsID: "S1"))
        _ = try await store.add(Self.item(name: "C^D", patientID: "P2", accession: "A2", station: "CT01", modality: "CT",
                                      date: "20261124", time: "1000", spsID: "S2"))
        #expect(try await store.setStatus(.completed, where: WorklistStepKey()) == 0)
        #expect(try await store.setStatus(.completed, where: WorklistStepKey(scheduledProcedureStepID: "S1")) == 1)
        let entries = try await store.entries(WorklistPrefilter())
        #expect(entries.map(\.status) == [.completed, .scheduled])
        #expect(entries[0].item.sequence(.scheduledProcedureStepSequence)?.first?.string(.scheduledProcedureStepStatus) == "COMPLETED")
        #expect(try await store.removeExpired(olderThanHours: 1, now: Date()) == 0)
        #expect(try await store.removeExpired(olderThanHours: 1, now: Date().addingTimeInterval(7200)) == 1)
        #expect(try await store.entries(WorklistPrefilter()).map { $0.item.string(.accessionNumber) } == ["A2"])
    }

    @Test("MPPS instances: duplicate create refused, update kept")
    func performedSteps() async throws {
        let root = TemporaryRoot()
        try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
        let store = try SQLiteWorklistStore(dataDirectory: root.path)
        var ds = DataSet()
        try ds.set(.performedProcedureStepStatus, string: "IN PROGRESS")
        let step = PerformedProcedureStep(sopInstanceUID: "1.2.3", dataSet: ds, status: "IN PROGRESS")
        #expect(try await store.createPerformedStep(step) == true)
        #expect(try await store.createPerformedStep(step) == false)
        var done = step
        done.status = "COMPLETED"
        try await store.updatePerformedStep(done)
        #expect(try await store.performedStep("1.2.3")?.status == "COMPLETED")
        #expect(try await store.performedStep("9.9") == nil)
    }

    @Test("matching: sequence keys, date ranges, PN wildcards ignoring case, ideographic group")
    func matching() throws {
        let a = try Self.item(name: "Doe^John", patientID: "P1", accession: "A1", station: "CT01", modality: "CT",
                              date: "20261124", time: "090000", spsID: "S1", performing: "Tech^Tom")
        let b = try Self.item(name: "Wang^XiaoDong=王^小东", patientID: "P2", accession: "A2", station: "MR01", modality: "MR",
                              date: "20261125", time: "1015", spsID: "S2")
        func match(_ q: DataSet) throws -> [String] {
            let m = try WorklistMatcher(query: q)
            return [a, b].filter { m.matches($0) }.compactMap { $0.string(.accessionNumber) }
        }
        #expect(try match(Self.query { _, s in try s.set(.modality, string: "CT") }) == ["A1"])
        #expect(try match(Self.query { _, s in try s.set(.scheduledProcedureStepStartDate, string: "20261124-20261125") }) == ["A1", "A2"])
        #expect(try match(Self.query { _, s in try s.set(.scheduledProcedureStepStartDate, string: "20261125-") }) == ["A2"])
        #expect(try match(Self.query { _, s in try s.set(.scheduledProcedureStepStartTime, string: "0800-0930") }) == ["A1"])
        #expect(try match(Self.query { q, _ in try q.set(.patientName, string: "doe*") }) == ["A1"])
        #expect(try match(Self.query { q, _ in try q.set(.patientName, string: "王*") }) == ["A2"])
        #expect(try match(Self.query { _, s in try s.set(.scheduledStationAETitle, string: "?R01") }) == ["A2"])
        #expect(try match(Self.query { _, s in try s.set(.scheduledPerformingPhysicianName, string: "TECH^TOM") }) == ["A1"])
        #expect(try match(Self.query { q, _ in try q.set(.accessionNumber, string: "A2") }) == ["A2"])
        #expect(try match(Self.query { q, _ in try q.set(.patientName, string: "") }) == ["A1", "A2"])
        #expect(throws: MatchConditionError.self) {
            _ = try WorklistMatcher(query: Self.query { _, s in try s.set(.scheduledProcedureStepStartDate, string: "2026-xx", vr: .DA) })
        }
        let pre = try WorklistMatcher(query: Self.query { q, s in
            try q.set(.patientID, string: "P1"); try s.set(.modality, string: "CT")
        }).prefilter
        #expect(pre.patientID == "P1" && pre.modality == "CT" && pre.accessionNumber == nil)
    }

    @Test("generated UIDs are 2.25 UIDs of at most 64 characters and differ")
    func generatedUID() {
        let a = GeneratedUID.make(), b = GeneratedUID.make()
        #expect(a != b)
        #expect(a.hasPrefix("2.25.") && a.count <= 64 && a.dropFirst(5).allSatisfy(\.isNumber))
    }
}
