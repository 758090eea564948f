import DicomCore
import DicomTestSupport
import NIOCore
import NIOEmbedded
import Testing
@testable import DimseServer

/// The acceptor on an EmbeddedChannel: bytes in, bytes out, the clock advanced by hand.
@Suite("AssociationHandler on an EmbeddedChannel")
struct AssociationHandlerTests {
    static func makeChannel(aeTitle: String = "STORESCP") throws -> EmbeddedChannel {
        try makeChannel(settings: AssociationSettings(policy: AssociationPolicy(aeTitle: aeTitle), services: ServiceRegistry(storage: nil)))
    }

    /// An acceptor pipeline on an EmbeddedChannel, connected (Sta2, ARTIM running).
    static func makeChannel(settings: AssociationSettings) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(PDUFramer(maxLength: 1 << 20))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(PDUEncoder()))
        try channel.pipeline.syncOperations.addHandler(AssociationHandler(settings: settings))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 104)).wait()
        return channel
    }

    static func send(_ bytes: [UInt8], to channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// Every PDU the handler wrote, decoded.
    static func written(_ channel: EmbeddedChannel) throws -> [PDU] {
        var out: [PDU] = []
        while var b = try channel.readOutbound(as: ByteBuffer.self) {
            while let pdu = try b.readPDU(maxLength: 1 << 24) { out.append(pdu) }
        }
        return out
    }

    @Test("echoscu's association: A-ASSOCIATE-AC, C-ECHO-RSP 0000 for message 1, A-RELEASE-RP")
    func echoscuConversation() throws {
        let channel = try Self.makeChannel()
        try Self.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: channel)
        let ac = try Self.written(channel)
        guard case .associateAC(let accept)? = ac.first else {
            Issue.record("expected A-ASSOCIATE-AC, got \(ac)")
            return
        }
        #expect(accept.presentationContexts.map(\.result) == [.acceptance])
        #expect(accept.presentationContexts.first?.transferSyntax == UID.implicitVRLittleEndian)

        try Self.send(GoldenPDUs.dcmtkEchoPDataRQ, to: channel)
        let rsp = try Self.written(channel)
        guard case .pDataTF(let p)? = rsp.first, let pdv = p.pdvs.first else {
            Issue.record("expected P-DATA-TF, got \(rsp)")
            return
        }
        let command = try CommandSet(decoding: pdv.data)
        #expect(command.commandField == .cEchoRSP)
        #expect(command.messageIDBeingRespondedTo == 1)
        #expect(command.status == .success)
        #expect(pdv.isCommand && pdv.isLast && pdv.presentationContextID == 1)

        try Self.send(GoldenPDUs.dcmtkReleaseRQ, to: channel)
        #expect(try Self.written(channel) == [.releaseRP])
        _ = try? channel.finish()
    }

    @Test("a released association leaves nothing behind: the handler is freed once its channel is gone")
    func handlerFreedAfterRelease() throws {
        weak var released: AssociationHandler?
        weak var loop: EmbeddedEventLoop?
        try {
            let channel = try Self.makeChannel()
            released = try channel.pipeline.syncOperations.handler(type: AssociationHandler.self)
            loop = channel.embeddedEventLoop
            try Self.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: channel)
            try Self.send(GoldenPDUs.dcmtkEchoPDataRQ, to: channel)
            try Self.send(GoldenPDUs.dcmtkReleaseRQ, to: channel)
            #expect(try Self.written(channel).last == .releaseRP)
            _ = try? channel.finish()
        }()
        // The handler held its operation link and the link the handler: a cycle per association.
        #expect(released == nil)
        #expect(loop == nil)
    }

    @Test("A wrong called AE title gets A-ASSOCIATE-RJ 1/1/7, then the connection closes when ARTIM expires")
    func rejectThenARTIM() throws {
        let channel = try Self.makeChannel(aeTitle: "NOTSTORESCP")
        try Self.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: channel)
        #expect(try Self.written(channel) == [.associateRJ(AssociateRJ(result: .rejectedPermanent, source: .serviceUser,
                                                                        reason: .calledAETitleNotRecognized))])
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(31))
        #expect(!channel.isActive)
    }

    @Test("No A-ASSOCIATE-RQ within the ARTIM timeout: the connection is closed (PS3.8 §9.1.5, Sta2 + Evt18)")
    func artimInSta2() throws {
        let channel = try Self.makeChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test("An unknown PDU type during an association gets A-ABORT source 2, reason 1 (unrecognized PDU)")
    func garbageAfterAccept() throws {
        let channel = try Self.makeChannel()
        try Self.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: channel)
        _ = try Self.written(channel)
        try Self.send([0x0A, 0x00, 0x00, 0x00, 0x00, 0x02, 0xDE, 0xAD], to: channel)
        #expect(try Self.written(channel) == [.abort(Abort(source: .serviceProvider, reason: .unrecognizedPDU))])
        channel.embeddedEventLoop.advanceTime(by: .seconds(31))
        #expect(!channel.isActive)
    }

    @Test("A PDU length of 0xFFFFFFF0 is refused before buffering: A-ABORT reason 6 (invalid parameter value)")
    func hugeLength() throws {
        let channel = try Self.makeChannel()
        try Self.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: channel)
        _ = try Self.written(channel)
        try Self.send([0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xF0, 0x00], to: channel)
        #expect(try Self.written(channel) == [.abort(Abort(source: .serviceProvider, reason: .invalidPDUParameterValue))])
    }

    @Test("A P-DATA on a context that was not accepted aborts the association")
    func unknownContext() throws {
        let channel = try Self.makeChannel()
        try Self.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: channel)
        _ = try Self.written(channel)
        var rq = GoldenPDUs.dcmtkEchoPDataRQ
        rq[10] = 0x05                                    // presentation context ID 5 was never proposed
        try Self.send(rq, to: channel)
        guard case .abort? = try Self.written(channel).first else {
            Issue.record("expected A-ABORT")
            return
        }
    }

    @Test("A C-FIND on the Verification context is answered 0211 (unrecognized operation), not dropped")
    func unrecognizedOperation() throws {
        let channel = try Self.makeChannel()
        try Self.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: channel)
        _ = try Self.written(channel)
        var find = CommandSet()
        find.commandField = .cFindRQ
        find.messageID = 9
        find.affectedSOPClassUID = UID.verification
        find.commandDataSetType = CommandSet.noDataSet
        var out = ByteBuffer()
        for pdu in PDataTF.fragments(of: find.encoded(), contextID: 1, isCommand: true, maxPDULength: 16384) {
            try out.writePDU(.pDataTF(pdu))
        }
        try channel.writeInbound(out)
        guard case .pDataTF(let p)? = try Self.written(channel).first, let pdv = p.pdvs.first else {
            Issue.record("expected a response")
            return
        }
        let rsp = try CommandSet(decoding: pdv.data)
        #expect(rsp.commandField == .cFindRSP && rsp.status == .unrecognizedOperation && rsp.messageIDBeingRespondedTo == 9)
    }
}

