// PS3.8 §9.2 on a NIO channel, requestor side: the same state machine as the acceptor, driven
// by an SCU's requests (A-ASSOCIATE, P-DATA, A-RELEASE, A-ABORT) and the peer's PDUs.
import Logging
import NIOCore

/// Why an SCU operation failed at the association level.
public enum AssociationError: Error, Sendable, CustomStringConvertible {
    case rejected(AssociateRJ)
    case aborted(source: Abort.Source, reason: Abort.Reason)
    case closed(String)
    case noContext(String)
    case timeout(String)
    case protocolError(String)

    public var description: String {
        switch self {
        case .rejected(let rj):
            "association rejected (result \(rj.result.rawValue), source \(rj.source.rawValue), reason \(rj.reason.rawValue): \(rj.reasonText))"
        case .aborted(let source, let reason): "association aborted (source \(source.rawValue), reason \(reason.rawValue))"
        case .closed(let why): "connection closed: \(why)"
        case .noContext(let what): "no accepted presentation context for \(what)"
        case .timeout(let what): "timed out waiting for \(what)"
        case .protocolError(let why): "protocol error: \(why)"
        }
    }
}

extension AssociateRJ {
    /// PS3.8 Table 9-21 in words.
    public var reasonText: String {
        switch reason {
        case .noReasonGiven: "no reason given"
        case .applicationContextNameNotSupported: "application context name not supported"
        case .callingAETitleNotRecognized: "calling AE title not recognized"
        case .calledAETitleNotRecognized: "called AE title not recognized"
        case .protocolVersionNotSupported: "protocol version not supported"
        case .temporaryCongestion: "temporary congestion"
        case .localLimitExceeded: "local limit exceeded"
        case .unknown(let v): "reason \(v)"
        }
    }
}

/// What a requestor sends down the pipeline; the handler turns each into state machine events.
enum RequestorCommand {
    case associate(AssociateRQ, EventLoopPromise<AssociateAC>)
    /// PDUs of one message; the promise gets the final response command (and nil for no response
    /// wanted); `onResponse` sees every response to it, pending ones too, with its data set.
    case message([PDataTF], messageID: UInt16, EventLoopPromise<CommandSet>?, onResponse: ResponseObserver? = nil)
    /// More P-DATA of the message being sent (a data set streamed in parts).
    case continuation([PDataTF])
    case release(EventLoopPromise<Void>)
    case abort
}

/// Sees each response (pending and final) to one request with its data set bytes (PS3.7 §9.1.2–9.1.4).
typealias ResponseObserver = @Sendable (CommandSet, [UInt8]?) -> Void

/// Answers a C-STORE-RQ the peer sends on our association (C-GET sub-operations, PS3.4 §C.4.3):
/// the command, the context's transfer syntax and the data set bytes in; the status out.
public typealias IncomingStoreHandler = @Sendable (CommandSet, String, [UInt8]) -> DimseStatus

final class RequestorHandler: ChannelDuplexHandler {
    typealias InboundIn = PDU
    typealias OutboundIn = RequestorCommand
    typealias OutboundOut = PDU

    private var machine = AssociationStateMachine()
    private var context: ChannelHandlerContext?
    private var associatePromise: EventLoopPromise<AssociateAC>?
    private var releasePromise: EventLoopPromise<Void>?
    private var responses: [UInt16: EventLoopPromise<CommandSet>] = [:]
    private var observers: [UInt16: ResponseObserver] = [:]
    /// The message arriving now when it has a data set: a response to us or a C-STORE-RQ.
    private enum Incoming {
        case none
        case response(CommandSet, ByteBuffer)
        case store(CommandSet, contextID: UInt8, ByteBuffer)
        case ignore
    }
    private var incoming: Incoming = .none
    private let storeHandler: IncomingStoreHandler?
    /// Accepted contexts' transfer syntaxes, from the AC.
    private var acceptedSyntaxes: [UInt8: String] = [:]
    private var peerMaxPDULength: UInt32 = 0
    private var assembler = MessageAssembler()
    private var pendingRQ: AssociateRQ?
    private var failure: AssociationError?
    private var outgoing: PDU?
    /// Completed by the next P-DATA-TF write (see `.continuation`).
    private var writePromise: EventLoopPromise<Void>?
    private let artimTimeout: TimeAmount
    private var artim: Scheduled<Void>?

