// PS3.4 §C.4.2 (C-MOVE) and §C.4.3 (C-GET): what both retrieve services share — the instances an
// identifier selects, and the sub-operation counts and statuses of PS3.4 Tables C.4-2 / C.4-3.
import DicomArchive
import DicomCore
import Foundation
import Synchronization

/// One stored instance a retrieve sends.
public struct RetrieveInstance: Sendable, Equatable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    /// Absolute path of the Part 10 file.
    public var path: String
}

/// PS3.4 Table C.4-2 / C.4-3 statuses the retrieve services return besides the common ones.
extension DimseStatus {
    /// PS3.4 Table C.4-2/C.4-3: Refused: Out of Resources – Unable to calculate number of matches.
    public static let unableToCalculateMatches = DimseStatus(rawValue: 0xA701)
    /// PS3.4 Table C.4-2/C.4-3: Refused: Out of Resources – Unable to perform sub-operations.
    public static let unableToPerformSubOperations = DimseStatus(rawValue: 0xA702)
    /// PS3.4 Table C.4-2: Refused: Move Destination unknown.
    public static let moveDestinationUnknown = DimseStatus(rawValue: 0xA801)
    /// PS3.4 Table C.4-2/C.4-3: Warning: Sub-operations Complete – One or more Failures or Warnings.
    public static let subOperationsCompleteWithFailures = DimseStatus(rawValue: 0xB000)
}

/// The counts of PS3.7 §9.1.3.1 / §9.1.4.1 (Number of Remaining/Completed/Failed/Warning
/// Sub-operations) and the Failed SOP Instance UID List (0008,0058) of PS3.4 §C.4.2.1.3.2.
public struct SubOperationCounts: Sendable, Equatable {
    public var remaining: Int
    public var completed = 0
    public var failed = 0
    public var warning = 0
    public var failedSOPInstanceUIDs: [String] = []

    public init(total: Int) { remaining = total }

    /// Counts one finished sub-operation by its C-STORE-RSP status (PS3.4 Table B.2-1:
    /// 0000 completed, Bxxx warning, anything else failed).
    public mutating func record(_ status: DimseStatus, sopInstanceUID: String) {
        remaining = max(remaining - 1, 0)
        switch status.category {
        case .success: completed += 1
        case .warning: warning += 1
        default:
            failed += 1
            failedSOPInstanceUIDs.append(sopInstanceUID)
        }
    }

    /// The rest could not be sent (the destination went away): each counts as failed.
    public mutating func failRemaining(_ uids: [String]) {
        failed += uids.count
        failedSOPInstanceUIDs += uids
        remaining = 0
    }

    /// A pending response (FF00) with all four counts (PS3.7 Table 9.3-5 / 9.3-6 notes).
    public var pendingReply: DimseReply {
        var r = DimseReply(status: .pending)
        set(&r.command, remaining: true)
        return r
    }

    /// The final response: FE00 after a cancel (with the remaining count), 0000 when every
    /// sub-operation succeeded, A702 when none did, B000 otherwise (PS3.4 §C.4.2.1.5, §C.4.3.1.4);
    /// Failed SOP Instance UID List in the identifier whenever something failed.
    public func finalReply(cancelled: Bool) -> DimseReply {
        let status: DimseStatus
        var comment: String?
        if cancelled {
            status = .cancel
        } else if failed == 0 && warning == 0 {
            status = .success
        } else if completed == 0 && warning == 0 {
            status = .unableToPerformSubOperations
            comment = "all \(failed) sub-operations failed"
        } else {
            status = .subOperationsCompleteWithFailures
            comment = "\(failed) failed, \(warning) with warnings"
        }
        var r = DimseReply(status: status, comment: comment)
        // PS3.7 §9.1.3.1.6: remaining is sent only in pending and cancel responses.
        set(&r.command, remaining: cancelled)
        if !failedSOPInstanceUIDs.isEmpty {
            var ds = DataSet()
            try? ds.set(Tag(0x0008, 0x0058), strings: failedSOPInstanceUIDs, vr: .UI)
            r.dataSet = ds
        }
        return r
    }

