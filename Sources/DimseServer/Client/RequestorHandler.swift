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
    /// PDUs of one message; the promise gets the response command (and nil for no response wanted).
    case message([PDataTF], messageID: UInt16, EventLoopPromise<CommandSet>?)
    /// More P-DATA of the message being sent (a data set streamed in parts).
    case continuation([PDataTF])
    case release(EventLoopPromise<Void>)
    case abort
}

final class RequestorHandler: ChannelDuplexHandler {
    typealias InboundIn = PDU
    typealias OutboundIn = RequestorCommand
    typealias OutboundOut = PDU

    private var machine = AssociationStateMachine()
    private var context: ChannelHandlerContext?
    private var associatePromise: EventLoopPromise<AssociateAC>?
    private var releasePromise: EventLoopPromise<Void>?
    private var responses: [UInt16: EventLoopPromise<CommandSet>] = [:]
    private var assembler = MessageAssembler()
    private var pendingRQ: AssociateRQ?
    private var failure: AssociationError?
    private var outgoing: PDU?
    /// Completed by the next P-DATA-TF write (see `.continuation`).
    private var writePromise: EventLoopPromise<Void>?
    private let artimTimeout: TimeAmount
    private var artim: Scheduled<Void>?

    init(artimTimeout: TimeAmount = .seconds(30)) {
        self.artimTimeout = artimTimeout
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
        case .message(let pdus, let messageID, let p):
            guard machine.state == .sta6 else {
                p?.fail(failure ?? AssociationError.closed("association not established (\(machine.state))"))
                break
            }
            if let p { responses[messageID] = p }
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
                    if case .command(let command, _, _)? = try assembler.feed(pdv),
                       let id = command.messageIDBeingRespondedTo,
                       command.status?.category != .pending,
                       let promise = responses.removeValue(forKey: id) {
                        promise.succeed(command)
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
