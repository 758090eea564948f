// PS3.8 §9.3 on a NIO pipeline: bytes in, PDUs out.
import NIOCore

/// Decodes PDUs; a PS3.8 violation is thrown as `PDUError` (its `abortReason` is the A-ABORT to send).
public struct PDUDecoder: ByteToMessageDecoder {
    public typealias InboundOut = PDU

    /// The largest PDU-length accepted. Item 51H bounds only P-DATA-TF (PS3.8 Annex D.1); an
    /// A-ASSOCIATE-RQ proposing 128 presentation contexts can exceed 16 KiB, so before the
    /// association is established use a larger bound than the announced maximum length.
    public let maxLength: UInt32

    public init(maxLength: UInt32) {
        self.maxLength = maxLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let pdu = try buffer.readPDU(maxLength: maxLength) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(pdu))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
