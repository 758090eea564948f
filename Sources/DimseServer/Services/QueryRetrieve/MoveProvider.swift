// PS3.4 §C.4.2: the C-MOVE SCP of the Patient Root and Study Root Query/Retrieve models. The
// identifier selects stored instances (§C.4.2.2.1); each is sent with a C-STORE sub-operation on
// a new association to the Move Destination, which must be a configured remote AE.
// Statuses (PS3.4 Table C.4-2): FF00 pending, 0000, B000 (some failed; Failed SOP Instance UID
// List), A702 (no sub-operation succeeded or the destination could not be reached), A801 (Move
// Destination unknown), A701 (the index could not be read), A900/C000 (bad identifier), FE00 (cancel).
import DicomArchive
import DicomCore
import Logging

public struct QueryRetrieveMoveProvider: DimseServiceProvider {
    let selection: RetrieveSelection
    let aeTitle: String
    let destinations: @Sendable (String) -> RemoteAE?
    let logger: Logger

    /// - Parameters:
    ///   - localPath: turns an index objectPath into the file's absolute path.
    ///   - destinations: the configured remote AE for a Move Destination AE title, nil if unknown.
    public init(index: any ArchiveIndex, localPath: @escaping @Sendable (String) -> String?, settings: QueryRetrieveSettings,
                destinations: @escaping @Sendable (String) -> RemoteAE?, logger: Logger = Logger(label: "dicomnode.move")) {
        selection = RetrieveSelection(index: index, localPath: localPath, personNameCaseInsensitive: settings.personNameCaseInsensitive)
        aeTitle = settings.aeTitle
        self.destinations = destinations
        self.logger = logger
    }

    public var abstractSyntaxes: Set<String> { Set(QueryRetrieveModel.allCases.map(\.moveSOPClass)) }
    public var commandFields: Set<CommandField> { [.cMoveRQ] }

    /// Contexts for the sub-association: per SOP class, the stored syntaxes each on their own
    /// (a compressed one cannot be converted) and the two uncompressed syntaxes we convert among.
    static func contexts(for instances: [RetrieveInstance]) -> [ProposedContext] {
        var out: [ProposedContext] = []
        var seen = Set<ProposedContext>()
        func add(_ c: ProposedContext) { if seen.insert(c).inserted { out.append(c) } }
        for i in instances {
            let ts = TransferSyntax(uid: i.transferSyntaxUID)
            if ts.isEncapsulated || ts.isDeflated || i.transferSyntaxUID == "1.2.840.10008.1.2.2" {
                add(ProposedContext(abstractSyntax: i.sopClassUID, transferSyntaxes: [i.transferSyntaxUID]))
            }
            add(ProposedContext(abstractSyntax: i.sopClassUID,
                                transferSyntaxes: [UID.explicitVRLittleEndian, UID.implicitVRLittleEndian]))
        }
        return Array(out.prefix(128))                   // PS3.8 §9.3.2.2: at most 128 contexts
    }

    public func perform(_ request: DimseRequest, operation: DimseOperation) async -> DimseReply {
        let assoc = operation.association.id
        // PS3.7 §9.1.4.1.3 / PS3.4 Table C.4-2: A801 for a destination we do not know.
        let destinationTitle = (request.command.moveDestination ?? "").trimmingCharacters(in: .whitespaces)
        guard !destinationTitle.isEmpty, let destination = destinations(destinationTitle) else {
            logger.notice("C-MOVE refused: unknown Move Destination", metadata: ["assoc": "\(assoc)"])
            return DimseReply(status: .moveDestinationUnknown, comment: "Move Destination \"\(destinationTitle)\" is not a configured remote AE")
        }
        let instances: [RetrieveInstance]
        switch await selection.instances(for: request) {
        case .success(let list): instances = list
        case .failure(let e): return e.reply
        }
        var counts = SubOperationCounts(total: instances.count)
        guard !instances.isEmpty else { return counts.finalReply(cancelled: false) }

        let sub: DimseAssociation
        do {
            sub = try await DimseAssociation.open(to: destination, callingAETitle: aeTitle, contexts: Self.contexts(for: instances))
        } catch {
            logger.warning("C-MOVE: association to \(destination) failed: \(error)", metadata: ["assoc": "\(assoc)"])
            counts.failRemaining(instances.map(\.sopInstanceUID))
            var reply = counts.finalReply(cancelled: false)
            reply.command.status = .unableToPerformSubOperations
            reply.command.errorComment = "cannot associate with the Move Destination"
            return reply
        }
        let originator = (aeTitle: operation.association.callingAETitle, messageID: request.command.messageID ?? 0)
        var cancelled = false
        var index = 0
        while index < instances.count {
            if operation.isCancelled {
                cancelled = true
                break
            }
            let instance = instances[index]
            index += 1
            do {
                let result = try await sub.store(file: instance.path, moveOriginator: originator)
                counts.record(result.status, sopInstanceUID: instance.sopInstanceUID)
            } catch let error as AssociationError {
                if case .noContext = error {
                    counts.record(.unableToPerformSubOperations, sopInstanceUID: instance.sopInstanceUID)
                } else {
                    // The destination went away: this and the rest fail (PS3.4 §C.4.2.3.1).
                    logger.warning("C-MOVE: destination lost: \(error)", metadata: ["assoc": "\(assoc)"])
                    counts.failRemaining(instances[(index - 1)...].map(\.sopInstanceUID))
                    await sub.abort()
                    return counts.finalReply(cancelled: false)
                }
            } catch {
                logger.warning("C-MOVE: sub-operation not sent: \(error)", metadata: ["assoc": "\(assoc)"])
                counts.record(.processingFailure, sopInstanceUID: instance.sopInstanceUID)
            }
            if counts.remaining > 0 {
                do { try await operation.send(counts.pendingReply) } catch {
                    // The requestor is gone; finish quietly.
                    cancelled = true
                    break
                }
            }
        }
        do { try await sub.release() } catch { await sub.abort() }
        return counts.finalReply(cancelled: cancelled)
    }
}
