// PS3.7 §9–10: the generic work of the DIMSE service provider on one association — which
// service a command goes to, message IDs in responses, and answering what we do not serve.
import DicomCore
import Logging
import NIOCore

/// Routes the DIMSE messages of one association to the providers of the ServiceRegistry.
/// Lives on the association's event loop; only the closures it returns run elsewhere.
final class ServiceDispatcher {
    /// A response to send: its command set and the presentation context it goes on.
    struct Response: Sendable {
        var command: CommandSet
        var contextID: UInt8
        /// The encoded data set that follows the command, if any.
        var dataSet: [UInt8]? = nil
        var status: DimseStatus { command.status ?? .success }
    }

    private enum Current {
        case none
        /// C-STORE data set arriving into a staging file.
        case store(StoreRequest, any StagedDataSet, CommandSet, contextID: UInt8)
        /// A data set we will not use; the response is decided already.
        case discard(Response)
        /// The identifier / attribute list of a request for `provider`, gathered in memory.
        case collect(any DimseServiceProvider, CommandSet, AcceptedContext, ByteBuffer)
    }

    private let info: AssociationInfo
    private let services: ServiceRegistry
    private let logger: Logger
    private var current: Current = .none

    init(info: AssociationInfo, services: ServiceRegistry, logger: Logger) {
        self.info = info
        self.services = services
        self.logger = logger
    }

    /// A whole command set arrived. Returns a response to send now (a message without a data
    /// set), the work that answers it, or `.now(nil)` when the response waits for the data set.
    func commandArrived(_ command: CommandSet, contextID: UInt8, expectsDataSet: Bool, link: any OperationLink) -> Completion {
        let now = commandArrivedNow(command, contextID: contextID, expectsDataSet: expectsDataSet)
        if let (provider, request) = pendingOperation {
            pendingOperation = nil
            return operation(provider, request, link: link)
        }
        return .now(now)
    }

    private func commandArrivedNow(_ command: CommandSet, contextID: UInt8, expectsDataSet: Bool) -> Response? {
        guard let field = command.commandField else {
            // No Command Field (0000,0100): answered as an unrecognized operation (PS3.7 §C.5.17).
            return finish(expectsDataSet, response(to: command, field: nil, contextID: contextID,
                                                    status: .unrecognizedOperation, comment: "no Command Field (0000,0100)"))
        }
        if field.isResponse {
            logger.debug("unexpected \(field) ignored")
            if expectsDataSet { current = .discard(Response(command: CommandSet(), contextID: contextID)) }
            return nil
        }
        let abstractSyntax = info.accepted[contextID]?.abstractSyntax ?? ""
        switch field {
        case .cEchoRQ where abstractSyntax == UID.verification:
            // PS3.7 §9.3.5: C-ECHO-RSP with status Success.
            return finish(expectsDataSet, response(to: command, field: .cEchoRSP, contextID: contextID, status: .success))
        case .cStoreRQ:
            return storeCommand(command, contextID: contextID, expectsDataSet: expectsDataSet)
        default:
            if let accepted = info.accepted[contextID],
               let provider = services.providers.first(where: {
                   $0.abstractSyntaxes.contains(abstractSyntax) && $0.commandFields.contains(field)
               }) {
                if expectsDataSet {
                    current = .collect(provider, command, accepted, ByteBuffer())
                    return nil
                }
                pendingOperation = (provider, DimseRequest(command: command, dataSet: nil, context: accepted))
                return nil
            }
            return finish(expectsDataSet, response(to: command, field: CommandField(rawValue: field.rawValue | 0x8000),
                                                    contextID: contextID, status: .unrecognizedOperation,
                                                    comment: "\(field) is not served on this context"))
        }
    }

    /// A data set fragment of the current message.
    func dataArrived(_ bytes: ByteBuffer) {
        if case .collect(let provider, let command, let context, var buffer) = current {
            current = .none                              // keeps `buffer` uniquely referenced
            guard buffer.readableBytes + bytes.readableBytes <= DimseDataSetCoding.maximumIdentifierLength else {
                current = .discard(response(to: command, field: nil, contextID: context.id, status: .outOfResources,
                                            comment: "data set longer than \(DimseDataSetCoding.maximumIdentifierLength) bytes"))
                return
            }
            var b = bytes
            buffer.writeBuffer(&b)
            current = .collect(provider, command, context, buffer)
            return
        }
        guard case .store(let rq, let staged, let command, let contextID) = current else { return }
        do {
            try bytes.withUnsafeReadableBytes { try staged.write($0) }
        } catch {
            staged.discard()
            let (status, comment) = Self.status(for: error, default: .outOfResources)
            logger.error("C-STORE staging write failed: \(comment)")
            current = .discard(response(to: command, field: .cStoreRSP, contextID: contextID, status: status,
                                        comment: comment, sopInstanceUID: rq.sopInstanceUID, sopClassUID: rq.sopClassUID))
        }
    }

    /// What finishing a message takes: a response known now, or work to run off the event loop.
    enum Completion {
        case now(Response?)
        case later(@Sendable () async -> Response?)
        /// A service operation: it may send messages of its own through the link while it runs.
        case operation(DimseOperation, @Sendable () async -> Response?)
    }

    /// A request without a data set that a provider will answer (set while a command is routed).
    private var pendingOperation: (any DimseServiceProvider, DimseRequest)?

    private func operation(_ provider: any DimseServiceProvider, _ request: DimseRequest, link: any OperationLink) -> Completion {
        let op = DimseOperation(association: info, request: request, link: link)
        return .operation(op) {
            let reply = await provider.perform(request, operation: op)
            if reply.sentByProvider { return nil }
            let command = DimseOperation.completeResponse(reply.command, to: request.command, hasDataSet: reply.dataSet != nil)
            var bytes: [UInt8]?
            if let ds = reply.dataSet {
                bytes = try? DimseDataSetCoding.encode(ds, transferSyntax: request.context.transferSyntax)
            }
            return Response(command: command, contextID: request.context.id, dataSet: bytes)
        }
    }

