// HL7 Minimal Lower Layer Protocol (HL7 v2.5 Appendix C.4.3, MLLP release 1): a message is
// framed as <VT 0x0B> message <FS 0x1C><CR 0x0D>.
import NIOCore

public enum MLLPFrame {
    public static let startBlock: UInt8 = 0x0B
    public static let endBlock: UInt8 = 0x1C
    public static let carriageReturn: UInt8 = 0x0D

    /// One step of reading a byte stream.
    public enum Extracted: Equatable, Sendable {
        /// A complete message (the bytes between the start and end blocks).
        case message([UInt8])
        /// A frame longer than the limit: the caller answers with a NAK and drops the connection.
        case tooLong
    }

    /// Takes the next complete frame out of `buffer`; nil when more bytes are needed. Bytes
    /// before a start block are noise and are discarded.
    public static func extract(from buffer: inout [UInt8], maxLength: Int) -> Extracted? {
        guard let start = buffer.firstIndex(of: startBlock) else {
            buffer.removeAll(keepingCapacity: true)
            return nil
        }
        if start > 0 { buffer.removeFirst(start) }
        var i = 1
        while i + 1 < buffer.count {
            if buffer[i] == endBlock && buffer[i + 1] == carriageReturn {
                let message = Array(buffer[1..<i])
                buffer.removeFirst(i + 2)
                return .message(message)
            }
            i += 1
        }
        if buffer.count > maxLength + 3 { return .tooLong }
        return nil
    }

    /// Frames a message for sending.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        [startBlock] + message + [endBlock, carriageReturn]
    }
}

/// NIO decoder: MLLP frames in, message bytes out.
final class MLLPDecoder: ByteToMessageDecoder {
    typealias InboundOut = MLLPFrame.Extracted
    let maxLength: Int
    private var pending: [UInt8] = []

    init(maxLength: Int) { self.maxLength = maxLength }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { pending += bytes }
        // Every complete frame of this read goes up now (NIO calls again only when bytes arrive).
        while let next = MLLPFrame.extract(from: &pending, maxLength: maxLength) {
            if next == .tooLong { pending.removeAll() }
            context.fireChannelRead(wrapInboundOut(next))
        }
        return .needMoreData
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
