// The node's secret for the UIDs PS3.15 Annex E de-identification makes (action U): kept in the
// data directory so that one instance gets the same new UIDs on every request and the instances
// of a study keep one new Study Instance UID.
import DicomArchive
import DicomCore
import Foundation
import Synchronization

/// Loads, or creates on first use, `deidentification.key` (32 random bytes, mode 0600) in the
/// archive's root, and keeps it in memory afterwards.
final class DeidentificationKey: Sendable {
    static let fileName = "deidentification.key"
    static let length = 32
    private let cached = Mutex<[UInt8]?>(nil)

    /// - Throws: `DicomWebError` 500 when the key can be neither read nor created.
    func secret(root: String) throws(DicomWebError) -> [UInt8] {
        if let key = cached.withLock({ $0 }) { return key }
        let path = root + "/" + Self.fileName
        let key: [UInt8]
        if let existing = Self.read(path) {
            key = existing
        } else {
            var generator = SystemRandomNumberGenerator()
            let fresh = (0..<Self.length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // O_EXCL: when two requests race, the file that won is the key both use.
            let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            if fd >= 0 {
                let written = fresh.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                fsync(fd)
                close(fd)
                guard written == Self.length else {
                    unlink(path)
                    throw DicomWebError(.internalServerError, "the de-identification key could not be written")
                }
            }
            guard let stored = Self.read(path) else {
                throw DicomWebError(.internalServerError, "the de-identification key \(Self.fileName) is unreadable or not \(Self.length) bytes")
            }
            key = stored
        }
        cached.withLock { $0 = key }
        return key
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path), data.count == length else { return nil }
        return [UInt8](data)
    }
}