    /// The last data set fragment arrived: returns the response or the work that produces it,
    /// and resets the dispatcher for the next message.
    func dataSetComplete(link: any OperationLink) -> Completion {
        let finished = current
        current = .none
        switch finished {
        case .none:
            return .now(nil)
        case .collect(let provider, let command, let context, let buffer):
            let bytes = Array(buffer.readableBytesView)
            let dataSet: DataSet
            do {
                dataSet = try DimseDataSetCoding.decode(bytes, transferSyntax: context.transferSyntax)
            } catch {
                // PS3.7 §C.5.x / PS3.4 C.4.1.1.4: an identifier we cannot parse is "unable to process".
                return .now(response(to: command, field: nil, contextID: context.id, status: .cannotUnderstand,
                                     comment: "data set cannot be parsed: \(error)"))
            }
            return operation(provider, DimseRequest(command: command, dataSet: dataSet, context: context), link: link)
        case .discard(let response):
            return .now(response.command.commandField == nil ? nil : response)
        case .store(let rq, let staged, let command, let contextID):
            guard let provider = services.storage else {
                staged.discard()
                return .now(nil)
            }
            let info = self.info
            let base = response(to: command, field: .cStoreRSP, contextID: contextID, status: .success,
                                sopInstanceUID: rq.sopInstanceUID, sopClassUID: rq.sopClassUID)
            return .later {
                let outcome = await provider.finishStore(rq, dataSet: staged, on: info)
                var r = base
                r.command.status = outcome.status
                if let comment = outcome.errorComment { r.command.errorComment = comment }
                return r
            }
        }
    }

    /// The association ended in the middle of a message: drop the staged data.
    func abortCurrentMessage() {
        if case .store(_, let staged, _, _) = current { staged.discard() }
        current = .none
    }

    // MARK: - C-STORE (PS3.4 Annex B, PS3.7 §9.1.1)

    private func storeCommand(_ command: CommandSet, contextID: UInt8, expectsDataSet: Bool) -> Response? {
        let accepted = info.accepted[contextID]
        let sopClass = command.affectedSOPClassUID ?? ""
        let sopInstance = command.affectedSOPInstanceUID ?? ""
        func fail(_ status: DimseStatus, _ comment: String) -> Response? {
            finish(expectsDataSet, response(to: command, field: .cStoreRSP, contextID: contextID, status: status,
                                            comment: comment, sopInstanceUID: sopInstance, sopClassUID: sopClass))
        }
        guard let provider = services.storage, let accepted, StorageSOPClasses.all.contains(accepted.abstractSyntax) else {
            return fail(.unrecognizedOperation, "C-STORE is not served on presentation context \(contextID)")
        }
        guard expectsDataSet else {
            return fail(.cannotUnderstand, "C-STORE-RQ without a data set")
        }
        guard !sopInstance.isEmpty, !sopClass.isEmpty else {
            return fail(.cannotUnderstand, "C-STORE-RQ without Affected SOP Class/Instance UID")
        }
        // PS3.7 §9.1.1.1: the Affected SOP Class UID is the context's abstract syntax.
        guard sopClass == accepted.abstractSyntax else {
            return fail(.dataSetDoesNotMatchSOPClass,
                        "Affected SOP Class \(sopClass) is not the context's abstract syntax \(accepted.abstractSyntax)")
        }
        let rq = StoreRequest(sopClassUID: sopClass, sopInstanceUID: sopInstance,
                              transferSyntaxUID: accepted.transferSyntax, priority: command.priority ?? 0,
                              moveOriginatorAETitle: command.moveOriginatorApplicationEntityTitle,
                              moveOriginatorMessageID: command.moveOriginatorMessageID)
        do {
            let staged = try provider.beginStore(rq, on: info)
            current = .store(rq, staged, command, contextID: contextID)
            return nil
        } catch {
            let (status, comment) = Self.status(for: error, default: .outOfResources)
            logger.error("C-STORE refused before its data set: \(comment)")
            return fail(status, comment)
        }
    }

    // MARK: - Helpers

    /// A response now, or — when a data set follows — later, after the data set was drained.
    private func finish(_ expectsDataSet: Bool, _ response: Response) -> Response? {
        if expectsDataSet {
            current = .discard(response)
            return nil
        }
        return response
    }

    /// The response command for `command` (PS3.7 §9.3: Message ID Being Responded To, the
    /// affected SOP class/instance echoed, Command Data Set Type 0101 — no data set).
    private func response(to command: CommandSet, field: CommandField?, contextID: UInt8, status: DimseStatus,
                          comment: String? = nil, sopInstanceUID: String? = nil, sopClassUID: String? = nil) -> Response {
        var reply = DimseReply(status: status, comment: comment)
        reply.command.commandField = field
        reply.command.affectedSOPClassUID = sopClassUID ?? command.affectedSOPClassUID
        if let uid = sopInstanceUID ?? command.affectedSOPInstanceUID { reply.command.affectedSOPInstanceUID = uid }
        let r = DimseOperation.completeResponse(reply.command, to: command, hasDataSet: false)
        return Response(command: r, contextID: contextID)
    }

    static func status(for error: any Error, default fallback: DimseStatus) -> (DimseStatus, String) {
        if let e = error as? any DimseStatusConvertible { return (e.dimseStatus, e.errorComment) }
        return (fallback, "\(error)")
    }
}
