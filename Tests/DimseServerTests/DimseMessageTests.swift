import DicomCore
import DicomTestSupport
import NIOCore
import Testing
@testable import DimseServer

@Suite("DIMSE command sets and message assembly")
struct DimseMessageTests {
    /// The C-ECHO-RQ command inside DCMTK echoscu's P-DATA-TF (golden bytes).
    static func echoscuCommand() throws -> (PDataTF.PDV, CommandSet) {
        var buffer = ByteBuffer(bytes: GoldenPDUs.dcmtkEchoPDataRQ)
        guard case .pDataTF(let p)? = try buffer.readPDU(maxLength: 16384), let pdv = p.pdvs.first else {
            Issue.record("golden P-DATA-TF did not decode")
            throw CancellationError()
        }
        return (pdv, try CommandSet(decoding: pdv.data))
    }

    @Test("DCMTK echoscu's C-ECHO-RQ decodes to its fields (PS3.7 Table 9.3-12)")
    func decodesEchoscu() throws {
        let (pdv, command) = try Self.echoscuCommand()
        #expect(pdv.isCommand && pdv.isLast && pdv.presentationContextID == 1)
        #expect(command.commandField == .cEchoRQ)
        #expect(command.messageID == 1)
        #expect(command.affectedSOPClassUID == "1.2.840.10008.1.1")
        #expect(command.commandDataSetType == 0x0101)
        #expect(!command.hasDataSet)
    }

    @Test("A command set we build encodes to the bytes DCMTK storescp sent for the same C-ECHO-RSP")
    func encodesLikeStorescp() throws {
        var rsp = CommandSet()
        rsp.affectedSOPClassUID = "1.2.840.10008.1.1"
        rsp.commandField = .cEchoRSP
        rsp.messageIDBeingRespondedTo = 1
        rsp.commandDataSetType = CommandSet.noDataSet
        rsp.status = .success
        var golden = ByteBuffer(bytes: GoldenPDUs.dcmtkEchoPDataRSP)
        guard case .pDataTF(let p)? = try golden.readPDU(maxLength: 16384), let pdv = p.pdvs.first else {
            Issue.record("golden RSP did not decode")
            return
        }
        #expect(Array(buffer: rsp.encoded()) == Array(buffer: pdv.data))
        #expect(try CommandSet(decoding: rsp.encoded()) == rsp)
    }