    private func set(_ c: inout CommandSet, remaining withRemaining: Bool) {
        func clamp(_ n: Int) -> UInt16 { UInt16(clamping: n) }
        if withRemaining { c.numberOfRemainingSuboperations = clamp(remaining) }
        c.numberOfCompletedSuboperations = clamp(completed)
        c.numberOfFailedSuboperations = clamp(failed)
        c.numberOfWarningSuboperations = clamp(warning)
    }
}

/// Reads a C-MOVE / C-GET identifier and lists the stored instances it selects.
struct RetrieveSelection: Sendable {
    let index: any ArchiveIndex
    /// objectPath (relative) → absolute path of the file.
    let localPath: @Sendable (String) -> String?
    let personNameCaseInsensitive: Bool

    /// The instances, or the reply that refuses the request (PS3.4 Table C.4-2 A900 / C000 / A701).
    func instances(for request: DimseRequest) async -> Result<[RetrieveInstance], ReplyError> {
        guard let model = QueryRetrieveModel(sopClass: request.context.abstractSyntax) else {
            return .failure(ReplyError(reply: DimseReply(status: .noSuchSOPClass, comment: "not a Query/Retrieve SOP class")))
        }
        guard let identifier = request.dataSet else {
            return .failure(ReplyError(reply: DimseReply(status: .cannotUnderstand, comment: "request without an identifier")))
        }
        let parsed: IdentifierQuery
        do {
            parsed = try IdentifierQuery(identifier, model: model, personNameCaseInsensitive: personNameCaseInsensitive, limit: 0)
        } catch {
            return .failure(ReplyError(reply: DimseReply(status: error.dimseStatus, comment: error.errorComment)))
        }
        if let missing = Self.missingUniqueKey(identifier, level: parsed.level) {
            return .failure(ReplyError(reply: DimseReply(status: .dataSetDoesNotMatchSOPClass,
                                                         comment: "\(missing) is required at \(parsed.level.rawValue) level")))
        }
        // PS3.4 §C.4.2.2.1: every instance at and below the level the unique keys select.
        let query = IndexQuery(level: .image, conditions: parsed.query.conditions,
                               personNameCaseInsensitive: personNameCaseInsensitive, limit: 0, returnKeys: [])
        let out = Collector()
        let localPath = self.localPath
        do {
            _ = try await index.find(query, pageSize: 512) { matches in
                for m in matches {
                    guard let s = m.stored else { continue }
                    out.append(RetrieveInstance(sopClassUID: s.sopClassUID, sopInstanceUID: s.sopInstanceUID,
                                                transferSyntaxUID: s.transferSyntaxUID,
                                                path: localPath(s.objectPath) ?? s.objectPath))
                }
                return true
            }
        } catch {
            return .failure(ReplyError(reply: DimseReply(status: .unableToCalculateMatches, comment: "the index could not be read")))
        }
        return .success(out.items.withLock { $0 })
    }

    struct ReplyError: Error { var reply: DimseReply }

    /// PS3.4 §C.4.2.2.1 / §C.4.3.2.1: a retrieve identifier holds the unique key of its level with
    /// a value (a missing one would select everything). Returns the keyword of the missing key.
    static func missingUniqueKey(_ identifier: DataSet, level: QueryLevel) -> String? {
        let (tag, keyword): (Tag, String) = switch level {
        case .patient: (Tag(0x0010, 0x0020), "PatientID")
        case .study: (Tag(0x0020, 0x000D), "StudyInstanceUID")
        case .series: (Tag(0x0020, 0x000E), "SeriesInstanceUID")
        case .image: (Tag(0x0008, 0x0018), "SOPInstanceUID")
        }
        let values = identifier.strings(tag).map { $0.trimmingCharacters(in: .whitespaces) }
        return values.contains(where: { !$0.isEmpty }) ? nil : keyword
    }

    private final class Collector: Sendable {
        let items = Mutex<[RetrieveInstance]>([])
        func append(_ i: RetrieveInstance) { items.withLock { $0.append(i) } }
    }
}
