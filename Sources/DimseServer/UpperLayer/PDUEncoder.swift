// PS3.8 §9.3 on a NIO pipeline: PDUs in, bytes out.
import NIOCore

/// Encodes PDUs.
public struct PDUEncoder: MessageToByteEncoder {
    public typealias OutboundIn = PDU

    public init() {}

    public func encode(data: PDU, out: inout ByteBuffer) throws {
        try out.writePDU(data)
    }
}
