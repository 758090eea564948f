// Parsed headers of stored objects (everything but Pixel Data and values over 1 KiB, which stay in
// the file), kept for the requests that follow one another on an instance: a viewer reads a
// series' metadata (every header), then asks for each frame, which needs the same header again.
// An object file is never rewritten in place (a replacement is a new file, renamed), so an entry is
// good while the file at that path is the same inode with the same size and modification time.
//
// An entry also keeps the index's answer for the instance (IndexedInstance), so that a frame
// request on an instance seen a moment ago needs neither the index nor a blocking thread: the
// answer holds while the file is the same and the archive has replaced or dropped no instance
// since (`Archive.removals`). A new instance changes nothing an answer said of another one.
#if canImport(Glibc)
import Glibc
#endif
import DicomArchive
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
        /// The index's answer for the instance in the file, and `Archive.removals` when it was given.
        var instance: (IndexedInstance, removals: UInt64)?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// SOP Instance UID → path of its entry (an entry that has an `instance`).
        var paths: [String: String] = [:]
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

    /// The index's answer and the header of instance `uid`, when both are kept, the answer was
    /// given at `removals` and its file is still the one read. `path`: the local path of an object
    /// key (nil: not a local file), to tell apart archives that hold the same instance.
    func instance(_ uid: String, removals: UInt64, path: (String) -> String?) -> (IndexedInstance, DicomFile)? {
        guard let (cachedPath, instance) = state.withLock({ s -> (String, IndexedInstance)? in
            guard let p = s.paths[uid], let e = s.entries[p], let (instance, at) = e.instance, at == removals else { return nil }
            return (p, instance)
        }), path(instance.objectPath) == cachedPath, let identity = Self.identity(of: cachedPath),
              let file = file(cachedPath, identity) else { return nil }
        return (instance, file)
    }

    /// Keeps `file`, read from `path` when it had `identity`; with `answer`, the index's answer
    /// for the instance in it and the value of `Archive.removals` before the index gave it.
    func store(_ file: DicomFile, path: String, identity: Identity, answer: (IndexedInstance, removals: UInt64)? = nil) {
        state.withLock { s in
            s.clock += 1
            var entry = Entry(identity: identity, file: file, used: s.clock)
            if let answer {
                entry.instance = answer
                s.paths[answer.0.sopInstanceUID] = path
            }
            s.entries[path] = entry
            guard s.entries.count > capacity else { return }
            // Over capacity: the least recently used quarter goes, so that this runs rarely.
            let drop = s.entries.sorted { $0.value.used < $1.value.used }.prefix(max(1, capacity / 4))
            for (key, e) in drop {
                s.entries[key] = nil
                if let uid = e.instance?.0.sopInstanceUID, s.paths[uid] == key { s.paths[uid] = nil }
            }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
