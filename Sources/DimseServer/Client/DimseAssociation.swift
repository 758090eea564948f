// An SCU's association: open (A-ASSOCIATE), C-ECHO, C-STORE of Part 10 files, release.
import DicomCore
import NIOCore
import NIOPosix
import Synchronization

/// A presentation context to propose (PS3.8 §9.3.2.2).
public struct ProposedContext: Sendable, Hashable {
    public var abstractSyntax: String
    public var transferSyntaxes: [String]
    public init(abstractSyntax: String, transferSyntaxes: [String]) {
        self.abstractSyntax = abstractSyntax
        self.transferSyntaxes = transferSyntaxes
    }
}

/// Where and as whom an SCU associates.
public struct RemoteAE: Sendable, Hashable, CustomStringConvertible {
    public var aeTitle: String
    public var host: String
    public var port: Int
    public init(aeTitle: String, host: String, port: Int) {
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
    }

    /// Parses "AE@host:port".
    public init?(parsing text: String) {
        guard let at = text.firstIndex(of: "@"), let colon = text.lastIndex(of: ":"), at < colon,
              let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        let ae = String(text[..<at])
        let host = String(text[text.index(after: at)..<colon])
        guard !ae.isEmpty, ae.utf8.count <= 16, !host.isEmpty else { return nil }
        self.init(aeTitle: ae, host: host, port: port)
    }

    public var description: String { "\(aeTitle)@\(host):\(port)" }
}

/// One established association, requestor side. Use it from one task at a time: messages go
/// one after the other (asynchronous operations window 1).
public final class DimseAssociation: Sendable {
    public let accepted: [AcceptedContext]
    /// The SCP/SCU role selections the acceptor returned (PS3.7 §D.3.3.4); absent ones mean the
    /// default roles (we are the SCU).
    public let acceptedRoles: [RoleSelection]
    public let peerMaxPDULength: UInt32
    public let remote: RemoteAE
    private let channel: any Channel
    private let nextMessageID = Mutex<UInt16>(1)
    /// How long to wait for a response (the "DIMSE timeout" of other implementations).
    public let responseTimeout: Duration

    private init(channel: any Channel, accepted: [AcceptedContext], acceptedRoles: [RoleSelection], peerMaxPDULength: UInt32,
                 remote: RemoteAE, responseTimeout: Duration) {
        self.channel = channel
        self.accepted = accepted
        self.acceptedRoles = acceptedRoles
        self.peerMaxPDULength = peerMaxPDULength
        self.remote = remote
        self.responseTimeout = responseTimeout
    }