    init(artimTimeout: TimeAmount = .seconds(30), storeHandler: IncomingStoreHandler? = nil) {
        self.artimTimeout = artimTimeout
        self.storeHandler = storeHandler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Breaks the handler ↔ context cycle when the channel goes away.
    func handlerRemoved(context: ChannelHandlerContext) {
        artim?.cancel()
        artim = nil
        fail(.closed("the channel was closed"))
        self.context = nil
    }

    // MARK: - Outbound: the SCU's requests

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .associate(let rq, let p):
            associatePromise = p
            pendingRQ = rq
            run(.evt1)                                   // AE-1: connect (already connected) → Sta4
            run(.evt2)                                   // transport confirmed → AE-2: send RQ, Sta5
        case .message(let pdus, let messageID, let p, let onResponse):
            guard machine.state == .sta6 else {
                p?.fail(failure ?? AssociationError.closed("association not established (\(machine.state))"))
                break
            }
            if let p { responses[messageID] = p }
            if let onResponse { observers[messageID] = onResponse }
            sendPData(pdus, context: context, lastWrite: nil)
        case .continuation(let pdus):
            guard machine.state == .sta6 else {
                promise?.fail(failure ?? AssociationError.closed("association not established (\(machine.state))"))
                return
            }
            // The caller's promise completes when the last PDU has been written to the socket:
            // the sender's backpressure.
            sendPData(pdus, context: context, lastWrite: promise)
            return
        case .release(let p):
            releasePromise = p
            if machine.state == .sta6 { run(.evt11) } else { p.succeed() }
        case .abort:
            run(.evt15)
        }
        promise?.succeed()
    }

    /// P-DATA-TF PDUs through the machine (DT-1 each), flushed once; `lastWrite` completes when
    /// the last one has been written.
    private func sendPData(_ pdus: [PDataTF], context: ChannelHandlerContext, lastWrite: EventLoopPromise<Void>?) {
        batching = true
        for (i, pdu) in pdus.enumerated() {
            if i == pdus.count - 1 { writePromise = lastWrite }
            run(.evt9, sending: .pDataTF(pdu))
        }
        batching = false
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        writePromise?.succeed()
        writePromise = nil
    }

    // MARK: - Inbound: the peer's PDUs

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .associateAC(let ac):
            peerMaxPDULength = ac.userInformation.maximumLength ?? 0
            for r in ac.presentationContexts where r.result == .acceptance {
                if let ts = r.transferSyntax { acceptedSyntaxes[r.id] = ts }
            }
            associatePromise?.succeed(ac)
            associatePromise = nil
            run(.evt3)
        case .associateRJ(let rj):
            fail(.rejected(rj))
            run(.evt4)
        case .associateRQ:
            run(.evt6(acceptable: false))
        case .pDataTF(let p):
            run(.evt10)
            for pdv in p.pdvs {
                do {
                    switch try assembler.feed(pdv) {
                    case .command(let command, let contextID, let expectsDataSet)?:
                        commandArrived(command, contextID: contextID, expectsDataSet: expectsDataSet, context: context)
                    case .dataFragment(var bytes, _, let isLast)?:
                        dataArrived(&bytes, isLast: isLast, context: context)
                    case nil:
                        break
                    }
                } catch {
                    fail(.protocolError(error.description))
                    run(.evt15)
                    return
                }
            }
        case .releaseRQ:
            run(.evt12)
        case .releaseRP:
            run(.evt13)
        case .abort(let a):
            fail(.aborted(source: a.source, reason: a.reason))
            run(.evt16(source: a.source, reason: a.reason))
        }
    }

    /// A response goes to its waiter; a C-STORE-RQ (C-GET sub-operation) to the store handler.
    private func commandArrived(_ command: CommandSet, contextID: UInt8, expectsDataSet: Bool, context: ChannelHandlerContext) {
        if command.commandField?.isResponse == true {
            if expectsDataSet { incoming = .response(command, ByteBuffer()) } else { deliver(command, dataSet: nil) }
        } else if command.commandField == .cStoreRQ {
            if expectsDataSet {
                incoming = .store(command, contextID: contextID, ByteBuffer())
            } else {
                answerStore(command, contextID: contextID, status: .cannotUnderstand, context: context)
            }
        } else {
            // PS3.7 §C.5.17: a request we do not serve as a requestor.
            if expectsDataSet { incoming = .ignore }
            var rsp = CommandSet()
            rsp.commandField = CommandField(rawValue: 0x8000 | (command.commandField?.rawValue ?? 0))
            rsp.messageIDBeingRespondedTo = command.messageID ?? 0
            rsp.affectedSOPClassUID = command.affectedSOPClassUID
            rsp.commandDataSetType = CommandSet.noDataSet
            rsp.status = .unrecognizedOperation
            sendPData(PDataTF.fragments(of: rsp.encoded(), contextID: contextID, isCommand: true, maxPDULength: peerMaxPDULength),
                      context: context, lastWrite: nil)
        }
    }

    private func dataArrived(_ bytes: inout ByteBuffer, isLast: Bool, context: ChannelHandlerContext) {
        let current = incoming
        incoming = .none                                 // keeps the buffers uniquely referenced
        switch current {
        case .response(let command, var buffer):
            buffer.writeBuffer(&bytes)
            if isLast { deliver(command, dataSet: Array(buffer.readableBytesView)) } else { incoming = .response(command, buffer) }
        case .store(let command, let contextID, var buffer):
            buffer.writeBuffer(&bytes)
            if isLast {
                let status = storeHandler.map {
                    $0(command, acceptedSyntaxes[contextID] ?? "1.2.840.10008.1.2", Array(buffer.readableBytesView))
                } ?? .unrecognizedOperation
                answerStore(command, contextID: contextID, status: status, context: context)
            } else {
                incoming = .store(command, contextID: contextID, buffer)
            }
        case .ignore:
            if !isLast { incoming = .ignore }
        case .none:
            break
        }
    }

    private func deliver(_ command: CommandSet, dataSet: [UInt8]?) {
        guard let id = command.messageIDBeingRespondedTo else { return }
        observers[id]?(command, dataSet)
        if command.status?.category != .pending {
            observers.removeValue(forKey: id)
            responses.removeValue(forKey: id)?.succeed(command)
        }
    }

    /// C-STORE-RSP (PS3.7 §9.3.1.2).
    private func answerStore(_ command: CommandSet, contextID: UInt8, status: DimseStatus, context: ChannelHandlerContext) {
        var rsp = CommandSet()
        rsp.commandField = .cStoreRSP
        rsp.messageIDBeingRespondedTo = command.messageID ?? 0
        rsp.affectedSOPClassUID = command.affectedSOPClassUID
        rsp.affectedSOPInstanceUID = command.affectedSOPInstanceUID
        rsp.commandDataSetType = CommandSet.noDataSet
        rsp.status = status
        sendPData(PDataTF.fragments(of: rsp.encoded(), contextID: contextID, isCommand: true, maxPDULength: peerMaxPDULength),
                  context: context, lastWrite: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let e = error as? PDUError {
            fail(.protocolError("\(e)"))
            run(.evt19(reason: e.abortReason))
        } else {
            fail(.closed("\(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if machine.state != .sta1 { run(.evt17) }
        artim?.cancel()
        fail(.closed("the peer closed the connection"))
        releasePromise?.succeed()
        releasePromise = nil
        context.fireChannelInactive()
    }

    private func fail(_ error: AssociationError) {
        if failure == nil { failure = error }
        associatePromise?.fail(error)
        associatePromise = nil
        for (_, p) in responses { p.fail(error) }
        responses.removeAll()
        observers.removeAll()
    }

    // MARK: - The machine

    private var needsFlush = false
    /// While true (a batch of PDUs is being written), `run` leaves the flush to the caller.
    private var batching = false

    private func run(_ event: ULEvent, sending: PDU? = nil) {
        defer {
            if needsFlush && !batching, let context {
                needsFlush = false
                context.flush()
            }
        }
        let transition = machine.step(event)
        outgoing = sending
        guard let context else { return }
        for effect in transition.effects {
            switch effect {
            case .send(let kind):
                let pdu: PDU?
                switch kind {
                case .associateRQ: pdu = pendingRQ.map { .associateRQ($0) }
                case .abort(let s, let r): pdu = .abort(Abort(source: s, reason: r))
                case .releaseRQ: pdu = .releaseRQ
                case .releaseRP: pdu = .releaseRP
                default: pdu = outgoing
                }
                if let pdu {
                    var promise: EventLoopPromise<Void>? = nil
                    if case .pDataTF = kind {
                        promise = writePromise
                        writePromise = nil
                    }
                    context.write(wrapOutboundOut(pdu), promise: promise)
                    needsFlush = true
                }
            case .closeTransport:
                if needsFlush {
                    needsFlush = false
                    context.flush()
                }
                context.close(promise: nil)
            case .startARTIM:
                artim?.cancel()
                artim = context.eventLoop.assumeIsolated().scheduleTask(in: artimTimeout) { [weak self] in
                    self?.run(.evt18)
                }
            case .stopARTIM:
                artim?.cancel()
            case .indicate(.release):
                // Release collision or a peer asking us to release: answer (AR-4 / AR-9 paths).
                run(.evt14)
            case .indicate(.releaseConfirmed):
                releasePromise?.succeed()
                releasePromise = nil
            case .indicate, .acceptTransport, .connectTransport, .ignored:
                break
            }
        }
    }
}
