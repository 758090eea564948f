// libFuzzer target: the acceptor — PS3.8 §9.2 state machine, PDU decoder, DIMSE message
// assembly and command sets — on an EmbeddedChannel. The input follows a valid A-ASSOCIATE-RQ
// (DCMTK echoscu's, so the association reaches Sta6) when its first byte is odd, and is fed
// raw otherwise; it is split into writes at 0xFE bytes to exercise partial PDUs. Whatever
// arrives, the handler must not trap, and every PDU it writes must decode. Build and run with
// `Fuzz/run.sh FuzzAssociation SECONDS`.
import DicomTestSupport
import FuzzSupport
import DimseServer
import Logging
import NIOCore
import NIOEmbedded

#if canImport(Glibc)
import Glibc
#endif


@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let settings = AssociationSettings(policy: AssociationPolicy(aeTitle: "STORESCP"), services: ServiceRegistry(storage: nil),
                                       logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
    let channel = EmbeddedChannel()
    do {
        try channel.pipeline.syncOperations.addHandler(PDUFramer(maxLength: 1 << 16))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(PDUEncoder()))
        try channel.pipeline.syncOperations.addHandler(AssociationHandler(settings: settings))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 104)).wait()
        let stream = (input.first.map { $0 & 1 == 1 } ?? false) ? GoldenPDUs.dcmtkEchoAssociateRQ + input.dropFirst() : input
        for chunk in stream.split(separator: 0xFE, omittingEmptySubsequences: false) where channel.isActive {
            try? channel.writeInbound(ByteBuffer(bytes: chunk))
            drain(channel)
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(400))
        drain(channel)
    } catch {
        finding("channel setup failed: \(error)")
    }
    _ = try? channel.finish()
    return 0
}

/// Every PDU the handler wrote must decode.
func drain(_ channel: EmbeddedChannel) {
    while let out = try? channel.readOutbound(as: ByteBuffer.self) {
        var b = out
        do {
            while try b.readPDU(maxLength: UInt32.max) != nil {}
        } catch {
            finding("the handler wrote a PDU that does not decode: \(error)")
        }
    }
}
