// The DIMSE listener: a NIO server channel whose child channels each carry one association.
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Accepts transport connections on a TCP port and runs one AssociationHandler on each.
public final class DimseListener: Sendable {
    public let settings: AssociationSettings
    private let group: any EventLoopGroup
    private let serverChannel = Mutex<(any Channel)?>(nil)
    private let children = Mutex<[ObjectIdentifier: any Channel]>([:])

    public init(settings: AssociationSettings, group: any EventLoopGroup) {
        self.settings = settings
        self.group = group
    }

    /// Binds and starts accepting.
    /// - Returns: the port bound (useful when `port` is 0).
    @discardableResult
    public func start(host: String, port: Int) async throws -> Int {
        let settings = self.settings
        // Association PDUs can be larger than the P-DATA limit we advertise (many presentation
        // contexts, a JWT identity); accept them up to 1 MiB, P-DATA up to the advertised limit.
        let maxPDU = max(settings.policy.maxPDULength, 1 << 20)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Instances arrive in PDUs of up to 256 KiB: read in large pieces (fewer read(2)
            // calls; PDUFramer copies only a PDU that spans two reads).
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 16 * 1024, initial: 256 * 1024,
                                                                                        maximum: 1024 * 1024))
            .childChannelInitializer { [weak self] channel in
                self?.register(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let ops = channel.pipeline.syncOperations
                    try ops.addHandler(PDUFramer(maxLength: maxPDU))
                    try ops.addHandler(MessageToByteHandler(PDUEncoder()))
                    try ops.addHandler(AssociationHandler(settings: settings))
                }
            }
            .bind(host: host, port: port)
            .get()
        serverChannel.withLock { $0 = channel }
        return channel.localAddress?.port ?? port
    }

    private func register(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        children.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.children.withLock { $0.removeValue(forKey: key) }
        }
    }

    /// Open transport connections (associations and connections still negotiating).
    public var openConnections: Int { children.withLock { $0.count } }

    /// Graceful stop: no new connections; running associations get `timeout` to finish, then
    /// are closed (their staged data is dropped, nothing half-stored is indexed).
    public func shutdown(timeout: Duration) async {
        let server = serverChannel.withLock { c -> (any Channel)? in defer { c = nil }; return c }
        try? await server?.close()
        let deadline = ContinuousClock.now + timeout
        while openConnections > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let left = children.withLock { Array($0.values) }
        if !left.isEmpty {
            settings.logger.warning("closing \(left.count) association(s) still open after the shutdown timeout")
        }
        for channel in left {
            try? await channel.close()
        }
    }
}
