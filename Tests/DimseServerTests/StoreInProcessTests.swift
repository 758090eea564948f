import DicomArchive
import DicomCore
import DicomTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import DimseServer

/// A real listener on 127.0.0.1 with a real archive in a temporary directory, and our own SCU.
@Suite("C-STORE in process: listener, archive, SCU", .serialized)
struct StoreInProcessTests {
    struct Node {
        let dir: String
        let archive: Archive
        let listener: DimseListener
        let port: Int
    }

    static func startNode() async throws -> Node {
        let dir = NSTemporaryDirectory() + "dimse-test-\(UUID().uuidString)"
        let archive = try Archive(configuration: ArchiveConfiguration(root: dir, durable: false))
        let settings = AssociationSettings(policy: AssociationPolicy(aeTitle: "DICOMNODE"),
                                           services: ServiceRegistry(storage: ArchiveStorageProvider(archive: archive, aeTitle: "DICOMNODE")))
        let listener = DimseListener(settings: settings, group: MultiThreadedEventLoopGroup.singleton)
        let port = try await listener.start(host: "127.0.0.1", port: 0)
        return Node(dir: dir, archive: archive, listener: listener, port: port)
    }

    static func makeFile(instance: Int, in dir: String, syntax: TransferSyntax = .explicitVRLittleEndian,
                         pixels: Int = 64 * 64) throws -> (path: String, file: DicomFile) {
        var ds = TestBytes.sampleDataSet()
        ds[.sopInstanceUID] = .uid(.sopInstanceUID, "1.2.826.0.1.3680043.10.543.\(instance)")
        ds[.studyInstanceUID] = .uid(.studyInstanceUID, "1.2.826.0.1.3680043.10.543.1000")
        ds[.seriesInstanceUID] = .uid(.seriesInstanceUID, "1.2.826.0.1.3680043.10.543.2000")
        ds[.patientID] = .text(.patientID, .LO, "PID-1")
        ds[.pixelData] = DataElement(.pixelData, .OW, bytes: (0..<pixels * 2).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let file = DicomFile(dataSet: ds, transferSyntax: syntax)
        let path = dir + "/in-\(instance).dcm"
        try file.write(to: path)
        return (path, file)
    }

    @Test("C-STORE over our SCU: status 0000, indexed once, data set byte-identical, meta names the calling AE")
    func storeAndCompare() async throws {
        let node = try await Self.startNode()
        let (path, original) = try Self.makeFile(instance: 1, in: node.dir)
        let association = try await DimseAssociation.open(
            to: RemoteAE(aeTitle: "DICOMNODE", host: "127.0.0.1", port: node.port), callingAETitle: "TESTSCU",
            contexts: [ProposedContext(abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.explicitVRLittleEndian])],
            maxPDULength: 4096)
        let result = try await association.store(file: path)
        #expect(result.status == .success)
        // The same instance again: keep-first policy answers success and stores nothing new.
        #expect(try await association.store(file: path).status == .success)
        try await association.release()
        #expect(try await node.archive.instanceCount() == 1)
        let stored = try #require(try await node.archive.objectPath(sopInstanceUID: "1.2.826.0.1.3680043.10.543.1"))
        let back = try DicomFile.read(path: stored.hasPrefix("/") ? stored : node.dir + "/" + stored)
        #expect(try back.encodedDataSet() == original.encodedDataSet())
        #expect(back.fileMetaInformation.string(.sourceApplicationEntityTitle) == "TESTSCU")
        #expect(back.fileMetaInformation.string(.implementationClassUID) == DicomFile.implementationClassUID)
        #expect(back.transferSyntax == .explicitVRLittleEndian)
        await node.listener.shutdown(timeout: .seconds(1))
    }