    /// Connects to `remote` and negotiates `contexts`.
    /// - Throws: `AssociationError.rejected` with the RJ's result/source/reason, or a connect error.
    public static func open(to remote: RemoteAE, callingAETitle: String, contexts: [ProposedContext],
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            maxPDULength: UInt32 = 262_144, connectTimeout: TimeAmount = .seconds(10),
                            responseTimeout: Duration = .seconds(120),
                            roleSelections: [RoleSelection] = [],
                            storeHandler: IncomingStoreHandler? = nil) async throws -> DimseAssociation {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ops = channel.pipeline.syncOperations
                    try ops.addHandler(PDUFramer(maxLength: max(maxPDULength, 1 << 20)))
                    try ops.addHandler(MessageToByteHandler(PDUEncoder()))
                    try ops.addHandler(RequestorHandler(storeHandler: storeHandler))
                }
            }
            .connect(host: remote.host, port: remote.port)
            .get()
        var proposed: [AssociateRQ.PresentationContext] = []
        for (i, c) in contexts.prefix(128).enumerated() {
            // PS3.8 §9.3.2.2: odd IDs 1–255.
            proposed.append(.init(id: UInt8(2 * i + 1), abstractSyntax: c.abstractSyntax, transferSyntaxes: c.transferSyntaxes))
        }
        let rq = AssociateRQ(calledAETitle: remote.aeTitle, callingAETitle: callingAETitle,
                             presentationContexts: proposed,
                             userInformation: UserInformation(items: [
                                 .maximumLength(maxPDULength),
                                 .implementationClassUID(DicomFile.implementationClassUID),
                             ] + roleSelections.map { .roleSelection($0) } + [
                                 .implementationVersionName(DicomFile.implementationVersionName),
                             ]))
        let promise = channel.eventLoop.makePromise(of: AssociateAC.self)
        channel.writeAndFlush(RequestorCommand.associate(rq, promise), promise: nil)
        let ac: AssociateAC
        do {
            ac = try await promise.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        var accepted: [AcceptedContext] = []
        for result in ac.presentationContexts where result.result == .acceptance {
            guard let p = proposed.first(where: { $0.id == result.id }), let ts = result.transferSyntax else { continue }
            accepted.append(AcceptedContext(id: result.id, abstractSyntax: p.abstractSyntax, transferSyntax: ts))
        }
        return DimseAssociation(channel: channel, accepted: accepted, acceptedRoles: ac.userInformation.roleSelections,
                                peerMaxPDULength: ac.userInformation.maximumLength ?? 0,
                                remote: remote, responseTimeout: responseTimeout)
    }

    func messageID() -> UInt16 {
        nextMessageID.withLock { id in
            defer { id = id == UInt16.max ? 1 : id + 1 }
            return id
        }
    }

    /// Sends a command (and data set bytes, or the parts `streaming` sends after the command)
    /// and waits for the final response, at most `responseTimeout`.
    func send(command: CommandSet, dataSet: ByteBuffer?, contextID: UInt8, timeout limit: Duration? = nil,
                      onResponse: ResponseObserver? = nil,
                      streaming: (() async throws -> Void)? = nil) async throws -> CommandSet {
        let responseTimeout = limit ?? self.responseTimeout
        let id = command.messageID ?? 0
        var pdus = PDataTF.fragments(of: command.encoded(), contextID: contextID, isCommand: true, maxPDULength: peerMaxPDULength)
        if let dataSet {
            pdus += PDataTF.fragments(of: dataSet, contextID: contextID, isCommand: false, maxPDULength: peerMaxPDULength)
        }
        let promise = channel.eventLoop.makePromise(of: CommandSet.self)
        let timeout = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(responseTimeout.components.seconds) * 1_000_000_000)) {
            promise.fail(AssociationError.timeout("the response to message \(id)"))
        }
        defer { timeout.cancel() }
        try await channel.writeAndFlush(RequestorCommand.message(pdus, messageID: id, promise, onResponse: onResponse))
        if let streaming { try await streaming() }
        return try await promise.futureResult.get()
    }

    /// C-ECHO (PS3.7 §9.1.5).
    public func echo() async throws -> DimseStatus {
        guard let context = accepted.first(where: { $0.abstractSyntax == UID.verification }) else {
            throw AssociationError.noContext("Verification")
        }
        var c = CommandSet()
        c.commandField = .cEchoRQ
        c.messageID = messageID()
        c.affectedSOPClassUID = UID.verification
        c.commandDataSetType = CommandSet.noDataSet
        let rsp = try await send(command: c, dataSet: nil, contextID: context.id)
        return rsp.status ?? .processingFailure
    }

    /// N-EVENT-REPORT (PS3.7 §10.1.1) of ours, as the SCP of `sopClassUID` (Storage Commitment's
    /// report on an association we opened, PS3.4 §J.3.3): the event information is encoded in the
    /// accepted context's transfer syntax.
    /// - Returns: the peer's N-EVENT-REPORT-RSP status.
    /// - Throws: `AssociationError.noContext` when the SOP class was not accepted.
    public func eventReport(sopClassUID: String, sopInstanceUID: String, eventTypeID: UInt16,
                            eventInformation: DataSet) async throws -> DimseStatus {
        guard let context = accepted.first(where: { $0.abstractSyntax == sopClassUID }) else {
            throw AssociationError.noContext(UIDRegistry.name(for: sopClassUID) ?? sopClassUID)
        }
        var c = CommandSet.eventReportRequest(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, eventTypeID: eventTypeID)
        c.messageID = messageID()
        let bytes = try DimseDataSetCoding.encode(eventInformation, transferSyntax: context.transferSyntax)
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let rsp = try await send(command: c, dataSet: buffer, contextID: context.id)
        return rsp.status ?? .processingFailure
    }

    /// The result of sending one instance.
    public struct StoreResult: Sendable {
        public var status: DimseStatus
        public var errorComment: String?
        public var bytes: Int
    }

    /// A C-STORE-RQ command (PS3.7 §9.3.1.1) with the next message ID, medium priority.
    private func storeCommand(sopClassUID: String, sopInstanceUID: String) -> CommandSet {
        var c = CommandSet()
        c.commandField = .cStoreRQ
        c.messageID = messageID()
        c.affectedSOPClassUID = sopClassUID
        c.affectedSOPInstanceUID = sopInstanceUID
        c.priority = 0
        c.commandDataSetType = CommandSet.dataSetPresent
        return c
    }

    /// C-STORE of an instance whose data set is already encoded in the context's transfer syntax.
    public func store(sopClassUID: String, sopInstanceUID: String, dataSet: ByteBuffer, contextID: UInt8,
                      moveOriginator: (aeTitle: String, messageID: UInt16)? = nil) async throws -> StoreResult {
        var c = storeCommand(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID)
        if let moveOriginator {
            c.moveOriginatorApplicationEntityTitle = moveOriginator.aeTitle
            c.moveOriginatorMessageID = moveOriginator.messageID
        }
        let rsp = try await send(command: c, dataSet: dataSet, contextID: contextID)
        return StoreResult(status: rsp.status ?? .processingFailure, errorComment: rsp.errorComment, bytes: dataSet.readableBytes)
    }

    /// C-STORE of a Part 10 file: picks an accepted context for its SOP class. When the file's own
    /// syntax was accepted its data set bytes are streamed from the file as stored (memory stays
    /// bounded whatever the file size); otherwise the file is transcoded (PS3.5 §8: decompressed or
    /// compressed through the codec registry, or converted among the native syntaxes).
    /// - Throws: `AssociationError.noContext` when no accepted context fits, a read error, or
    ///   `CodecError` when no codec turns the stored syntax into an accepted one.
    /// - Parameter moveOriginator: for a C-MOVE sub-operation, the Move Originator AE Title and
    ///   Message ID (PS3.7 §9.1.1.1.10-11).
    public func store(file path: String, moveOriginator: (aeTitle: String, messageID: UInt16)? = nil) async throws -> StoreResult {
        let source = try FileByteSource(path: path)
        let head = try DicomFile.read(source: source, options: .headersOnly)
        let ds = head.dataSet
        guard let sopClass = ds.string(.sopClassUID) ?? head.fileMetaInformation.string(.mediaStorageSOPClassUID),
              let sopInstance = ds.string(.sopInstanceUID) ?? head.fileMetaInformation.string(.mediaStorageSOPInstanceUID)
        else { throw AssociationError.noContext("\(path): no SOP Class/Instance UID") }
        let candidates = accepted.filter { $0.abstractSyntax == sopClass }
        guard !candidates.isEmpty else { throw AssociationError.noContext("\(UIDRegistry.name(for: sopClass) ?? sopClass)") }
        let own = head.transferSyntax
        // The bytes after the meta group are the data set exactly as the syntax says when the file
        // is not deflated (inflated offsets are not file offsets) and its encoding is the syntax's.
        if let same = candidates.first(where: { $0.transferSyntax == own.uid }),
           !own.isDeflated, head.dataSetEncoding == DataSetEncoding(own), head.dataSetOffset <= source.length {
            return try await streamStore(source: source, from: head.dataSetOffset, sopClassUID: sopClass,
                                         sopInstanceUID: sopInstance, contextID: same.id, moveOriginator: moveOriginator)
        }
        let file = try DicomFile.read(source: source)
        let bytes: [UInt8]
        let contextID: UInt8
        if let same = candidates.first(where: { $0.transferSyntax == own.uid }) {
            contextID = same.id
            bytes = try file.dataSetBytesForNetwork()
        } else {
            var chosen: (AcceptedContext, DicomFile)?
            var lastError: (any Error)?
            for c in candidates.transcodingTargets() {
                do {
                    chosen = (c, try Transcoder.transcode(file, to: TransferSyntax(uid: c.transferSyntax)))
                    break
                } catch { lastError = error }
            }
            guard let (context, converted) = chosen else {
                throw lastError ?? AssociationError.noContext(sopClass)
            }
            contextID = context.id
            bytes = try converted.dataSetBytesForNetwork()
        }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return try await store(sopClassUID: sopClass, sopInstanceUID: sopInstance, dataSet: buffer, contextID: contextID,
                               moveOriginator: moveOriginator)
    }

    /// C-STORE whose data set is read from `source` in parts of about 1 MiB, each sent before
    /// the next is read.
    private func streamStore(source: FileByteSource, from offset: UInt64, sopClassUID: String, sopInstanceUID: String,
                             contextID: UInt8, moveOriginator: (aeTitle: String, messageID: UInt16)?) async throws -> StoreResult {
        let total = Int(source.length - offset)
        guard total > 0 else { throw AssociationError.noContext("\(source.path ?? "file"): an empty data set") }
        var c = storeCommand(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID)
        if let moveOriginator {
            c.moveOriginatorApplicationEntityTitle = moveOriginator.aeTitle
            c.moveOriginatorMessageID = moveOriginator.messageID
        }
        let rsp = try await send(command: c, dataSet: nil, contextID: contextID, streaming: {
            try await self.streamDataSet(from: source, offset: offset, contextID: contextID)
        })
        return StoreResult(status: rsp.status ?? .processingFailure, errorComment: rsp.errorComment, bytes: total)
    }

    /// Sends the bytes of `source` from `offset` to its end as data PDVs, in parts of about 1 MiB.
    private func streamDataSet(from source: FileByteSource, offset: UInt64, contextID: UInt8) async throws {
        let pdvLimit = peerMaxPDULength == 0 ? (1 << 20) : Int(min(peerMaxPDULength, 1 << 24)) - 6
        // Parts are whole PDVs, so that only the last PDV of the last part carries the last bit.
        let part = max(pdvLimit, 1) * max(1, (1 << 20) / max(pdvLimit, 1))
        var position = offset
        repeat {
            let n = min(part, Int(source.length - position))
            var buffer = channel.allocator.buffer(capacity: n)
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { raw in
                var done = 0
                while done < n {
                    let got = try source.read(at: position + UInt64(done),
                                              into: UnsafeMutableRawBufferPointer(rebasing: raw[done..<n]))
                    guard got > 0 else { throw AssociationError.protocolError("\(source.path ?? "file") shrank while being sent") }
                    done += got
                }
                return n
            }
            position += UInt64(n)
            var pdus = PDataTF.fragments(of: buffer, contextID: contextID, isCommand: false, maxPDULength: peerMaxPDULength)
            if position < source.length, let lastIndex = pdus.indices.last {
                pdus[lastIndex].pdvs[0].isLast = false
            }
            try await channel.writeAndFlush(RequestorCommand.continuation(pdus))
        } while position < source.length
    }

    /// A-RELEASE (PS3.8 §7.2); the connection is closed afterwards.
    public func release() async throws {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(RequestorCommand.release(promise), promise: nil)
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(30)) { promise.succeed() }
        defer { timeout.cancel() }
        try await promise.futureResult.get()
        try? await channel.close()
    }

    /// A-ABORT (PS3.8 §7.3), then close.
    public func abort() async {
        try? await channel.writeAndFlush(RequestorCommand.abort)
        try? await channel.close()
    }
}

extension DicomFile {
    /// The data set as it goes on the wire: encoded in the file's syntax, deflated when the
    /// syntax is (PS3.5 §A.5: the whole data set is deflated, as in the file), padded to even length.
    func dataSetBytesForNetwork() throws -> [UInt8] {
        let body = try encodedDataSet(options: .exact)
        return transferSyntax.isDeflated ? Deflate.deflateEvenLength(body) : body
    }
}
