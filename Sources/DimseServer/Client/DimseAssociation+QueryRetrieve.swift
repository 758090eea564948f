// The Query/Retrieve SCU (PS3.4 Annex C): C-FIND, C-MOVE and C-GET on an open association.
import DicomCore
import NIOCore
import Synchronization

/// The outcome of a C-MOVE or C-GET as the SCP reported it (PS3.7 §9.1.3.1 / §9.1.4.1).
public struct RetrieveResult: Sendable {
    public var status: DimseStatus
    public var errorComment: String?
    public var completed: Int
    public var failed: Int
    public var warning: Int
    /// Failed SOP Instance UID List (0008,0058) of the final response, when the SCP sent one.
    public var failedSOPInstanceUIDs: [String]
    /// Pending responses seen.
    public var pendingResponses: Int
}

extension DimseAssociation {
    /// The contexts a Query/Retrieve SCU proposes for `model`: FIND, MOVE and GET SOP classes in
    /// Explicit and Implicit VR Little Endian.
    public static func queryRetrieveContexts(_ model: QueryRetrieveModel) -> [ProposedContext] {
        [model.findSOPClass, model.moveSOPClass, model.getSOPClass].map {
            ProposedContext(abstractSyntax: $0, transferSyntaxes: [UID.explicitVRLittleEndian, UID.implicitVRLittleEndian])
        }
    }

    private func acceptedContext(for sopClass: String) throws -> AcceptedContext {
        guard let c = accepted.first(where: { $0.abstractSyntax == sopClass }) else {
            throw AssociationError.noContext(UIDRegistry.name(for: sopClass) ?? sopClass)
        }
        return c
    }

    private func request(_ field: CommandField, sopClass: String, identifier: DataSet, moveDestination: String? = nil,
                         timeout: Duration, onResponse: @escaping ResponseObserver) async throws -> (CommandSet, AcceptedContext) {
        let context = try acceptedContext(for: sopClass)
        var c = CommandSet()
        c.commandField = field
        c.messageID = messageID()
        c.affectedSOPClassUID = sopClass
        c.priority = 0
        if let moveDestination { c.moveDestination = moveDestination }
        c.commandDataSetType = CommandSet.dataSetPresent
        let bytes = try DimseDataSetCoding.encode(identifier, transferSyntax: context.transferSyntax)
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        let final = try await send(command: c, dataSet: buffer, contextID: context.id, timeout: timeout, onResponse: onResponse)
        return (final, context)
    }

    /// C-FIND (PS3.4 §C.4.1): each match (the identifier of a pending response) goes to `onMatch`
    /// as it arrives. Returns the final status.
    public func find(model: QueryRetrieveModel, identifier: DataSet, timeout: Duration = .seconds(3600),
                     onMatch: @escaping @Sendable (DataSet) -> Void) async throws -> DimseStatus {
        try await find(sopClass: model.findSOPClass, identifier: identifier, timeout: timeout, onMatch: onMatch)
    }

    /// C-FIND on any FIND SOP class (Query/Retrieve, Modality Worklist PS3.4 §K.4.1).
    public func find(sopClass: String, identifier: DataSet, timeout: Duration = .seconds(3600),
                     onMatch: @escaping @Sendable (DataSet) -> Void) async throws -> DimseStatus {
        let ts = try acceptedContext(for: sopClass).transferSyntax
        let (final, _) = try await request(.cFindRQ, sopClass: sopClass, identifier: identifier, timeout: timeout) { rsp, bytes in
            guard rsp.status?.category == .pending, let bytes,
                  let ds = try? DimseDataSetCoding.decode(bytes, transferSyntax: ts) else { return }
            onMatch(ds)
        }
        return final.status ?? .processingFailure
    }

    /// C-MOVE (PS3.4 §C.4.2) to the AE titled `destination`.
    public func move(model: QueryRetrieveModel, destination: String, identifier: DataSet,
                     timeout: Duration = .seconds(3600)) async throws -> RetrieveResult {
        try await retrieve(.cMoveRQ, sopClass: model.moveSOPClass, destination: destination, identifier: identifier, timeout: timeout)
    }

    /// C-GET (PS3.4 §C.4.3): the instances arrive as C-STORE-RQ on this association and go to the
    /// `storeHandler` given to `open` (with role selection items for their SOP classes).
    public func get(model: QueryRetrieveModel, identifier: DataSet, timeout: Duration = .seconds(3600)) async throws -> RetrieveResult {
        try await retrieve(.cGetRQ, sopClass: model.getSOPClass, destination: nil, identifier: identifier, timeout: timeout)
    }

    private func retrieve(_ field: CommandField, sopClass: String, destination: String?, identifier: DataSet,
                          timeout: Duration) async throws -> RetrieveResult {
        let ts = try acceptedContext(for: sopClass).transferSyntax
        let seen = PendingCounter()
        let (final, _) = try await request(field, sopClass: sopClass, identifier: identifier, moveDestination: destination,
                                           timeout: timeout) { rsp, bytes in
            if rsp.status?.category == .pending {
                seen.count.withLock { $0 += 1 }
            } else if let bytes, let ds = try? DimseDataSetCoding.decode(bytes, transferSyntax: ts) {
                seen.failed.withLock { $0 = ds.strings(Tag(0x0008, 0x0058)) }
            }
        }
        return RetrieveResult(status: final.status ?? .processingFailure, errorComment: final.errorComment,
                              completed: Int(final.numberOfCompletedSuboperations ?? 0),
                              failed: Int(final.numberOfFailedSuboperations ?? 0),
                              warning: Int(final.numberOfWarningSuboperations ?? 0),
                              failedSOPInstanceUIDs: seen.failed.withLock { $0 },
                              pendingResponses: seen.count.withLock { $0 })
    }
}

private final class PendingCounter: Sendable {
    let count = Mutex(0)
    let failed = Mutex<[String]>([])
}