    @Test("A command element outside group 0000, or a length past the end, is refused with its offset")
    func badCommandSets() {
        var wrongGroup = ByteBuffer()
        wrongGroup.writeInteger(UInt16(0x0008), endianness: .little)
        wrongGroup.writeInteger(UInt16(0x0018), endianness: .little)
        wrongGroup.writeInteger(UInt32(0), endianness: .little)
        #expect(throws: CommandSetError.notCommandGroup(group: 0x0008, element: 0x0018, offset: 0)) {
            try CommandSet(decoding: wrongGroup)
        }
        var overrun = ByteBuffer()
        overrun.writeInteger(UInt16(0x0000), endianness: .little)
        overrun.writeInteger(UInt16(0x0100), endianness: .little)
        overrun.writeInteger(UInt32(100), endianness: .little)
        overrun.writeInteger(UInt16(0x0030), endianness: .little)
        #expect(throws: CommandSetError.truncated(offset: 0)) { try CommandSet(decoding: overrun) }
    }

    @Test("Command fragments are gathered; data fragments are passed on one by one")
    func assemblesFragments() throws {
        var command = CommandSet()
        command.commandField = .cStoreRQ
        command.messageID = 7
        command.affectedSOPClassUID = UID.ctImageStorage
        command.affectedSOPInstanceUID = "1.2.3"
        command.commandDataSetType = CommandSet.dataSetPresent
        let encoded = command.encoded()
        let pieces = PDataTF.fragments(of: encoded, contextID: 3, isCommand: true, maxPDULength: 26)
        #expect(pieces.count > 3)
        var assembler = MessageAssembler()
        var events: [MessageAssembler.Event] = []
        for p in pieces {
            for pdv in p.pdvs { if let e = try assembler.feed(pdv) { events.append(e) } }
        }
        #expect(events == [.command(command, contextID: 3, expectsDataSet: true)])
        #expect(assembler.isInsideMessage)
        let data = ByteBuffer(bytes: Array(0..<100 as Range<UInt8>))
        var received: [UInt8] = []
        var lastSeen = false
        for p in PDataTF.fragments(of: data, contextID: 3, isCommand: false, maxPDULength: 46) {
            for pdv in p.pdvs {
                guard case .dataFragment(let bytes, 3, let isLast)? = try assembler.feed(pdv) else {
                    Issue.record("expected a data fragment")
                    return
                }
                #expect(bytes.readableBytes <= 40)
                received += Array(buffer: bytes)
                lastSeen = isLast
            }
        }
        #expect(received == Array(0..<100 as Range<UInt8>))
        #expect(lastSeen && !assembler.isInsideMessage)
    }

    @Test("PDVs out of order are protocol violations (PS3.8 Annex E)")
    func violations() throws {
        var a = MessageAssembler()
        let data = PDataTF.PDV(presentationContextID: 1, isCommand: false, isLast: true, data: ByteBuffer())
        #expect(throws: MessageAssembler.Violation.dataWithoutCommand(contextID: 1)) { try a.feed(data) }
        var b = MessageAssembler()
        let first = PDataTF.PDV(presentationContextID: 1, isCommand: true, isLast: false, data: ByteBuffer(bytes: [0, 0]))
        let other = PDataTF.PDV(presentationContextID: 3, isCommand: true, isLast: true, data: ByteBuffer())
        _ = try b.feed(first)
        #expect(throws: MessageAssembler.Violation.contextChanged(expected: 1, found: 3)) { try b.feed(other) }
    }

    @Test("Outgoing P-DATA fits the peer's maximum PDU length, header included (PS3.8 §D.1)")
    func fragmentsFitMaxLength() {
        let data = ByteBuffer(repeating: 0xAB, count: 100_000)
        for max in [UInt32(4096), 16384, 16390] {
            let pdus = PDataTF.fragments(of: data, contextID: 1, isCommand: false, maxPDULength: max)
            for pdu in pdus {
                var b = ByteBuffer()
                _ = try? b.writePDU(.pDataTF(pdu))
                #expect(b.readableBytes - 6 <= Int(max))
            }
            #expect(pdus.map { $0.pdvs[0].data.readableBytes }.reduce(0, +) == 100_000)
            #expect(pdus.last?.pdvs[0].isLast == true && pdus.dropLast().allSatisfy { !$0.pdvs[0].isLast })
        }
    }
}

