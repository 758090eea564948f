#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an instance could not be stored or the archive could not answer.
///
/// Messages never hold patient data: UIDs, paths under the archive root and errno texts only.
/// The DIMSE status each maps to (PS3.4 Annex B.2.3) is noted per case; the mapping itself lives
/// in DimseServer.
public enum ArchiveError: Error, Sendable, Equatable {
    /// The staged data set does not parse → C000 (Cannot understand).
    case unreadable(String)
    /// (0008,0016) differs from the C-STORE-RQ's Affected SOP Class UID → A900.
    case sopClassMismatch(expected: String, found: String)
    /// (0008,0018) differs from the C-STORE-RQ's Affected SOP Instance UID → A900.
    case sopInstanceMismatch(expected: String, found: String)
    /// (0020,000D) differs from the Study Instance UID of the request (STOW-RS to /studies/{uid},
    /// PS3.18 §10.5.1) → A900.
    case studyMismatch(expected: String, found: String)
    /// A required attribute is absent or empty, e.g. "(0020,000D) Study Instance UID" → A900 family.
    case missingAttribute(String)
    /// Duplicate policy `reject` → 0111 (Duplicate SOP Instance, PS3.7 Annex C).
    case duplicateRejected(sopInstanceUID: String)
    /// Identity conflict policy `reject`.
    case identityConflict(String)
    /// ENOSPC or EDQUOT → A700 (Out of resources).
    case outOfSpace(String)
    /// Other I/O failure → A700.
    case io(String)
    /// SQLite (or other index) failure → A700. Never holds SQL text with values.
    case index(String)
}

extension ArchiveError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unreadable(let s): "unreadable data set: \(s)"
        case .sopClassMismatch(let e, let f): "SOP Class UID \(f) in the data set, \(e) in the request"
        case .sopInstanceMismatch(let e, let f): "SOP Instance UID \(f) in the data set, \(e) in the request"
        case .studyMismatch(let e, let f): "Study Instance UID \(f) in the data set, \(e) in the request"
        case .missingAttribute(let s): "missing attribute \(s)"
        case .duplicateRejected(let uid): "duplicate SOP Instance UID \(uid) rejected by policy"
        case .identityConflict(let s): "identity conflict: \(s)"
        case .outOfSpace(let s): "out of space: \(s)"
        case .io(let s): "I/O error: \(s)"
        case .index(let s): "index error: \(s)"
        }
    }

    /// An errno from a file operation: ENOSPC/EDQUOT become `.outOfSpace`, the rest `.io`.
    static func from(errno code: Int32, _ what: String) -> ArchiveError {
        let text = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return .outOfSpace("\(what): \(text)")
        }
        return .io("\(what): \(text)")
    }
}
