#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DicomCore
import Synchronization

/// Instance files in a directory tree:
/// `ROOT/objects/ab/<sha256 of the SOP Instance UID>.dcm`, staging in `ROOT/incoming/`,
/// set-aside files in `ROOT/quarantine/`. All three are on one filesystem, so rename is atomic.
public struct LocalFileStore: FileStore {
    public let root: String
    public let durable: Bool
    /// Directories whose entry in their parent is known to be durable (created and parent fsync'd,
    /// or found at startup and parent fsync'd once). Two ingests creating one directory at the same
    /// time both fsync the parent before either relies on it.
    private let durableDirectories = DirectorySet()

    static let objectsDirectory = "objects"
    static let incomingDirectory = "incoming"
    static let quarantineDirectory = "quarantine"

    /// Creates the directories if needed.
    public init(root: String, durable: Bool) throws(ArchiveError) {
        self.root = root
        self.durable = durable
        var created = false
        created = try POSIX.makeDirectories(root) || created
        for name in [Self.objectsDirectory, Self.incomingDirectory, Self.quarantineDirectory] {
            created = try POSIX.makeDirectory(root + "/" + name) || created
        }
        if created && durable {
            try POSIX.fsyncDirectory(root)
        }
        // objects/00 … objects/ff exist from the start, so that no ingest pays for a mkdir and
        // the fsync of its parent (256 × ~40,000 files is 10 million instances).
        var madeShard = false
        for i in 0..<256 {
            madeShard = try POSIX.makeDirectory(root + "/" + Self.objectsDirectory + "/" + Self.hex2(i)) || madeShard
        }
        if madeShard && durable {
            try POSIX.fsyncDirectory(root + "/" + Self.objectsDirectory)
        }
    }

    static func hex2(_ i: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[(i >> 4) & 0xF], digits[i & 0xF]])
    }

    public func makeStagingFile() throws(ArchiveError) -> StagingFile {
        try StagingFile(path: "\(root)/\(Self.incomingDirectory)/\(POSIX.randomHex()).part", directIO: true)
    }

    public func key(for sopInstanceUID: String, avoiding: String?) -> String {
        let hash = SHA256.hex(Array(sopInstanceUID.utf8))
        let a = hash.prefix(2)
        let primary = "\(Self.objectsDirectory)/\(a)/\(hash).dcm"
        if primary != avoiding { return primary }
        // A replacement goes beside the old file under a fresh name; the old one is removed once
        // the index points at the new one.
        return "\(Self.objectsDirectory)/\(a)/\(hash)-\(POSIX.randomHex(bytes: 4)).dcm"
    }

    public func commit(_ staged: StagingFile, as key: String) throws(ArchiveError) -> Int {
        try staged.finishWriting(durable: durable)
        let target = path(key)
        let directory = try makeParentDirectories(of: key)
        guard let size = try POSIX.fileSize(staged.path) else { throw .io("staging file vanished") }
        try POSIX.rename(staged.path, target)
        staged.markCommitted()
        if durable { try POSIX.fsyncDirectory(directory) }
        return size
    }

    public func open(_ key: String) throws(ArchiveError) -> any ByteSource {
        do {
            return try FileByteSource(path: path(key))
        } catch {
            throw .io("open \(key): \(error)")
        }
    }

    public func localPath(_ key: String) -> String? { path(key) }

    public func size(of key: String) throws(ArchiveError) -> Int? { try POSIX.fileSize(path(key)) }

    public func remove(_ key: String) throws(ArchiveError) {
        try POSIX.unlinkIfPresent(path(key))
        if durable, let slash = key.lastIndex(of: "/") {
            try POSIX.fsyncDirectory(path(String(key[..<slash])))
        }
    }

    public func quarantine(_ key: String) throws(ArchiveError) -> String {
        let name = key.split(separator: "/").last.map(String.init) ?? "object"
        let target = "\(Self.quarantineDirectory)/\(POSIX.randomHex(bytes: 4))-\(name)"
        try POSIX.rename(path(key), path(target))
        if durable {
            try POSIX.fsyncDirectory(path(Self.quarantineDirectory))
        }
        return target
    }

    public func allObjects() throws(ArchiveError) -> [String: Int] {
        var out: [String: Int] = [:]
        let objects = Self.objectsDirectory
        for a in try POSIX.list(path(objects)) where POSIX.isDirectory(path("\(objects)/\(a)")) {
            for name in try POSIX.list(path("\(objects)/\(a)")) where name.hasSuffix(".dcm") {
                let key = "\(objects)/\(a)/\(name)"
                if let size = try POSIX.fileSize(path(key)) { out[key] = size }
            }
        }
        return out
    }

    public func removeStaleStagingFiles() throws(ArchiveError) -> Int {
        let incoming = path(Self.incomingDirectory)
        var removed = 0
        for name in try POSIX.list(incoming) {
            try POSIX.unlinkIfPresent("\(incoming)/\(name)")
            removed += 1
        }
        if removed > 0 && durable { try POSIX.fsyncDirectory(incoming) }
        return removed
    }

    func path(_ key: String) -> String { "\(root)/\(key)" }

    static let previewsDirectory = "previews"

    /// `objects/ab/<hash>.dcm` → `previews/ab/<hash>.dcm`.
    func previewPath(for key: String) -> String {
        let relative = key.hasPrefix(Self.objectsDirectory + "/") ? String(key.dropFirst(Self.objectsDirectory.count + 1)) : key
        return "\(root)/\(Self.previewsDirectory)/\(relative)"
    }

    public func writePreview(_ bytes: [UInt8], for key: String) throws(ArchiveError) {
        let target = previewPath(for: key)
        guard let slash = target.lastIndex(of: "/") else { throw .io("preview path \(target)") }
        _ = try POSIX.makeDirectories(String(target[..<slash]))
        // Written beside its final name and renamed: a reader sees the old preview, none, or the new one whole.
        let temporary = "\(target).\(POSIX.randomHex(bytes: 4)).part"
        let staged = try StagingFile(path: temporary)
        do throws(ArchiveError) {
            try staged.write(bytes)
            try staged.finishWriting(durable: false)
            try POSIX.rename(temporary, target)
            staged.markCommitted()
        } catch {
            staged.discard()
            throw error
        }
    }

    public func openPreview(for key: String) -> (any ByteSource)? {
        try? FileByteSource(path: previewPath(for: key))
    }

    public func removePreview(for key: String) {
        try? POSIX.unlinkIfPresent(previewPath(for: key))
    }

    /// The directory of a key (`objects/ab`), created (and its parent fsync'd) when new. Returns its path.
    private func makeParentDirectories(of key: String) throws(ArchiveError) -> String {
        var parts = key.split(separator: "/").map(String.init)
        parts.removeLast()
        var current = root
        for part in parts {
            let next = current + "/" + part
            if !durableDirectories.contains(next) {
                try POSIX.makeDirectory(next)
                if durable { try POSIX.fsyncDirectory(current) }
                durableDirectories.insert(next)
            }
            current = next
        }
        return current
    }
}

/// A set of directory paths shared by copies of a store.
final class DirectorySet: Sendable {
    private let paths = Mutex(Set<String>())
    func contains(_ path: String) -> Bool { paths.withLock { $0.contains(path) } }
    func insert(_ path: String) { _ = paths.withLock { $0.insert(path) } }
}