    @Test("A C-STORE whose data set does not parse gets C000; nothing is indexed, incoming/ stays empty")
    func unparseable() async throws {
        let node = try await Self.startNode()
        let association = try await DimseAssociation.open(
            to: RemoteAE(aeTitle: "DICOMNODE", host: "127.0.0.1", port: node.port), callingAETitle: "TESTSCU",
            contexts: [ProposedContext(abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.explicitVRLittleEndian])])
        // (0008,0016) UI with a length running far past the end.
        let garbage = ByteBuffer(bytes: [0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0xF0, 0xFF, 0x31, 0x32])
        let result = try await association.store(sopClassUID: UID.ctImageStorage, sopInstanceUID: "1.2.3.4",
                                                  dataSet: garbage, contextID: association.accepted[0].id)
        #expect(result.status.rawValue & 0xF000 == 0xC000)
        try await association.release()
        #expect(try await node.archive.instanceCount() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: node.dir + "/incoming").isEmpty)
        await node.listener.shutdown(timeout: .seconds(1))
    }

    @Test("SOP Instance UID in the command differs from the data set's: A900, nothing stored")
    func mismatch() async throws {
        let node = try await Self.startNode()
        let (_, file) = try Self.makeFile(instance: 2, in: node.dir)
        let association = try await DimseAssociation.open(
            to: RemoteAE(aeTitle: "DICOMNODE", host: "127.0.0.1", port: node.port), callingAETitle: "TESTSCU",
            contexts: [ProposedContext(abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.explicitVRLittleEndian])])
        let bytes = ByteBuffer(bytes: try file.encodedDataSet())
        let result = try await association.store(sopClassUID: UID.ctImageStorage, sopInstanceUID: "9.9.9",
                                                  dataSet: bytes, contextID: association.accepted[0].id)
        #expect(result.status == .dataSetDoesNotMatchSOPClass)
        try await association.release()
        #expect(try await node.archive.instanceCount() == 0)
        await node.listener.shutdown(timeout: .seconds(1))
    }

    @Test("A-ABORT in the middle of an instance: the staged file is removed and nothing is indexed")
    func abortMidInstance() async throws {
        let node = try await Self.startNode()
        let (_, file) = try Self.makeFile(instance: 3, in: node.dir, pixels: 256 * 256)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: node.port).get()
        func send(_ pdu: PDU) async throws {
            var b = channel.allocator.buffer(capacity: 1024)
            try b.writePDU(pdu)
            try await channel.writeAndFlush(b)
        }
        try await send(.associateRQ(AssociateRQ(calledAETitle: "DICOMNODE", callingAETitle: "RAW",
                                                presentationContexts: [.init(id: 1, abstractSyntax: UID.ctImageStorage,
                                                                             transferSyntaxes: [UID.explicitVRLittleEndian])],
                                                userInformation: UserInformation(items: [.maximumLength(16384)]))))
        try await Task.sleep(for: .milliseconds(200))
        var command = CommandSet()
        command.commandField = .cStoreRQ
        command.messageID = 1
        command.affectedSOPClassUID = UID.ctImageStorage
        command.affectedSOPInstanceUID = "1.2.826.0.1.3680043.10.543.3"
        command.commandDataSetType = CommandSet.dataSetPresent
        try await send(.pDataTF(PDataTF(pdvs: [.init(presentationContextID: 1, isCommand: true, isLast: true, data: command.encoded())])))
        let data = try file.encodedDataSet()
        try await send(.pDataTF(PDataTF(pdvs: [.init(presentationContextID: 1, isCommand: false, isLast: false,
                                                      data: ByteBuffer(bytes: data.prefix(8000)))])))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try FileManager.default.contentsOfDirectory(atPath: node.dir + "/incoming").count == 1)
        try await send(.abort(Abort(source: .serviceUser)))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try FileManager.default.contentsOfDirectory(atPath: node.dir + "/incoming").isEmpty)
        #expect(try await node.archive.instanceCount() == 0)
        #expect(node.listener.openConnections == 0)
        try? await channel.close()
        await node.listener.shutdown(timeout: .seconds(1))
    }
}

@Suite("Listener shutdown", .serialized)
struct ListenerShutdownTests {
    @Test("Graceful shutdown: the port stops accepting, a running association finishes its store and releases")
    func gracefulShutdown() async throws {
        let node = try await StoreInProcessTests.startNode()
        let (path, _) = try StoreInProcessTests.makeFile(instance: 9, in: node.dir)
        let association = try await DimseAssociation.open(
            to: RemoteAE(aeTitle: "DICOMNODE", host: "127.0.0.1", port: node.port), callingAETitle: "TESTSCU",
            contexts: [ProposedContext(abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.explicitVRLittleEndian])])
        let shutdown = Task { await node.listener.shutdown(timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        // New connections are refused once the listening socket is closed …
        await #expect(throws: (any Error).self) {
            _ = try await DimseAssociation.open(to: RemoteAE(aeTitle: "DICOMNODE", host: "127.0.0.1", port: node.port),
                                                callingAETitle: "LATE", contexts: [ProposedContext(
                                                    abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitVRLittleEndian])])
        }
        // … while the open association still stores and releases.
        #expect(try await association.store(file: path).status == .success)
        try await association.release()
        await shutdown.value
        #expect(node.listener.openConnections == 0)
        #expect(try await node.archive.instanceCount() == 1)
    }
}
