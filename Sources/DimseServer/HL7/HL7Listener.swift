// The HL7 v2 order interface: MLLP over TCP (HL7 v2.5 Appendix C), ORM^O01 messages applied to
// the worklist, each answered with an original-mode ACK (§2.9.2). A message that cannot be
// read gets an AR acknowledgement, never a dropped connection or a crash.
import DicomArchive
import DicomCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Applies HL7 messages to the worklist and builds the acknowledgement; no sockets here.
public struct HL7OrderProcessor: Sendable {
    public let store: any WorklistStore
    let logger: Logger
    /// Our MSH-3 when the message gives no receiving application.
    public var applicationName = "DICOMNODE"

    public init(store: any WorklistStore, logger: Logger = Logger(label: "dicomnode.hl7")) {
        self.store = store
        self.logger = logger
    }

    /// The ACK (unframed) for one received message.
    public func process(_ bytes: [UInt8]) async -> String {
        let stamp = Self.timestamp()
        let controlID = "ACK" + String(GeneratedUID.make().suffix(12))
        let message: HL7Message
        do {
            message = try HL7Message.parse(bytes)
        } catch {
            logger.notice("HL7 message rejected: \(error.reason)")
            return HL7Message.acknowledgement(to: nil, code: .reject, text: error.reason, timestamp: stamp, controlID: controlID)
        }
        let actions: [HL7OrderAction]
        do {
            actions = try HL7OrderMapper.actions(for: message)
        } catch {
            logger.notice("HL7 message \(message.controlID) not applied: \(error.reason)")
            return HL7Message.acknowledgement(to: message, code: error.code, text: error.reason, timestamp: stamp, controlID: controlID)
        }
        var notes: [String] = []
        do {
            for action in actions {
                switch action {
                case .add(let item):
                    try await store.add(item)
                case .setStatus(let status, let key):
                    let n = try await store.setStatus(status, where: key)
                    if n == 0 {
                        return HL7Message.acknowledgement(to: message, code: .error, text: "no worklist entry for this order",
                                                          timestamp: stamp, controlID: controlID)
                    }
                    notes.append("\(n) entr\(n == 1 ? "y" : "ies") \(status.rawValue)")
                }
            }
        } catch {
            logger.error("HL7 message \(message.controlID): worklist store error: \(error)")
            return HL7Message.acknowledgement(to: message, code: .error, text: "worklist store error",
                                              timestamp: stamp, controlID: controlID)
        }
        logger.info("HL7 \(message.messageType.type)^\(message.messageType.event) \(message.controlID) applied")
        return HL7Message.acknowledgement(to: message, code: .accept, text: notes.isEmpty ? nil : notes.joined(separator: "; "),
                                          timestamp: stamp, controlID: controlID)
    }

    static func timestamp() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMddHHmmss"
        return f.string(from: Date())
    }
}

/// The MLLP server: one HL7ConnectionHandler per connection.
public final class HL7Listener: Sendable {
    public let processor: HL7OrderProcessor
    /// Longest message accepted (a frame beyond it gets an AR and the connection is closed).
    public let maxMessageLength: Int
    private let group: any EventLoopGroup
    private let serverChannel = Mutex<(any Channel)?>(nil)

    public init(processor: HL7OrderProcessor, group: any EventLoopGroup, maxMessageLength: Int = 1 << 20) {
        self.processor = processor
        self.group = group
        self.maxMessageLength = maxMessageLength
    }

    /// Binds and starts accepting. - Returns: the port bound.
    @discardableResult
    public func start(host: String, port: Int) async throws -> Int {
        let processor = self.processor
        let maxLength = maxMessageLength
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ops = channel.pipeline.syncOperations
                    try ops.addHandler(ByteToMessageHandler(MLLPDecoder(maxLength: maxLength)))
                    try ops.addHandler(HL7ConnectionHandler(processor: processor))
                }
            }
            .bind(host: host, port: port)
            .get()
        serverChannel.withLock { $0 = channel }
        return channel.localAddress?.port ?? port
    }

    public func shutdown() async {
        let server = serverChannel.withLock { c -> (any Channel)? in defer { c = nil }; return c }
        try? await server?.close()
    }
}

/// Handles one connection: messages are applied one at a time, in order, each ACK framed.
final class HL7ConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = MLLPFrame.Extracted
    typealias OutboundOut = ByteBuffer

    let processor: HL7OrderProcessor
    private let queue: AsyncStream<MLLPFrame.Extracted>.Continuation
    private let stream: AsyncStream<MLLPFrame.Extracted>

    init(processor: HL7OrderProcessor) {
        self.processor = processor
        (stream, queue) = AsyncStream.makeStream(of: MLLPFrame.Extracted.self)
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let stream = self.stream
        let processor = self.processor
        Task {
            for await frame in stream {
                let ack: String
                var close = false
                switch frame {
                case .message(let bytes):
                    ack = await processor.process(bytes)
                case .tooLong:
                    ack = HL7Message.acknowledgement(to: nil, code: .reject, text: "message longer than the limit",
                                                     timestamp: HL7OrderProcessor.timestamp(), controlID: "ACK")
                    close = true
                }
                let framed = MLLPFrame.frame(Array(ack.utf8))
                var buffer = channel.allocator.buffer(capacity: framed.count)
                buffer.writeBytes(framed)
                try? await channel.writeAndFlush(buffer)
                if close { try? await channel.close(); break }
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        queue.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        queue.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
