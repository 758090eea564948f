// PS3.8 §9.2 on a NIO channel, acceptor side: owns the AssociationStateMachine and carries out
// its effects (writes, ARTIM timer, close); hands P-DATA to the MessageAssembler and whole DIMSE
// messages to the ServiceDispatcher.
import DicomCore
import Logging
import NIOCore

/// Settings every association of one listener shares.
public struct AssociationSettings: Sendable {
    public var policy: AssociationPolicy
    public var services: ServiceRegistry
    /// PS3.8 §9.1.5: the ARTIM timer, for waiting on an A-ASSOCIATE-RQ after connect and on the
    /// peer's close after A-ASSOCIATE-RJ / A-RELEASE-RP / A-ABORT.
    public var artimTimeout: TimeAmount = .seconds(30)
    /// An accepted association that sends nothing for this long is aborted (not in PS3.8:
    /// protects the association limit from peers that vanish without closing).
    public var idleTimeout: TimeAmount = .seconds(300)
    public var tracker: AssociationTracker
    public var logger: Logger

    public init(policy: AssociationPolicy, services: ServiceRegistry, tracker: AssociationTracker = AssociationTracker(),
                logger: Logger = Logger(label: "dicomnode.dimse")) {
        self.policy = policy
        self.services = services
        self.tracker = tracker
        self.logger = logger
    }
}