@Suite("AssociationHandler timers and limits")
struct AssociationLimitTests {
    @Test("An accepted association silent for the idle timeout is aborted (A-ABORT, then closed by ARTIM)")
    func idleTimeout() throws {
        var settings = AssociationSettings(policy: AssociationPolicy(aeTitle: "STORESCP"), services: ServiceRegistry(storage: nil))
        settings.idleTimeout = .seconds(60)
        let channel = try AssociationHandlerTests.makeChannel(settings: settings)
        try AssociationHandlerTests.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: channel)
        _ = try AssociationHandlerTests.written(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(try AssociationHandlerTests.written(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try AssociationHandlerTests.written(channel) == [.abort(Abort(source: .serviceUser, reason: .reasonNotSpecified))])
        channel.embeddedEventLoop.advanceTime(by: .seconds(31))
        #expect(!channel.isActive)
    }

    @Test("One association over the per-calling-AE limit is rejected transiently: RJ 2/3/2; the slot frees on release")
    func perCallingAELimit() throws {
        var policy = AssociationPolicy(aeTitle: "STORESCP")
        policy.maxAssociationsPerCallingAE = 1
        let tracker = AssociationTracker()
        func channel() throws -> EmbeddedChannel {
            try AssociationHandlerTests.makeChannel(settings: AssociationSettings(
                policy: policy, services: ServiceRegistry(storage: nil), tracker: tracker))
        }
        let first = try channel()
        try AssociationHandlerTests.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: first)
        guard case .associateAC? = try AssociationHandlerTests.written(first).first else {
            Issue.record("first association not accepted")
            return
        }
        let second = try channel()
        try AssociationHandlerTests.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: second)
        #expect(try AssociationHandlerTests.written(second) == [.associateRJ(AssociateRJ(
            result: .rejectedTransient, source: .serviceProviderPresentation, reason: .localLimitExceeded))])
        // Release the first: the calling AE may associate again.
        try AssociationHandlerTests.send(GoldenPDUs.dcmtkReleaseRQ, to: first)
        _ = try AssociationHandlerTests.written(first)
        _ = try? first.close().wait()
        let third = try channel()
        try AssociationHandlerTests.send(GoldenPDUs.dcmtkEchoAssociateRQ, to: third)
        guard case .associateAC? = try AssociationHandlerTests.written(third).first else {
            Issue.record("the slot was not freed")
            return
        }
    }
}
