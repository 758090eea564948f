// Parsed headers of stored objects (everything but Pixel Data and values over 1 KiB, which stay in
// the file), kept for the requests that follow one another on an instance: a viewer reads a
// series' metadata (every header), then asks for each frame, which needs the same header again.
// An object file is never rewritten in place (a replacement is a new file, renamed), so an entry is
// good while the file at that path is the same inode with the same size and modification time.
#if canImport(Glibc)
import Glibc
#endif
import DicomCore
import Synchronization

final class HeaderCache: Sendable {
    struct Identity: Equatable, Sendable {
        var inode: UInt64
        var size: Int64
        var modified: Int64     // nanoseconds
    }

    private struct Entry {
        var identity: Identity
        var file: DicomFile
        var used: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Entries kept at most: a 500-slice series and then some (a CT header parses to a few KiB).
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The identity of the file at `path` now; nil when it cannot be stat'ed.
    static func identity(of path: String) -> Identity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Identity(inode: UInt64(st.st_ino), size: Int64(st.st_size),
                        modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    func file(_ path: String, _ identity: Identity) -> DicomFile? {
        state.withLock { s in
            guard var e = s.entries[path] else { return nil }
            guard e.identity == identity else {
                s.entries[path] = nil
                return nil
            }
            s.clock += 1
            e.used = s.clock
            s.entries[path] = e
            return e.file
        }
    }

    func store(_ file: DicomFile, path: String, identity: Identity) {
        state.withLock { s in
            s.clock += 1
            s.entries[path] = Entry(identity: identity, file: file, used: s.clock)
            guard s.entries.count > capacity else { return }
            // Over capacity: the least recently used quarter goes, so that this runs rarely.
            let drop = s.entries.sorted { $0.value.used < $1.value.used }.prefix(max(1, capacity / 4)).map(\.key)
            for key in drop { s.entries[key] = nil }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
