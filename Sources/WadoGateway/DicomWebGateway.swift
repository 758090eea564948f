// WadoGateway: the node's HTTP face — DICOMweb (PS3.18: QIDO-RS §10.6, WADO-RS §10.4, STOW-RS
// §10.5, WADO-URI chapter 9) and the node's own REST API — on Hummingbird 2, served from the
// same archive and index as the DIMSE services.
import DicomArchive
import DicomCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// What the gateway is told by the node's configuration.
public struct GatewaySettings: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    /// Where the DICOMweb resources live: `/dicom-web/studies`… ("" serves them at the root).
    public var basePath = "/dicom-web"
    /// Origins allowed to read responses from a browser (CORS); "*" allows any.
    public var allowedOrigins: [String] = ["*"]
    /// The URL clients reach the node at (e.g. behind a reverse proxy): used in RetrieveURL and
    /// BulkDataURI values. nil: taken from each request's Host header.
    public var publicBaseURL: String?
    /// Our AE title (Retrieve AE Title in QIDO-RS results).
    public var aeTitle = "DICOMNODE"
    /// PS3.4 §C.2.2.2.1: PN matching ignores case.
    public var personNameCaseInsensitive = true
    /// QIDO-RS: a `limit` above this is lowered to it; with no `limit`, at most this many results.
    public var maxResults = 1000
    /// Prometheus text exposition of the node's metrics (GET /metrics); nil: no endpoint.
    public var metricsText: (@Sendable () -> String)?
    /// Worklist store for the REST worklist endpoints; nil: those endpoints answer 404.
    public var worklist: (any WorklistStore)?

    public init() {}

    /// The base path normalized: "" or "/x/y" (no trailing slash).
    var normalizedBasePath: String {
        var p = basePath
        while p.hasSuffix("/") { p.removeLast() }
        if !p.isEmpty && !p.hasPrefix("/") { p = "/" + p }
        return p
    }
}

/// The HTTP gateway: routes, middleware and the Hummingbird application.
public struct DicomWebGateway: Sendable {
    public let archive: Archive
    public let settings: GatewaySettings
    let logger: Logger
    let metadataCache = MetadataCache()
    /// The secret new UIDs of de-identified objects derive from (WADO-URI anonymize=yes).
    let deidentificationKey = DeidentificationKey()

    public init(archive: Archive, settings: GatewaySettings, logger: Logger = Logger(label: "dicomnode.http")) {
        self.archive = archive
        self.settings = settings
        self.logger = logger
    }

    /// The router with every route; tests drive it without a socket.
    public func makeRouter() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: CORSPolicy(allowedOrigins: settings.allowedOrigins))
        OperationsRoutes(gateway: self).add(to: router)
        let web = router.group(RouterPath(settings.normalizedBasePath))
        QIDORoutes(gateway: self).add(to: web)
        let retrieve = RetrieveRoutes(gateway: self)
        retrieve.add(to: web)
        RenderedRoutes(retrieve: retrieve).add(to: web)
        STOWRoutes(gateway: self).add(to: web)
        WADOURIRoutes(gateway: self).add(to: router, base: settings.normalizedBasePath)
        return router
    }

    /// The application to run (a swift-service-lifecycle `Service`). `onRunning` is given the
    /// port actually bound (useful with port 0).
    public func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "dicomnode"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    // MARK: - Shared by the routes

    /// Whether an instance holds an image to render (it has Rows in the index: the image pixel module).
    func isImageClass(_ instance: IndexedInstance) -> Bool {
        // PS3.18 §9.1.2.4.1 decides the default content type by whether the object is an image;
        // the index keeps Rows for every image, so a cheap look-up would do; until then the SOP
        // class names it: every Image Storage class of PS3.4 Table B.5-1 has "Image" in its name.
        (UIDRegistry.name(for: instance.sopClassUID) ?? "").contains("Image")
    }

    /// The absolute URL of the DICOMweb root for this request: the configured public base URL,
    /// else scheme and Host of the request (PS3.18 §8.2: RetrieveURL and BulkDataURI are absolute).
    func serviceRoot(for request: Request) -> String {
        if let base = settings.publicBaseURL, !base.isEmpty {
            var b = base
            while b.hasSuffix("/") { b.removeLast() }
            return b + settings.normalizedBasePath
        }
        var host = request.head.authority ?? "localhost"
        if !host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]_".contains($0)) }) { host = "localhost" }
        // A Host without a port (dicomweb-client sends one) means port 80 to a client; when we
        // listen elsewhere and no proxy is configured, our port is what reaches us.
        let hasPort = host.hasPrefix("[") ? host.contains("]:") : host.contains(":")
        if !hasPort && settings.port != 80 { host += ":\(settings.port)" }
        return "http://\(host)\(settings.normalizedBasePath)"
    }
}

/// PS3.5 §9.1: a UID is 1–64 characters, digits in components separated by ".", no component
/// empty, no leading zero in a component of more than one digit. Anything else in a path
/// segment (including "..", "%2e%2e", "/etc/passwd") is a 400, never a file name.
func validUID(_ text: some StringProtocol, _ what: String) throws(DicomWebError) -> String {
    let s = String(text)
    guard !s.isEmpty, s.utf8.count <= 64 else { throw .badRequest("\(what) is not a valid UID: wrong length") }
    for component in s.split(separator: ".", omittingEmptySubsequences: false) {
        guard !component.isEmpty, component.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              component.count == 1 || component.first != "0" else {
            throw .badRequest("\(what) \"\(s.prefix(64))\" is not a valid UID (PS3.5 §9.1)")
        }
    }
    return s
}

extension Parameters {
    /// A UID path parameter, checked.
    func uid(_ name: String, _ what: String) throws(DicomWebError) -> String {
        guard let raw = get(name) else { throw .badRequest("missing \(what)") }
        return try validUID(raw, what)
    }
}
