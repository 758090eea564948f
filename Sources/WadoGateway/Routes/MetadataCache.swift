// Series metadata is what a web viewer asks for first and most (one request per series): it is
// built once from the files and kept, plain and gzip'd, keyed by the index's series version
// (PS3.18 §10.4.1.2; issue 8). A new, replaced or removed instance changes the version, so a
// stale entry is never served, on this node or on another sharing the index.
import DicomCore
import Synchronization

final class MetadataCache: Sendable {
    struct Entry: Sendable {
        var version: String
        var study: String
        var json: [UInt8]
        var gzip: [UInt8]
        var cost: Int { json.count + gzip.count }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Least recently used first.
        var order: [String] = []
        var cost = 0
    }

    private let state = Mutex(State())
    /// Bytes kept at most (plain + gzip): the node's memory stays flat whatever it serves.
    let capacity: Int

    init(capacity: Int = 48 << 20) {
        self.capacity = capacity
    }

    func entry(_ key: String, version: String) -> Entry? {
        state.withLock { s in
            guard let e = s.entries[key], e.version == version else { return nil }
            if let i = s.order.firstIndex(of: key) { s.order.remove(at: i) }
            s.order.append(key)
            return e
        }
    }

    func store(_ key: String, _ entry: Entry) {
        guard entry.cost <= capacity / 4 else { return }          // too big to be worth keeping
        state.withLock { s in
            if let old = s.entries[key] {
                s.cost -= old.cost
                if let i = s.order.firstIndex(of: key) { s.order.remove(at: i) }
            }
            s.entries[key] = entry
            s.order.append(key)
            s.cost += entry.cost
            while s.cost > capacity, let oldest = s.order.first {
                s.order.removeFirst()
                if let e = s.entries.removeValue(forKey: oldest) { s.cost -= e.cost }
            }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