extension DimseMessageTests {
    @Test("A message whose command and data set fit one PDU travels in one P-DATA-TF, command PDV first (PS3.8 Annex E.1)")
    func messageSharesOnePDUWhenItFits() throws {
        var command = CommandSet()
        command.commandField = .cFindRSP
        command.messageIDBeingRespondedTo = 3
        command.commandDataSetType = CommandSet.dataSetPresent
        let encoded = command.encoded()
        let data = ByteBuffer(bytes: Array(repeating: 0x41, count: 200))
        let exact = UInt32(encoded.readableBytes + 200 + 12)          // both PDVs with their 6-byte headers
        let one = PDataTF.message(command: encoded, dataSet: data, contextID: 5, maxPDULength: exact)
        #expect(one.count == 1)
        #expect(one.first?.pdvs.map(\.isCommand) == [true, false])
        #expect(one.first?.pdvs.allSatisfy { $0.isLast && $0.presentationContextID == 5 } == true)
        var wire = ByteBuffer()
        _ = try wire.writePDU(.pDataTF(try #require(one.first)))
        #expect(wire.readableBytes - 6 == Int(exact))

        // One byte less: the command and the data set go in PDUs of their own, each within the limit.
        let two = PDataTF.message(command: encoded, dataSet: data, contextID: 5, maxPDULength: exact - 1)
        #expect(two.count == 2)
        #expect(two.map { $0.pdvs.count } == [1, 1])
        #expect(two.map { $0.pdvs[0].isCommand } == [true, false])

        // The receiving side reassembles the shared PDU into the same events.
        var assembler = MessageAssembler()
        var events: [MessageAssembler.Event] = []
        for pdv in try #require(one.first).pdvs { if let e = try assembler.feed(pdv) { events.append(e) } }
        #expect(events == [.command(command, contextID: 5, expectsDataSet: true), .dataFragment(data, contextID: 5, isLast: true)])

        // No data set: the command alone.
        let alone = PDataTF.message(command: encoded, dataSet: nil, contextID: 5, maxPDULength: 16384)
        #expect(alone.count == 1 && alone[0].pdvs.count == 1 && alone[0].pdvs[0].isCommand)
    }
}

@Suite("Association policy (PS3.8 Table 9-21, §9.3.3.2)")
struct AssociationPolicyTests {
    static func rq(called: String = "DICOMNODE", calling: String = "MODALITY",
                   contexts: [AssociateRQ.PresentationContext]) -> AssociateRQ {
        AssociateRQ(calledAETitle: called, callingAETitle: calling, presentationContexts: contexts,
                    userInformation: UserInformation(items: [.maximumLength(16384)]))
    }

    static let supported: Set<String> = ServiceRegistry(storage: nil).abstractSyntaxes.union(StorageSOPClasses.all)

    @Test("An unknown called AE title is rejected: permanent, service-user, reason 7")
    func calledAE() {
        let policy = AssociationPolicy(aeTitle: "DICOMNODE")
        guard case .reject(let rj, _) = policy.decide(Self.rq(called: "OTHER", contexts: []), supported: Self.supported,
                                                      openAssociations: (0, 0)) else {
            Issue.record("accepted")
            return
        }
        #expect(rj == AssociateRJ(result: .rejectedPermanent, source: .serviceUser, reason: .calledAETitleNotRecognized))
    }

    @Test("A calling AE title off the allow-list is rejected with reason 3; the limit with source 3 reason 2")
    func callingAEAndLimit() {
        var policy = AssociationPolicy(aeTitle: "DICOMNODE")
        policy.allowedCallingAETitles = ["CT1"]
        guard case .reject(let rj, _) = policy.decide(Self.rq(contexts: []), supported: Self.supported,
                                                      openAssociations: (0, 0)) else {
            Issue.record("accepted")
            return
        }
        #expect(rj.reason == .callingAETitleNotRecognized && rj.source == .serviceUser)
        policy.allowedCallingAETitles = nil
        policy.maxAssociations = 2
        guard case .reject(let busy, _) = policy.decide(Self.rq(contexts: []), supported: Self.supported,
                                                        openAssociations: (2, 0)) else {
            Issue.record("accepted over the limit")
            return
        }
        #expect(busy == AssociateRJ(result: .rejectedTransient, source: .serviceProviderPresentation, reason: .localLimitExceeded))
    }

    @Test("Contexts: compressed syntax kept, else Explicit LE, else Implicit; unknown abstract/transfer syntaxes refused")
    func contexts() {
        let policy = AssociationPolicy(aeTitle: "DICOMNODE")
        let contexts: [AssociateRQ.PresentationContext] = [
            .init(id: 1, abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.implicitVRLittleEndian, UID.jpegLossless, UID.explicitVRLittleEndian]),
            .init(id: 3, abstractSyntax: UID.mrImageStorage, transferSyntaxes: [UID.implicitVRLittleEndian, UID.explicitVRLittleEndian]),
            .init(id: 5, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitVRLittleEndian]),
            .init(id: 7, abstractSyntax: "1.2.3.4.5.6", transferSyntaxes: [UID.implicitVRLittleEndian]),
            .init(id: 9, abstractSyntax: UID.ctImageStorage, transferSyntaxes: ["1.2.3.999"]),
        ]
        guard case .accept(let ac, let accepted) = policy.decide(Self.rq(contexts: contexts), supported: Self.supported,
                                                                 openAssociations: (0, 0)) else {
            Issue.record("rejected")
            return
        }
        #expect(ac.presentationContexts.map(\.result) == [.acceptance, .acceptance, .acceptance,
                                                           .abstractSyntaxNotSupported, .transferSyntaxesNotSupported])
        #expect(accepted.map(\.transferSyntax) == [UID.jpegLossless, UID.explicitVRLittleEndian, UID.implicitVRLittleEndian])
        #expect(ac.userInformation.maximumLength == policy.maxPDULength)
        #expect(ac.userInformation.implementationClassUID == DicomFile.implementationClassUID)
    }

    @Test("Every Storage SOP class of the registry is accepted; DICOMDIR and Storage Commitment are not storage")
    func storageClasses() {
        #expect(StorageSOPClasses.all.contains(UID.ctImageStorage))
        #expect(StorageSOPClasses.all.contains(UID.encapsulatedPDFStorage))
        #expect(!StorageSOPClasses.all.contains("1.2.840.10008.1.3.10"))
        #expect(!StorageSOPClasses.all.contains("1.2.840.10008.1.20.1"))
        #expect(StorageSOPClasses.all.count > 150)
    }
}