/// The acceptor side of one transport connection (AE-5 onwards).
public final class AssociationHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = PDU
    public typealias OutboundIn = PDU
    public typealias OutboundOut = PDU

    private let settings: AssociationSettings
    private var logger: Logger
    private let id: String
    private var machine = AssociationStateMachine()
    private var artim: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var info: AssociationInfo?
    private var counted = false
    private var assembler = MessageAssembler()
    private var dispatcher: ServiceDispatcher?
    /// A message is being processed (async window 1): further PDUs wait in `backlog`, reads pause.
    private var inFlight = false
    private var backlog: [PDU] = []
    private var readPending = false
    private var releaseAfterResponse = false
    private var peerAddress = "?"
    private var ending = "closed"
    private var stats = (messages: 0, stored: 0, failed: 0, bytes: 0)
    private let started = NIODeadline.now()

    public init(settings: AssociationSettings) {
        self.settings = settings
        self.id = settings.tracker.nextID()
        var logger = settings.logger
        logger[metadataKey: "assoc"] = "\(id)"
        self.logger = logger
    }

    // MARK: - Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { transportConnected(context: context) }
    }

    /// Breaks the handler ↔ context cycle and stops the timers when the channel goes away.
    public func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        transportConnected(context: context)
        context.fireChannelActive()
    }

    private func transportConnected(context: ChannelHandlerContext) {
        guard machine.state == .sta1 else { return }
        peerAddress = context.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        logger[metadataKey: "peer"] = "\(peerAddress)"
        run(.evt5)                                       // Sta1 + Evt5 → AE-5: start ARTIM, Sta2
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let pdu = unwrapInboundIn(data)
        if inFlight, pdu.type != .abort {
            backlog.append(pdu)
            return
        }
        received(pdu)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if machine.state != .sta1 { run(.evt17) }       // transport closed
        finish()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let pduError = error as? PDUError {
            // Evt19: invalid PDU; AA-8 sends A-ABORT with the PS3.8 Table 9-26 reason.
            logger.warning("invalid PDU from peer: \(pduError); aborting")
            ending = "aborted by us (invalid PDU)"
            run(.evt19(reason: pduError.abortReason))
        } else if error is ByteToMessageDecoderError {
            run(.evt19(reason: .reasonNotSpecified))
        } else {
            logger.debug("transport error: \(error)")
            context.close(promise: nil)
        }
    }

    // Reads pause while a message is being processed, so a peer cannot make us buffer more than
    // one socket read beyond the message in hand.
    public func read(context: ChannelHandlerContext) {
        if inFlight {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: - PDUs in

    private func received(_ pdu: PDU) {
        resetIdleTimer()
        switch pdu {
        case .associateRQ(let rq):
            pendingRQ = rq
            run(.evt6(acceptable: true))
        case .associateAC: run(.evt3)
        case .associateRJ: run(.evt4)
        case .pDataTF(let p):
            pendingPData = p
            run(.evt10)
        case .releaseRQ: run(.evt12)
        case .releaseRP: run(.evt13)
        case .abort(let abort):
            ending = "aborted by peer (source \(abort.source.rawValue), reason \(abort.reason.rawValue))"
            run(.evt16(source: abort.source, reason: abort.reason))
        }
    }

    private var pendingRQ: AssociateRQ?
    private var pendingPData: PDataTF?
    private var outgoing: PDU?

    // MARK: - The machine

    /// Feeds `event` to the machine and carries out the effects of the cell that fired.
    /// - Parameter sending: the PDU a `.send` effect writes (AC, RJ, P-DATA); others are built here.
    private func run(_ event: ULEvent, sending: PDU? = nil) {
        let transition = machine.step(event)
        logger.trace("\(transition)")
        outgoing = sending
        for effect in transition.effects {
            perform(effect)
        }
        flushIfNeeded()
    }

    /// PDUs are written as effects run and flushed once per event, so that a response cut into
    /// many P-DATA-TF PDUs leaves in as few system calls as the socket allows.
    private var needsFlush = false

    private func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        context.flush()
    }

    private func perform(_ effect: ULEffect) {
        guard let context else { return }
        switch effect {
        case .acceptTransport, .connectTransport:
            break
        case .send(let kind):
            let pdu: PDU?
            switch kind {
            case .abort(let source, let reason): pdu = .abort(Abort(source: source, reason: reason))
            case .releaseRP: pdu = .releaseRP
            case .releaseRQ: pdu = .releaseRQ
            default: pdu = outgoing
            }
            if let pdu {
                context.write(wrapOutboundOut(pdu), promise: nil)
                needsFlush = true
            }
        case .startARTIM:
            artim?.cancel()
            artim = context.eventLoop.assumeIsolated().scheduleTask(in: settings.artimTimeout) { [weak self] in
                self?.artimExpired()
            }
        case .stopARTIM:
            artim?.cancel()
            artim = nil
        case .closeTransport:
            flushIfNeeded()
            context.close(promise: nil)
        case .indicate(let indication):
            indicate(indication)
        case .ignored(let event, let state):
            logger.debug("event \(event) ignored in \(state)")
        }
    }

    private func artimExpired() {
        artim = nil
        if machine.state == .sta2 { ending = "no A-ASSOCIATE-RQ within the ARTIM timeout" }
        run(.evt18)                                      // AA-2: close
    }

    private func resetIdleTimer() {
        idleTimer?.cancel()
        guard let context, machine.state == .sta6 || machine.state == .sta3 || machine.state == .sta2 else { return }
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: settings.idleTimeout) { [weak self] in
            guard let self, self.machine.state == .sta6, !self.inFlight else { return }
            self.ending = "aborted by us (idle for \(self.settings.idleTimeout.nanoseconds / 1_000_000_000) s)"
            self.logger.warning("association idle; aborting")
            self.run(.evt15)                             // A-ABORT request: AA-1
        }
    }

    // MARK: - Indications to the service user (us)

    private func indicate(_ indication: ULIndication) {
        switch indication {
        case .associate:
            if let rq = pendingRQ { decide(rq) }
            pendingRQ = nil
        case .pData:
            if let p = pendingPData { dataArrived(p) }
            pendingPData = nil
        case .release:
            if inFlight {
                releaseAfterResponse = true              // Sta8: the response goes out first (AR-7)
            } else {
                ending = "released"
                run(.evt14)                              // AR-4: A-RELEASE-RP, ARTIM
            }
        case .abort, .providerAbort:
            dispatcher?.abortCurrentMessage()
        case .associateAccepted, .associateRejected, .releaseConfirmed:
            break                                        // requestor-side indications
        }
    }

    private func decide(_ rq: AssociateRQ) {
        let calling = rq.callingAETitle.trimmingCharacters(in: .whitespaces)
        logger[metadataKey: "calling"] = "\(calling)"
        let decision = settings.policy.decide(rq, supported: settings.services.abstractSyntaxes,
                                              openAssociations: settings.tracker.open(from: calling))
        switch decision {
        case .reject(let rj, let reason):
            logger.notice("association rejected: \(reason)",
                          metadata: ["result": "\(rj.result.rawValue)", "source": "\(rj.source.rawValue)",
                                     "reason": "\(rj.reason.rawValue)"])
            ending = "rejected"
            run(.evt8, sending: .associateRJ(rj))        // AE-8: A-ASSOCIATE-RJ, ARTIM
        case .accept(let ac, let accepted):
            settings.tracker.associationAccepted(from: calling)
            counted = true
            let info = AssociationInfo(
                id: id, callingAETitle: calling,
                calledAETitle: rq.calledAETitle.trimmingCharacters(in: .whitespaces),
                peerAddress: peerAddress,
                peerMaxPDULength: rq.userInformation.maximumLength ?? 0,
                accepted: Dictionary(accepted.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
                peerImplementationClassUID: rq.userInformation.implementationClassUID,
                peerImplementationVersionName: rq.userInformation.implementationVersionName,
                userIdentity: rq.userInformation.userIdentity)
            self.info = info
            dispatcher = ServiceDispatcher(info: info, services: settings.services, logger: logger)
            logger.info("association accepted",
                        metadata: ["called": "\(info.calledAETitle)", "contexts": "\(accepted.count)/\(rq.presentationContexts.count)",
                                   "peerImpl": "\(info.peerImplementationVersionName ?? info.peerImplementationClassUID ?? "?")"])
            run(.evt7, sending: .associateAC(ac))        // AE-7: A-ASSOCIATE-AC, Sta6
            resetIdleTimer()
        }
    }

    // MARK: - DIMSE

    private func dataArrived(_ pdata: PDataTF) {
        guard let info, let dispatcher else { return }
        for (index, pdv) in pdata.pdvs.enumerated() {
            if inFlight {
                // The previous PDV completed a message that is being processed; keep the rest of
                // this PDU for after its response (PS3.7 §9.1: one operation at a time).
                backlog.insert(.pDataTF(PDataTF(pdvs: Array(pdata.pdvs[index...]))), at: 0)
                return
            }
            guard info.accepted[pdv.presentationContextID] != nil else {
                protocolViolation("PDV on presentation context \(pdv.presentationContextID), which was not accepted")
                return
            }
            let event: MessageAssembler.Event?
            do {
                event = try assembler.feed(pdv)
            } catch {
                protocolViolation(error.description)
                return
            }
            guard let event else { continue }
            switch event {
            case .command(let command, let contextID, let expectsDataSet):
                stats.messages += 1
                if let response = dispatcher.commandArrived(command, contextID: contextID, expectsDataSet: expectsDataSet) {
                    respond(response)
                }
            case .dataFragment(let bytes, _, let isLast):
                stats.bytes += bytes.readableBytes
                dispatcher.dataArrived(bytes)
                if isLast { completeMessage() }
            }
        }
    }

    /// The last data PDV arrived: the service works (asynchronously for a store); its response
    /// goes out when done. Meanwhile reads pause and further PDUs wait in the backlog.
    private func completeMessage() {
        guard let context, let dispatcher else { return }
        switch dispatcher.dataSetComplete() {
        case .now(let response):
            if let response { respond(response) }
        case .later(let work):
            inFlight = true
            let promise = context.eventLoop.makePromise(of: ServiceDispatcher.Response?.self)
            promise.completeWithTask { await work() }
            promise.futureResult.assumeIsolated().whenComplete { [weak self] result in
                guard let self else { return }
                if case .success(let response?) = result { self.respond(response) }
                self.inFlight = false
                if self.releaseAfterResponse {
                    self.releaseAfterResponse = false
                    self.ending = "released"
                    self.run(.evt14)
                }
                self.drainBacklog()
            }
        }
    }

    private func drainBacklog() {
        while !inFlight, !backlog.isEmpty {
            received(backlog.removeFirst())
        }
        if !inFlight, readPending, let context {
            readPending = false
            context.read()
        }
    }

    private func respond(_ response: ServiceDispatcher.Response) {
        guard let info, machine.state == .sta6 || machine.state == .sta8 else { return }
        if response.status.category == .failure { stats.failed += 1 }
        if response.command.commandField == .cStoreRSP, response.status.category != .failure { stats.stored += 1 }
        for pdu in PDataTF.fragments(of: response.command.encoded(), contextID: response.contextID,
                                     isCommand: true, maxPDULength: info.peerMaxPDULength) {
            run(.evt9, sending: .pDataTF(pdu))           // DT-1 (Sta6) or AR-7 (Sta8)
        }
    }

    private func protocolViolation(_ why: String) {
        logger.warning("DIMSE protocol violation: \(why); aborting")
        ending = "aborted by us (\(why))"
        dispatcher?.abortCurrentMessage()
        // A-ABORT by the service user (AA-1): the PS3.8 machine has no provider event for a bad PDV.
        run(.evt15)
    }

    private var finished = false

    private func finish() {
        guard !finished else { return }
        finished = true
        artim?.cancel()
        artim = nil
        idleTimer?.cancel()
        idleTimer = nil
        dispatcher?.abortCurrentMessage()
        backlog.removeAll()
        if counted, let info {
            counted = false
            settings.tracker.associationEnded(from: info.callingAETitle)
            let ms = (NIODeadline.now() - started).nanoseconds / 1_000_000
            logger.info("association ended: \(ending)",
                        metadata: ["messages": "\(stats.messages)", "stored": "\(stats.stored)", "failed": "\(stats.failed)",
                                   "bytes": "\(stats.bytes)", "ms": "\(ms)"])
        } else if ending != "rejected" && ending != "closed" {
            logger.info("connection ended: \(ending)")
        }
    }
}

