// Group commit for threads that block: the first writer to arrive leads — it takes every write
// pending at that moment, commits them in one transaction (one WAL fsync), hands each waiting
// writer its outcome, and goes round again while writes keep arriving. A writer alone commits at
// once: there is no timer.
import Dispatch
import Synchronization

final class BlockingGroupCommitter: Sendable {
    private final class Slot: Sendable {
        let ready = DispatchSemaphore(value: 0)
        let outcome = Mutex<IndexWriteOutcome?>(nil)
        func fulfill(_ o: IndexWriteOutcome) {
            outcome.withLock { $0 = o }
            ready.signal()
        }
        func wait() -> IndexWriteOutcome {
            ready.wait()
            return outcome.withLock { $0 } ?? .refused(.index("no outcome"))
        }
    }

    private struct State {
        var pending: [(IndexWrite, Slot)] = []
        var leading = false
    }

    private let index: any SynchronousArchiveIndex
    private let state = Mutex(State())
    private let stats = Mutex((batches: 0, writes: 0, largest: 0))

    init(index: any SynchronousArchiveIndex) {
        self.index = index
    }

    /// Commits `write` (with whatever else is pending) and returns its outcome; blocks.
    func submit(_ write: IndexWrite) -> IndexWriteOutcome {
        let slot = Slot()
        let lead = state.withLock { s -> Bool in
            s.pending.append((write, slot))
            if s.leading { return false }
            s.leading = true
            return true
        }
        if lead { drain() }
        return slot.wait()
    }

    private func drain() {
        while true {
            let batch = state.withLock { s -> [(IndexWrite, Slot)] in
                let b = s.pending
                s.pending = []
                if b.isEmpty { s.leading = false }
                return b
            }
            if batch.isEmpty { return }
            let outcomes: [IndexWriteOutcome]
            do {
                outcomes = try index.applyBlocking(batch.map(\.0))
            } catch {
                outcomes = Array(repeating: .refused(error), count: batch.count)
            }
            stats.withLock { s in
                s.batches += 1
                s.writes += batch.count
                s.largest = max(s.largest, batch.count)
            }
            for (i, (_, slot)) in batch.enumerated() {
                slot.fulfill(i < outcomes.count ? outcomes[i] : .refused(.index("no outcome")))
            }
        }
    }

    var statistics: (batches: Int, writes: Int, largest: Int) { stats.withLock { $0 } }
}

/// A per-key mutual exclusion for blocking threads (one ingest per SOP Instance UID at a time).
final class BlockingKeyedLock: Sendable {
    private struct State {
        var held: Set<String> = []
        var waiters: [String: [DispatchSemaphore]] = [:]
    }
    private let state = Mutex(State())

    func acquire(_ key: String) {
        let wait = state.withLock { s -> DispatchSemaphore? in
            if !s.held.contains(key) {
                s.held.insert(key)
                return nil
            }
            let sem = DispatchSemaphore(value: 0)
            s.waiters[key, default: []].append(sem)
            return sem
        }
        // Ownership passes directly from the releaser to the first waiter.
        wait?.wait()
    }

    func release(_ key: String) {
        let next = state.withLock { s -> DispatchSemaphore? in
            if var queue = s.waiters[key], !queue.isEmpty {
                let first = queue.removeFirst()
                s.waiters[key] = queue.isEmpty ? nil : queue
                return first                      // the key stays held, by the waiter now
            }
            s.held.remove(key)
            return nil
        }
        next?.signal()
    }
}
