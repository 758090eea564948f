import Synchronization

/// Batches index writes from concurrent ingests into one transaction (group commit).
///
/// A single writer loop drains everything pending, applies it in one `ArchiveIndex.apply` (one
/// commit, one WAL fsync with `synchronous=FULL`), resumes those callers, and goes round again
/// while more arrived meanwhile. A lone caller starts the loop at once: there is no batching delay;
/// batches form only from writes that arrive while a commit is in progress.
final class GroupCommitter: Sendable {
    private struct Pending {
        var write: IndexWrite
        var continuation: CheckedContinuation<IndexWriteOutcome, Never>
    }
    private struct State {
        var pending: [Pending] = []
        var running = false
    }
    private let index: any ArchiveIndex
    private let state = Mutex(State())
    /// Sizes of the batches committed so far (count and largest), for tests and metrics.
    private let stats = Mutex((batches: 0, writes: 0, largest: 0))

    init(index: any ArchiveIndex) {
        self.index = index
    }

    /// Queues `write` and returns once the transaction holding it has committed (or failed).
    func submit(_ write: IndexWrite) async -> IndexWriteOutcome {
        await withCheckedContinuation { continuation in
            let start = state.withLock { s -> Bool in
                s.pending.append(Pending(write: write, continuation: continuation))
                if s.running { return false }
                s.running = true
                return true
            }
            if start {
                Task.detached { [self] in await self.run() }
            }
        }
    }

    private func run() async {
        while true {
            let batch = state.withLock { s -> [Pending] in
                let b = s.pending
                s.pending = []
                if b.isEmpty { s.running = false }
                return b
            }
            if batch.isEmpty { return }
            let outcomes: [IndexWriteOutcome]
            do {
                outcomes = try await index.apply(batch.map(\.write))
            } catch {
                outcomes = Array(repeating: .refused(error), count: batch.count)
            }
            stats.withLock { s in
                s.batches += 1
                s.writes += batch.count
                s.largest = max(s.largest, batch.count)
            }
            for (i, p) in batch.enumerated() {
                p.continuation.resume(returning: i < outcomes.count ? outcomes[i] : .refused(.index("no outcome")))
            }
        }
    }

    /// Writes queued behind the transaction in progress.
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// (transactions committed, writes in them, largest batch).
    var statistics: (batches: Int, writes: Int, largest: Int) { stats.withLock { $0 } }
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

    /// Hands the key to the next waiter, or frees it.
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
