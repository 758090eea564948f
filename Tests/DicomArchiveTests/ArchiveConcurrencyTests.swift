import DicomCore
import DicomTestSupport
import Foundation
import Synchronization
import Testing
@testable import DicomArchive

@Suite("Archive under concurrent ingest")
struct ArchiveConcurrencyTests {
    @Test("200 instances from 8 tasks, plus 5 shared ones sent by every task, are each indexed exactly once")
    func concurrentIngest() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.keepFirst)
        let tasks = 8, perTask = 25, shared = 5
        let results = try await withThrowingTaskGroup(of: [IngestResult].self) { group in
            for t in 0..<tasks {
                group.addTask {
                    var out: [IngestResult] = []
                    for i in 0..<perTask {
                        let uid = "1.8.\(t).\(i)"
                        let bytes = try Sample.partTen(Sample.dataSet(sop: uid, study: "1.8.\(t % 3)",
                                                                      series: "1.8.\(t % 3).\(i % 2)"))
                        out.append(try await archive.ingest(try Sample.stage(bytes, in: archive),
                                                            context: IngestContext(expectedSOPInstanceUID: uid)))
                        if i < shared {
                            let sharedBytes = try Sample.partTen(Sample.dataSet(sop: "1.8.shared.\(i)", study: "1.8.9",
                                                                                series: "1.8.9.1", description: "from \(t)"))
                            out.append(try await archive.ingest(try Sample.stage(sharedBytes, in: archive), context: IngestContext()))
                        }
                    }
                    return out
                }
            }
            var all: [IngestResult] = []
            for try await r in group { all.append(contentsOf: r) }
            return all
        }
        #expect(results.count == tasks * (perTask + shared))
        let stored = results.filter { $0.disposition == .stored }
        #expect(stored.count == tasks * perTask + shared)
        #expect(Set(stored.map(\.sopInstanceUID)).count == stored.count)
        #expect(results.filter { $0.disposition == .duplicateIgnored }.count == (tasks - 1) * shared)
        #expect(try await archive.instanceCount() == tasks * perTask + shared)
        #expect(root.files(in: "objects").count == tasks * perTask + shared)
        #expect(root.files(in: "incoming").isEmpty)
        for r in stored {
            #expect(try await archive.objectPath(sopInstanceUID: r.sopInstanceUID) == r.objectPath)
        }
        let stats = archive.groupCommitStatistics
        #expect(stats.writes == tasks * perTask + shared)
        #expect(stats.transactions <= stats.writes)
        #expect(try await archive.check(repair: false).isConsistent)
        let index = try #require(archive.index as? SQLiteIndex)
        let summary = try #require(try await index.studySummary(studyInstanceUID: "1.8.0"))
        // tasks 0, 3, 6 send to study 1.8.0
        #expect(summary.numberOfStudyRelatedInstances == 3 * perTask)
        #expect(summary.numberOfStudyRelatedSeries == 2)
    }

    @Test("durable ingest from 4 tasks at once indexes every instance and leaves nothing staged")
    func concurrentDurableIngest() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(durable: true)
        let uids = try await withThrowingTaskGroup(of: [String].self) { group in
            for t in 0..<4 {
                group.addTask {
                    var out: [String] = []
                    for i in 0..<5 {
                        let bytes = try Sample.partTen(Sample.dataSet(sop: "1.10.\(t).\(i)", study: "1.10"))
                        out.append(try await archive.ingest(try Sample.stage(bytes, in: archive), context: IngestContext()).sopInstanceUID)
                    }
                    return out
                }
            }
            var all: [String] = []
            for try await u in group { all.append(contentsOf: u) }
            return all
        }
        #expect(Set(uids).count == 20)
        #expect(try await archive.instanceCount() == 20)
        #expect(root.files(in: "incoming").isEmpty)
        #expect(try await archive.check(repair: false).isConsistent)
    }

    @Test("racing identities in a new study under reject: one identity wins, the others leave no file and no row")
    func racingIdentitiesReject() async throws {
        let root = TemporaryRoot()
        let archive = try root.archive(.keepFirst, .reject)
        let outcomes = await withTaskGroup(of: (String, Result<IngestResult, ArchiveError>).self) { group in
            for t in 0..<6 {
                group.addTask {
                    let patient = t % 2 == 0 ? "PID-EVEN" : "PID-ODD"
                    do throws(ArchiveError) {
                        let bytes = (try? Sample.partTen(Sample.dataSet(sop: "1.11.\(t)", study: "1.11", patientID: patient))) ?? []
                        let staged = try archive.makeStagingFile()
                        try staged.write(bytes)
                        return (patient, .success(try await archive.ingest(staged, context: IngestContext())))
                    } catch {
                        return (patient, .failure(error))
                    }
                }
            }
            var all: [(String, Result<IngestResult, ArchiveError>)] = []
            for await o in group { all.append(o) }
            return all
        }
        let stored = outcomes.filter { if case .success = $0.1 { true } else { false } }
        let refused = outcomes.filter { if case .failure(.identityConflict) = $0.1 { true } else { false } }
        #expect(stored.count + refused.count == 6)
        #expect(Set(stored.map(\.0)).count == 1)             // one identity won
        #expect(stored.count == 3)                          // all of its three instances
        #expect(try await archive.instanceCount() == stored.count)
        #expect(root.files(in: "objects").count == stored.count)
        #expect(root.files(in: "incoming").isEmpty)
    }

    @Test("writes submitted while a commit runs are committed together in the next transaction")
    func groupCommitBatches() async throws {
        let root = TemporaryRoot()
        let index = try SQLiteIndex(path: root.path + "-index.sqlite", durable: false)
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: root.path + "-index.sqlite" + suffix) }
        }
        let slow = SlowIndex(base: index)
        let committer = GroupCommitter(index: slow)
        let writes = try (0..<20).map { i in
            IndexWrite(attributes: try Self.attributes(sop: "1.9.\(i)"), duplicatePolicy: .keepFirst, identityConflictPolicy: .accept)
        }
        let outcomes = await withTaskGroup(of: IndexWriteOutcome.self) { group in
            // One write starts a transaction, which the gate holds open …
            group.addTask { await committer.submit(writes[0]) }
            while slow.gate.firstBatchSize == nil { await Task.yield() }
            // … while 19 more arrive; then it is let go.
            for w in writes.dropFirst() { group.addTask { await committer.submit(w) } }
            while committer.pendingCount < 19 { await Task.yield() }
            slow.gate.open()
            var all: [IndexWriteOutcome] = []
            for await o in group { all.append(o) }
            return all
        }
        #expect(outcomes.count == 20)
        #expect(outcomes.allSatisfy { $0 == .inserted(identityConflict: nil) })
        #expect(try await index.instanceCount() == 20)
        let stats = committer.statistics
        #expect(slow.gate.firstBatchSize == 1)
        #expect(stats.writes == 20)
        #expect(stats.batches == 2)
        #expect(stats.largest == 19)
    }

    static func attributes(sop: String) throws -> InstanceAttributes {
        let file = DicomFile(dataSet: Sample.dataSet(sop: sop), transferSyntax: .explicitVRLittleEndian)
        return try InstanceAttributes(file: file, objectPath: "objects/x/\(sop).dcm", fileSize: 1,
                                      sourceAETitle: nil, receivedAt: 0)
    }
}

