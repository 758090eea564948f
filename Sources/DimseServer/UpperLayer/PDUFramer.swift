import NIOCore

/// Cuts the inbound byte stream of an association into PDUs (PS3.8 §9.3.1: type, reserved,
/// 32-bit PDU-length, then the body) and decodes them with `ByteBuffer.readPDU`.
///
/// Why not NIO's `ByteToMessageHandler`: once a read ends inside a PDU, it appends every later
/// read whole to its cumulation buffer, until a read happens to end on a PDU boundary; with
/// 256 KiB P-DATA PDUs arriving in reads of up to 1 MiB that is most of an instance's bytes copied
/// once more (9% of the receiver's CPU with 8 storescu associations). Here a PDU that lies whole in
/// a read is decoded where it lies (its PDV values are slices of the read buffer), and only a PDU
/// that spans reads is gathered: its own bytes, and no more.
///
/// The type byte and the PDU-length are checked as soon as they arrive (`readPDU` throws
/// `PDUError` for an unknown type, or a length above `maxLength`, before the body is awaited), so a
/// peer cannot make the node buffer more than one PDU of `maxLength`. After an error, input is not
/// decoded any more; each further read is reported as
/// `ByteToMessageDecoderError.dataReceivedInErrorState`, as `ByteToMessageHandler` does.
public final class PDUFramer: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = PDU

    /// The largest PDU-length accepted. Item 51H bounds only P-DATA-TF (PS3.8 Annex D.1); an
    /// A-ASSOCIATE-RQ proposing 128 presentation contexts can exceed 16 KiB, so before the
    /// association is established use a larger bound than the announced maximum length.
    public let maxLength: UInt32
    /// The start of a PDU that a later read completes.
    private var partial: ByteBuffer?
    private var failure: (any Error)?
    /// Reads that arrived while a PDU was being handed on (a handler that reads re-entrantly).
    private var waiting: [ByteBuffer] = []
    private var decoding = false

    public init(maxLength: UInt32) {
        self.maxLength = maxLength
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let input = unwrapInboundIn(data)
        if let failure {
            context.fireErrorCaught(ByteToMessageDecoderError.dataReceivedInErrorState(failure, input))
            return
        }
        waiting.append(input)
        guard !decoding else { return }
        decoding = true
        defer { decoding = false }
        while failure == nil, !waiting.isEmpty {
            var next = waiting.removeFirst()
            do {
                try decode(&next, context: context)
            } catch {
                failure = error
                partial = nil
                waiting.removeAll()
                context.fireErrorCaught(error)
            }
        }
    }

    private func decode(_ input: inout ByteBuffer, context: ChannelHandlerContext) throws {
        if partial != nil {
            guard let pdu = try complete(from: &input) else { return }
            context.fireChannelRead(wrapInboundOut(pdu))
        }
        while let pdu = try input.readPDU(maxLength: maxLength) {
            context.fireChannelRead(wrapInboundOut(pdu))
        }
        if input.readableBytes > 0 {
            // Checked already: readPDU threw for a bad type byte or length it could see. A slice
            // of the readable bytes only, so that gathering copies this PDU's bytes, not the read's.
            partial = input.slice()
        }
    }

    /// Moves bytes from `input` to the partial PDU, no more than it needs; the PDU once whole.
    private func complete(from input: inout ByteBuffer) throws -> PDU? {
        guard var gathered = partial else { return nil }
        partial = nil
        while input.readableBytes > 0 {
            let wanted: Int
            if gathered.readableBytes < 6 {
                wanted = 6 - gathered.readableBytes
            } else {
                guard let length = gathered.getInteger(at: gathered.readerIndex + 2, as: UInt32.self) else { return nil }
                wanted = 6 + Int(length) - gathered.readableBytes
                gathered.reserveCapacity(minimumWritableBytes: wanted)
            }
            guard let piece = input.readSlice(length: min(wanted, input.readableBytes)) else { return nil }
            gathered.writeImmutableBuffer(piece)
            if let pdu = try gathered.readPDU(maxLength: maxLength) {
                return pdu
            }
        }
        partial = gathered
        return nil
    }
}
