// PS3.8 §9.2 on a NIO channel, acceptor side: owns the AssociationStateMachine and carries out
// its effects (writes, ARTIM timer, close); hands P-DATA to the MessageAssembler and whole DIMSE
// messages to the ServiceDispatcher.
import DicomCore
import Logging
import NIOCore
import Synchronization

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
    /// DIMSE events that arrived while a message was being processed, handled after its response.
    private var queued: [MessageAssembler.Event] = []
    /// The operation running now (C-FIND, C-MOVE, C-GET…), for C-CANCEL.
    private var operation: DimseOperation?
    /// Our own requests (C-GET's C-STORE sub-operations) waiting for the peer's response.
    private var awaiting: [UInt16: EventLoopPromise<CommandSet>] = [:]
    /// Completed by the write of the next P-DATA-TF PDU the machine sends.
    private var writePromise: EventLoopPromise<Void>?
    fileprivate let messageIDs = MessageIDCounter()
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
        // While an operation runs, P-DATA is still read: it may carry a C-CANCEL-RQ or the
        // response to one of our sub-operations. Other messages wait in `queued` (see dataArrived).
        if inFlight, pdu.type != .abort, pdu.type != .pDataTF {
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
        if inFlight && (!queued.isEmpty || !backlog.isEmpty) {
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
    /// True while `writeMessages` feeds a batch of PDUs: the batch is flushed once at its end.
    private var holdingFlush = false

    private func flushIfNeeded() {
        guard needsFlush, !holdingFlush, let context else { return }
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
                var promise: EventLoopPromise<Void>?
                if case .pDataTF = kind {
                    promise = writePromise
                    writePromise = nil
                }
                context.write(wrapOutboundOut(pdu), promise: promise)
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
            holdingFlush = false
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
        let services = settings.services
        let decision = settings.policy.decide(rq, supported: services.abstractSyntaxes,
                                              openAssociations: settings.tracker.open(from: calling),
                                              negotiate: { services.negotiatedItems(for: rq, accepted: $0) })
        switch decision {
        case .reject(let rj, let reason):
            logger.notice("association rejected: \(reason)",
                          metadata: ["result": "\(rj.result.rawValue)", "source": "\(rj.source.rawValue)",
                                     "reason": "\(rj.reason.rawValue)"])
            ending = "rejected"
            DimseMetrics.associationsRejected.increment()
            run(.evt8, sending: .associateRJ(rj))        // AE-8: A-ASSOCIATE-RJ, ARTIM
        case .accept(let ac, let accepted):
            settings.tracker.associationAccepted(from: calling)
            DimseMetrics.associationsAccepted.increment()
            counted = true
            var info = AssociationInfo(
                id: id, callingAETitle: calling,
                calledAETitle: rq.calledAETitle.trimmingCharacters(in: .whitespaces),
                peerAddress: peerAddress,
                peerMaxPDULength: rq.userInformation.maximumLength ?? 0,
                accepted: Dictionary(accepted.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
                peerImplementationClassUID: rq.userInformation.implementationClassUID,
                peerImplementationVersionName: rq.userInformation.implementationVersionName,
                userIdentity: rq.userInformation.userIdentity)
            for case .sopClassExtendedNegotiation(let e) in ac.userInformation.items {
                info.extendedNegotiation[e.sopClassUID] = e.serviceClassApplicationInformation
            }
            self.info = info
            dispatcher = ServiceDispatcher(info: info, services: settings.services, logger: logger)
            if let context { link = HandlerLink(handler: self, eventLoop: context.eventLoop) }
            logger.info("association accepted",
                        metadata: ["called": "\(info.calledAETitle)", "contexts": "\(accepted.count)/\(rq.presentationContexts.count)",
                                   "peerImpl": "\(info.peerImplementationVersionName ?? info.peerImplementationClassUID ?? "?")"])
            run(.evt7, sending: .associateAC(ac))        // AE-7: A-ASSOCIATE-AC, Sta6
            resetIdleTimer()
        }
    }

    // MARK: - DIMSE

    private func dataArrived(_ pdata: PDataTF) {
        guard let info else { return }
        for pdv in pdata.pdvs {
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
            if inFlight || !queued.isEmpty {
                // PS3.7 §9.3.2.3: a C-CANCEL-RQ, or a response to our sub-operation, is taken at
                // once; anything else waits for the running operation's final response.
                if queued.isEmpty, case .command(let command, _, false) = event, takeDuringOperation(command) { continue }
                queued.append(event)
                continue
            }
            handle(event)
        }
    }

    private func handle(_ event: MessageAssembler.Event) {
        guard let dispatcher, let link else { return }
        switch event {
        case .command(let command, let contextID, let expectsDataSet):
            if !expectsDataSet, takeDuringOperation(command) { return }
            stats.messages += 1
            start(dispatcher.commandArrived(command, contextID: contextID, expectsDataSet: expectsDataSet, link: link))
        case .dataFragment(let bytes, _, let isLast):
            stats.bytes += bytes.readableBytes
            dispatcher.dataArrived(bytes)
            if isLast { start(dispatcher.dataSetComplete(link: link)) }
        }
    }

    /// C-CANCEL-RQ and responses to our own requests; true when `command` was one of them.
    private func takeDuringOperation(_ command: CommandSet) -> Bool {
        guard let field = command.commandField else { return false }
        if field == .cCancelRQ {
            // PS3.7 §9.3.2.3: the C-CANCEL-RQ names the operation by Message ID Being Responded To;
            // one for an operation that is not running is ignored (no response is due).
            if let op = operation, command.messageIDBeingRespondedTo == op.request.command.messageID {
                logger.debug("C-CANCEL-RQ for message \(command.messageIDBeingRespondedTo ?? 0)")
                op.cancel()
            }
            return true
        }
        if field.isResponse {
            if let id = command.messageIDBeingRespondedTo, let promise = awaiting.removeValue(forKey: id) {
                promise.succeed(command)
            } else {
                logger.debug("unexpected \(field) ignored")
            }
            return true
        }
        return false
    }

    /// Made when the association is accepted (the channel's event loop is known then).
    private var link: HandlerLink?

    /// A response now, or work to run off the event loop; meanwhile further messages wait.
    private func start(_ completion: ServiceDispatcher.Completion) {
        guard let context else { return }
        let work: @Sendable () async -> ServiceDispatcher.Response?
        switch completion {
        case .now(let response):
            if let response { respond(response) }
            return
        case .later(let w):
            work = w
        case .operation(let op, let w):
            operation = op
            work = w
        }
        inFlight = true
        let promise = context.eventLoop.makePromise(of: ServiceDispatcher.Response?.self)
        promise.completeWithTask { await work() }
        promise.futureResult.assumeIsolated().whenComplete { [weak self] result in
            guard let self else { return }
            if case .success(let response?) = result { self.respond(response) }
            self.inFlight = false
            self.operation = nil
            if self.releaseAfterResponse {
                self.releaseAfterResponse = false
                self.ending = "released"
                self.run(.evt14)
            }
            self.drainBacklog()
        }
    }

    // MARK: - Messages of a running operation (called through HandlerLink, on the event loop)

    /// Writes a message; the future completes when its last PDU was written to the socket.
    fileprivate func writeMessage(_ command: CommandSet, dataSet: [UInt8]?, contextID: UInt8,
                                  on loop: any EventLoop) -> EventLoopFuture<Void> {
        writeMessages([(command, dataSet)], contextID: contextID, on: loop)
    }

    /// Writes messages back to back, flushed once.
    fileprivate func writeMessages(_ messages: [(CommandSet, [UInt8]?)], contextID: UInt8,
                                   on loop: any EventLoop) -> EventLoopFuture<Void> {
        guard let context, let info, machine.state == .sta6 || machine.state == .sta8, !messages.isEmpty else {
            if messages.isEmpty { return loop.makeSucceededVoidFuture() }
            return loop.makeFailedFuture(AssociationError.closed("the association is no longer established"))
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        var pdus: [PDataTF] = []
        pdus.reserveCapacity(messages.count)
        // The pending responses of a C-FIND page share one command set: encoded once.
        var last: (command: CommandSet, encoded: ByteBuffer)?
        for (command, dataSet) in messages {
            let encoded: ByteBuffer
            if let last, last.command == command {
                encoded = last.encoded
            } else {
                encoded = command.encoded()
                last = (command, encoded)
            }
            let data = dataSet.map { bytes in
                var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                return buffer
            }
            pdus += PDataTF.message(command: encoded, dataSet: data, contextID: contextID,
                                    maxPDULength: info.peerMaxPDULength)
        }
        // One flush for the batch: a page of C-FIND responses leaves in one system call, not
        // one per PDU.
        holdingFlush = true
        for (i, pdu) in pdus.enumerated() {
            if i == pdus.count - 1 { writePromise = promise }
            run(.evt9, sending: .pDataTF(pdu))
        }
        holdingFlush = false
        flushIfNeeded()
        if let leftover = writePromise {
            writePromise = nil
            leftover.fail(AssociationError.closed("the association is no longer established"))
        }
        return promise.futureResult
    }

    /// Sends a request and returns the future of its response.
    fileprivate func sendRequest(_ command: CommandSet, dataSet: [UInt8]?, contextID: UInt8,
                                 timeout: TimeAmount, on loop: any EventLoop) -> EventLoopFuture<CommandSet> {
        guard let context else {
            return loop.makeFailedFuture(AssociationError.closed("the channel is gone"))
        }
        let id = command.messageID ?? 0
        let promise = context.eventLoop.makePromise(of: CommandSet.self)
        awaiting[id] = promise
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.awaiting.removeValue(forKey: id)?.fail(AssociationError.timeout("the response to message \(id)"))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        writeMessage(command, dataSet: dataSet, contextID: contextID, on: loop).assumeIsolated().whenFailure { [weak self] error in
            self?.awaiting.removeValue(forKey: id)?.fail(error)
        }
        return promise.futureResult
    }

    private func drainBacklog() {
        while !inFlight, !queued.isEmpty {
            handle(queued.removeFirst())
        }
        while !inFlight, queued.isEmpty, !backlog.isEmpty {
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
        var pdus = PDataTF.fragments(of: response.command.encoded(), contextID: response.contextID,
                                     isCommand: true, maxPDULength: info.peerMaxPDULength)
        if let dataSet = response.dataSet, let context {
            var buffer = context.channel.allocator.buffer(capacity: dataSet.count)
            buffer.writeBytes(dataSet)
            pdus += PDataTF.fragments(of: buffer, contextID: response.contextID, isCommand: false,
                                      maxPDULength: info.peerMaxPDULength)
        }
        for pdu in pdus {
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
        // The link holds this handler (strongly: NIOLoopBound) and this handler the link: the
        // cycle is broken here, or every accepted association would stay in memory. An operation
        // still running keeps its own reference until it returns.
        link = nil
        operation?.cancel()
        backlog.removeAll()
        queued.removeAll()
        let pending = awaiting
        awaiting.removeAll()
        for (_, p) in pending { p.fail(AssociationError.closed("the association ended")) }
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


/// The bridge from an operation's task to its association's event loop.
final class HandlerLink: OperationLink {
    private let handler: NIOLoopBound<AssociationHandler>
    private let eventLoop: any EventLoop
    private let messageIDs: MessageIDCounter

    init(handler: AssociationHandler, eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
        self.messageIDs = handler.messageIDs
    }

    func send(_ messages: [(CommandSet, [UInt8]?)], contextID: UInt8) async throws {
        let handler = self.handler
        let loop = eventLoop
        try await loop.flatSubmit { handler.value.writeMessages(messages, contextID: contextID, on: loop) }.get()
    }

    func request(command: CommandSet, dataSet: [UInt8]?, contextID: UInt8, timeout: TimeAmount) async throws -> CommandSet {
        let handler = self.handler
        let loop = eventLoop
        return try await loop.flatSubmit {
            handler.value.sendRequest(command, dataSet: dataSet, contextID: contextID, timeout: timeout, on: loop)
        }.get()
    }

    func nextMessageID() -> UInt16 { messageIDs.next() }
}

/// Message IDs for requests we send on an association (PS3.7 §9.3.1: unique among outstanding ones).
final class MessageIDCounter: Sendable {
    private let value = Mutex<UInt16>(0)
    func next() -> UInt16 {
        value.withLock { v in
            v = v == UInt16.max ? 1 : v + 1
            return v
        }
    }
}
