// PS3.4 §C.4.3: the C-GET SCP of the Patient Root and Study Root Query/Retrieve models. The
// selected instances go back as C-STORE sub-operations on the same association, on the storage
// presentation contexts the requestor proposed (with the SCP role, PS3.7 §D.3.3.4).
// Statuses (PS3.4 Table C.4-3): FF00 pending, 0000, B000 (some failed; Failed SOP Instance UID
// List), A702 (no sub-operation succeeded, e.g. no context for the SOP class), A701 (the index
// could not be read), A900/C000 (bad identifier), FE00 (cancel).
import DicomArchive
import DicomCore
import Logging

public struct QueryRetrieveGetProvider: DimseServiceProvider {
    let selection: RetrieveSelection
    let logger: Logger

    /// - Parameter localPath: turns an index objectPath into the file's absolute path.
    public init(index: any ArchiveIndex, localPath: @escaping @Sendable (String) -> String?, settings: QueryRetrieveSettings,
                logger: Logger = Logger(label: "dicomnode.get")) {
        selection = RetrieveSelection(index: index, localPath: localPath, personNameCaseInsensitive: settings.personNameCaseInsensitive)
        self.logger = logger
    }

    public var abstractSyntaxes: Set<String> { Set(QueryRetrieveModel.allCases.map(\.getSOPClass)) }
    public var commandFields: Set<CommandField> { [.cGetRQ] }

    /// Why one sub-operation could not be sent.
    enum SubOperationError: Error { case noContext, conversion(any Error) }

    /// The data set of `instance` encoded for one of `contexts`: the stored syntax when it was
    /// accepted, else transcoded to an accepted one (decompressed through the codec registry).
    static func encode(_ instance: RetrieveInstance, contexts: [AcceptedContext]) throws -> (AcceptedContext, [UInt8]) {
        let candidates = contexts.filter { $0.abstractSyntax == instance.sopClassUID }
        guard !candidates.isEmpty else { throw SubOperationError.noContext }
        let file = try DicomFile.read(path: instance.path)
        if let same = candidates.first(where: { $0.transferSyntax == file.transferSyntax.uid }) {
            return (same, try file.dataSetBytesForNetwork())
        }
        var lastError: (any Error)?
        for c in candidates.transcodingTargets() {
            do {
                let converted = try Transcoder.transcode(file, to: TransferSyntax(uid: c.transferSyntax))
                return (c, try converted.dataSetBytesForNetwork())
            } catch { lastError = error }
        }
        throw SubOperationError.conversion(lastError ?? SubOperationError.noContext)
    }

    public func perform(_ request: DimseRequest, operation: DimseOperation) async -> DimseReply {
        let assoc = operation.association.id
        let instances: [RetrieveInstance]
        switch await selection.instances(for: request) {
        case .success(let list): instances = list
        case .failure(let e): return e.reply
        }
        let contexts = operation.association.accepted.values.sorted { $0.id < $1.id }
        var counts = SubOperationCounts(total: instances.count)
        var cancelled = false
        for instance in instances {
            if operation.isCancelled {
                cancelled = true
                break
            }
            do {
                let (context, bytes) = try Self.encode(instance, contexts: contexts)
                var c = CommandSet()
                c.commandField = .cStoreRQ
                c.affectedSOPClassUID = instance.sopClassUID
                c.affectedSOPInstanceUID = instance.sopInstanceUID
                c.priority = 0
                let rsp = try await operation.sendRequest(c, dataSet: bytes, contextID: context.id)
                counts.record(rsp.status ?? .processingFailure, sopInstanceUID: instance.sopInstanceUID)
            } catch SubOperationError.noContext {
                // PS3.4 §C.4.3.3.1: no presentation context for the SOP class — a failed sub-operation.
                logger.notice("C-GET: no context for \(instance.sopClassUID)", metadata: ["assoc": "\(assoc)"])
                counts.record(.unableToPerformSubOperations, sopInstanceUID: instance.sopInstanceUID)
            } catch let error as SubOperationError {
                logger.notice("C-GET: not sent: \(error)", metadata: ["assoc": "\(assoc)"])
                counts.record(.unableToPerformSubOperations, sopInstanceUID: instance.sopInstanceUID)
            } catch {
                // A read error of one file fails that one; a lost association ends the loop below.
                logger.warning("C-GET sub-operation failed: \(error)", metadata: ["assoc": "\(assoc)"])
                counts.record(.processingFailure, sopInstanceUID: instance.sopInstanceUID)
            }
            if counts.remaining > 0 {
                do { try await operation.send(counts.pendingReply) } catch {
                    cancelled = true                     // the requestor is gone
                    break
                }
            }
        }
        return counts.finalReply(cancelled: cancelled)
    }
}