/// An index whose first `apply` waits until 20 writes are queued behind it.
final class SlowIndex: ArchiveIndex {
    let base: SQLiteIndex
    let gate = AsyncGate()
    init(base: SQLiteIndex) { self.base = base }

    func apply(_ writes: [IndexWrite]) async throws(ArchiveError) -> [IndexWriteOutcome] {
        await gate.pass(batchSize: writes.count)
        return try await base.apply(writes)
    }
    func instance(sopInstanceUID: String) async throws(ArchiveError) -> IndexedInstance? { try await base.instance(sopInstanceUID: sopInstanceUID) }
    func studyIdentity(studyInstanceUID: String) async throws(ArchiveError) -> PatientIdentity? { try await base.studyIdentity(studyInstanceUID: studyInstanceUID) }
    func studyOfSeries(seriesInstanceUID: String) async throws(ArchiveError) -> String? { try await base.studyOfSeries(seriesInstanceUID: seriesInstanceUID) }
    func seriesVersion(seriesInstanceUID: String) async throws(ArchiveError) -> String? { try await base.seriesVersion(seriesInstanceUID: seriesInstanceUID) }
    func instanceCount() async throws(ArchiveError) -> Int { try await base.instanceCount() }
    func instances(limit: Int, offset: Int) async throws(ArchiveError) -> [IndexedInstance] { try await base.instances(limit: limit, offset: offset) }
    func deleteInstance(sopInstanceUID: String) async throws(ArchiveError) -> IndexedInstance? { try await base.deleteInstance(sopInstanceUID: sopInstanceUID) }
    func allObjectPaths() async throws(ArchiveError) -> [IndexedInstance] { try await base.allObjectPaths() }
    func find(_ query: IndexQuery, pageSize: Int,
              each: @Sendable ([QueryMatch]) async -> Bool) async throws(ArchiveError) -> FindSummary {
        try await base.find(query, pageSize: pageSize, each: each)
    }
    func decisionInputs(sopInstanceUID: String, studyInstanceUID: String, seriesInstanceUID: String)
        async throws(ArchiveError) -> DecisionInputs {
        try await base.decisionInputs(sopInstanceUID: sopInstanceUID, studyInstanceUID: studyInstanceUID,
                                      seriesInstanceUID: seriesInstanceUID)
    }
}

/// Holds the first caller until `open()`; later callers pass at once.
final class AsyncGate: Sendable {
    private struct State {
        var firstBatchSize: Int?
        var opened = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    var firstBatchSize: Int? { state.withLock { $0.firstBatchSize } }

    func pass(batchSize: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let passNow = state.withLock { s -> Bool in
                if s.firstBatchSize != nil || s.opened { return true }
                s.firstBatchSize = batchSize
                s.waiter = c
                return false
            }
            if passNow { c.resume() }
        }
    }

    func open() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.opened = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }
}
