#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX helpers for the file store: every call loops on EINTR and reports errno as `ArchiveError`.
enum POSIX {
    /// open(2)'s O_DIRECT, which Glibc's Swift module leaves out (it needs _GNU_SOURCE); its value
    /// differs between architectures (asm-generic/fcntl.h and arch/*/include/uapi/asm/fcntl.h).
    /// 0 where unknown: no direct writes there.
    #if os(Linux) && (arch(x86_64) || arch(i386))
    static let oDirect: Int32 = 0o40000
    #elseif os(Linux) && (arch(arm64) || arch(arm))
    static let oDirect: Int32 = 0o200000
    #else
    static let oDirect: Int32 = 0
    #endif

    /// fsync(2) of an open descriptor.
    static func fsync(_ fd: Int32, _ what: String) throws(ArchiveError) {
        while true {
            if Glibc.fsync(fd) == 0 { return }
            if errno == EINTR { continue }
            throw ArchiveError.from(errno: errno, "fsync \(what)")
        }
    }

    /// Opens `path` (a directory) and fsyncs it, so that entries created or renamed in it survive a crash.
    static func fsyncDirectory(_ path: String) throws(ArchiveError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.from(errno: errno, "open directory \(path)") }
        defer { close(fd) }
        try fsync(fd, path)
    }

    /// Creates `path` if it is absent; returns true when it was created (its parent then needs an fsync).
    @discardableResult
    static func makeDirectory(_ path: String) throws(ArchiveError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        let e = errno
        var st = stat()
        if e == EEXIST, stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return false }
        throw ArchiveError.from(errno: e, "mkdir \(path)")
    }

    /// `mkdir -p`: creates `path` and any missing parents. Returns whether `path` itself was made.
    static func makeDirectories(_ path: String) throws(ArchiveError) -> Bool {
        var current = path.hasPrefix("/") ? "" : "."
        var made = false
        for part in path.split(separator: "/") where !part.isEmpty {
            current += "/" + part
            if part == "." || part == ".." { continue }
            made = try makeDirectory(current)
        }
        return made
    }

    /// Size of a regular file, nil when it does not exist.
    static func fileSize(_ path: String) throws(ArchiveError) -> Int? {
        var st = stat()
        if stat(path, &st) == 0 { return Int(st.st_size) }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw ArchiveError.from(errno: errno, "stat \(path)")
    }

    /// unlink(2); a missing file is not an error.
    static func unlinkIfPresent(_ path: String) throws(ArchiveError) {
        if unlink(path) == 0 || errno == ENOENT { return }
        throw ArchiveError.from(errno: errno, "unlink \(path)")
    }

    static func rename(_ from: String, _ to: String) throws(ArchiveError) {
        guard Glibc.rename(from, to) == 0 else { throw ArchiveError.from(errno: errno, "rename to \(to)") }
    }

    /// Names in a directory, without "." and "..".
    static func list(_ path: String) throws(ArchiveError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw ArchiveError.from(errno: errno, "opendir \(path)")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// 16 random bytes as hex, for staging and replacement file names.
    static func randomHex(bytes: Int = 16) -> String {
        // One 64-bit draw per 8 bytes (one getrandom call each), not one per byte.
        var g = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes * 2)
        var word: UInt64 = 0
        for i in 0..<bytes {
            if i % 8 == 0 { word = g.next() }
            let b = UInt8(truncatingIfNeeded: word >> (8 * UInt64(i % 8)))
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
