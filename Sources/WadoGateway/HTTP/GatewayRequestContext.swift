// The request context of every gateway route: Hummingbird's basic context plus the connection's
// channel, which the WADO-RS retrieve needs to send stored files with sendfile (FileRegionWriter).
import Hummingbird
import NIOCore

public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on: the HTTP/1 child channel when the application serves
    /// it, a test channel when tests call the router directly.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
