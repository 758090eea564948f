// Group commit: index writes from concurrent ingests go into one transaction (one WAL fsync with
// `synchronous=FULL`). The first writer to arrive leads: it takes every write pending at that
// moment, applies them in one transaction, hands each waiter its outcome, and goes round again
// while more arrived meanwhile. A lone writer commits at once: there is no batching delay;
// batches form only from writes that arrive while a commit is in progress.
import Dispatch
import Synchronization

/// The queue both committers share: pending writes with whoever waits for each, who leads, and
/// batch statistics.
final class CommitQueue<Waiter: Sendable>: Sendable {
    private struct State {
        var pending: [(IndexWrite, Waiter)] = []
        var leading = false
    }
    private let state = Mutex(State())
    private let stats = Mutex((batches: 0, writes: 0, largest: 0))

    /// Queues a write; true when the caller must lead (nobody else is committing).
    func enqueue(_ write: IndexWrite, _ waiter: Waiter) -> Bool {
        state.withLock { s in
            s.pending.append((write, waiter))
            if s.leading { return false }
            s.leading = true
            return true
        }
    }

    /// Everything pending; empty (and leadership given up) when nothing is.
    func takeBatch() -> [(IndexWrite, Waiter)] {
        state.withLock { s in
            let batch = s.pending
            s.pending = []
            if batch.isEmpty { s.leading = false }
            return batch
        }
    }

    /// Records a committed batch; returns the outcome for each of its writes, in order.
    func outcomes(of batch: [(IndexWrite, Waiter)], _ result: Result<[IndexWriteOutcome], ArchiveError>) -> [IndexWriteOutcome] {
        stats.withLock { s in
            s.batches += 1
            s.writes += batch.count
            s.largest = max(s.largest, batch.count)
        }
        switch result {
        case .success(let outcomes):
            return batch.indices.map { $0 < outcomes.count ? outcomes[$0] : .refused(.index("no outcome")) }
        case .failure(let error):
            return Array(repeating: .refused(error), count: batch.count)
        }
    }

    /// Writes queued behind the transaction in progress.
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Sizes of the batches committed so far, for tests and metrics.
    var statistics: (batches: Int, writes: Int, largest: Int) { stats.withLock { $0 } }
}

/// Group commit for async callers over any `ArchiveIndex`.
final class GroupCommitter: Sendable {
    private let index: any ArchiveIndex
    private let queue = CommitQueue<CheckedContinuation<IndexWriteOutcome, Never>>()

    init(index: any ArchiveIndex) {
        self.index = index
    }

    /// Queues `write` and returns once the transaction holding it has committed (or failed).
    func submit(_ write: IndexWrite) async -> IndexWriteOutcome {
        await withCheckedContinuation { continuation in
            if queue.enqueue(write, continuation) {
                Task.detached { [self] in await self.lead() }
            }
        }
    }

    private func lead() async {
        while true {
            let batch = queue.takeBatch()
            if batch.isEmpty { return }
            let result: Result<[IndexWriteOutcome], ArchiveError>
            do {
                result = .success(try await index.apply(batch.map(\.0)))
            } catch {
                result = .failure(error)
            }
            for (outcome, (_, continuation)) in zip(queue.outcomes(of: batch, result), batch) {
                continuation.resume(returning: outcome)
            }
        }
    }

    /// Writes queued behind the transaction in progress.
    var pendingCount: Int { queue.pendingCount }

    var statistics: (batches: Int, writes: Int, largest: Int) { queue.statistics }
}

/// Group commit for callers on blocking threads (the ingest fast path) over an index that answers
/// on the calling thread; waiters sleep on a semaphore.
final class BlockingGroupCommitter: Sendable {
    final class Slot: Sendable {
        let ready = DispatchSemaphore(value: 0)
        let outcome = Mutex<IndexWriteOutcome?>(nil)
    }

    private let index: any SynchronousArchiveIndex
    private let queue = CommitQueue<Slot>()

    init(index: any SynchronousArchiveIndex) {
        self.index = index
    }

    /// Commits `write` (with whatever else is pending) and returns its outcome; blocks.
    func submit(_ write: IndexWrite) -> IndexWriteOutcome {
        let slot = Slot()
        if queue.enqueue(write, slot) { lead() }
        slot.ready.wait()
        return slot.outcome.withLock { $0 } ?? .refused(.index("no outcome"))
    }

    private func lead() {
        while true {
            let batch = queue.takeBatch()
            if batch.isEmpty { return }
            let result: Result<[IndexWriteOutcome], ArchiveError>
            do {
                result = .success(try index.applyBlocking(batch.map(\.0)))
            } catch {
                result = .failure(error)
            }
            for (outcome, (_, slot)) in zip(queue.outcomes(of: batch, result), batch) {
                slot.outcome.withLock { $0 = outcome }
                slot.ready.signal()
            }
        }
    }

    var statistics: (batches: Int, writes: Int, largest: Int) { queue.statistics }
}

/// Serialises work on one key (a SOP Instance UID): concurrent ingests of the same instance run
/// one after the other, so the duplicate decision made before the file is moved still holds when
/// the index commits.
final class KeyedLock: Sendable {
    private let waiters = Mutex([String: [CheckedContinuation<Void, Never>]]())

    func acquire(_ key: String) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let acquired = waiters.withLock { w -> Bool in
                if w[key] == nil {
                    w[key] = []
                    return true
                }
                w[key, default: []].append(c)
                return false
            }
            if acquired { c.resume() }
        }
    }

    func release(_ key: String) {
        let next = waiters.withLock { w -> CheckedContinuation<Void, Never>? in
            guard var queue = w[key] else { return nil }
            if queue.isEmpty {
                w[key] = nil
                return nil
            }
            let first = queue.removeFirst()
            w[key] = queue
            return first
        }
        next?.resume()
    }
}
