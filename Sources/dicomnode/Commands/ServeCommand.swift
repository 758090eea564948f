import ArgumentParser
import DicomArchive
import DimseServer
import Dispatch
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import WadoGateway

/// `dicomnode serve`: the daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the node: the DIMSE services and the DICOMweb gateway in front of the archive.",
        discussion: """
        With no options it runs on embedded defaults: AE title DICOMNODE, DIMSE port 11112, HTTP port 8080 (DICOMweb under /dicom-web), data under \
        ./dicomnode-data. A YAML file (--config) sets every key of docs/reference/configuration.md; \
        the flags below override the file. SIGTERM or SIGINT stops accepting and lets running \
        associations finish (shutdown_timeout_seconds).
        """
    )

    @Option(name: .customLong("config"), help: "YAML configuration file.")
    var configPath: String?

    @Option(name: .customLong("aet"), help: "Our AE title (ae_title).")
    var aeTitle: String?

    @Option(name: .customLong("port"), help: "DIMSE port (dimse.port).")
    var port: Int?

    @Option(name: .customLong("http-port"), help: "HTTP port (http.port), used by the DICOMweb gateway.")
    var httpPort: Int?

    @Option(name: .customLong("data"), help: "Data directory (storage.data_directory).")
    var dataDirectory: String?

    @Option(name: .customLong("remote"), help: "A known remote AE, AE@host:port (repeatable; adds to remote_aes).")
    var remotes: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (logging.level).")
    var logLevel: String?

    /// The configuration: defaults, then the file, then the flags.
    func resolvedConfiguration() throws -> NodeConfiguration {
        var config = NodeConfiguration()
        if let configPath {
            config = try NodeConfiguration.load(path: configPath)
        }
        if let aeTitle { config.aeTitle = aeTitle }
        if let port { config.dimse.port = port }
        if let httpPort { config.http.port = httpPort }
        if let dataDirectory { config.storage.dataDirectory = dataDirectory }
        if let logLevel { config.logging.level = logLevel }
        for r in remotes {
            guard let remote = RemoteAE(parsing: r) else { throw ConfigurationError("--remote \(r): expected AE@host:port") }
            config.remoteAEs.append(.init(aeTitle: remote.aeTitle, host: remote.host, port: remote.port))
        }
        try config.validate(source: "command line")
        return config
    }

    func run() async throws {
        let config: NodeConfiguration
        do { config = try resolvedConfiguration() } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        LogSetup.bootstrap(level: config.logging.level)
        MemorySetup.limitArenas()
        MemorySetup.forServer()
        // swift-metrics → Prometheus text at GET /metrics.
        let metricsRegistry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metricsRegistry))
        var logger = Logger(label: "dicomnode")

        let archive: Archive
        do {
            archive = try Archive(configuration: config.archiveConfiguration)
        } catch {
            logger.critical("cannot open the archive at \(config.storage.dataDirectory): \(error)")
            throw ExitCode(1)
        }

        // After a crash: index object files whose transaction never committed (never acknowledged).
        do {
            _ = try await archive.recoverIfNeeded()
        } catch {
            logger.critical("cannot reconcile the archive after an unclean stop: \(error)")
            throw ExitCode(1)
        }

        // PS3.4 Annexes K and F: the worklist in its own database next to the index.
        var worklist: (any WorklistStore)?
        if config.worklist.enabled {
            do {
                worklist = try SQLiteWorklistStore(dataDirectory: config.storage.dataDirectory)
            } catch {
                logger.critical("cannot open the worklist database: \(error)")
                throw ExitCode(1)
            }
        }

        var policy = AssociationPolicy(aeTitle: config.aeTitle)
        policy.acceptAnyCalledAETitle = config.dimse.acceptAnyCalledAETitle
        policy.allowedCallingAETitles = config.dimse.allowedCallingAETitles.isEmpty ? nil : Set(config.dimse.allowedCallingAETitles)
        policy.maxPDULength = UInt32(config.dimse.maxPDULength)
        policy.maxAssociations = config.dimse.maxAssociations
        policy.maxAssociationsPerCallingAE = config.dimse.maxAssociationsPerCallingAE
        var settings = AssociationSettings(
            policy: policy,
            services: NodeServices.registry(config: config, archive: archive, worklist: worklist),
            logger: Logger(label: "dicomnode.dimse"))
        settings.artimTimeout = .seconds(Int64(config.dimse.artimTimeoutSeconds))
        settings.idleTimeout = .seconds(Int64(config.dimse.idleTimeoutSeconds))

        let listener = DimseListener(settings: settings, group: MultiThreadedEventLoopGroup.singleton)
        let bound: Int
        do {
            bound = try await listener.start(host: config.dimse.host, port: config.dimse.port)
        } catch {
            logger.critical("cannot listen on \(config.dimse.host):\(config.dimse.port): \(error)")
            throw ExitCode(1)
        }
        var hl7: HL7Listener?
        if let worklist, config.worklist.hl7Port > 0 {
            let listener = HL7Listener(processor: HL7OrderProcessor(store: worklist), group: MultiThreadedEventLoopGroup.singleton)
            do {
                let hl7Port = try await listener.start(host: config.worklist.hl7Host, port: config.worklist.hl7Port)
                logger.info("HL7 MLLP listening", metadata: ["hl7": "\(config.worklist.hl7Host):\(hl7Port)"])
            } catch {
                logger.critical("cannot listen for HL7 on \(config.worklist.hl7Host):\(config.worklist.hl7Port): \(error)")
                throw ExitCode(1)
            }
            hl7 = listener
        }
        // PS3.18: the DICOMweb gateway in the same process, on the same archive.
        var http: (group: ServiceGroup, task: Task<Void, any Error>)?
        var httpBound = "off"
        if config.http.enabled {
            var web = GatewaySettings()
            web.host = config.http.host
            web.port = config.http.port
            web.basePath = config.http.basePath
            web.allowedOrigins = config.http.corsAllowedOrigins
            web.publicBaseURL = config.http.publicBaseURL.isEmpty ? nil : config.http.publicBaseURL
            web.aeTitle = config.aeTitle
            web.personNameCaseInsensitive = config.query.personNameCaseInsensitive
            web.maxResults = config.http.maxResults
            web.metricsText = { metricsRegistry.emitToString() }
            web.worklist = worklist
            let started = AsyncStream<Int>.makeStream()
            let app = DicomWebGateway(archive: archive, settings: web).makeApplication { port in
                started.continuation.yield(port)
                started.continuation.finish()
            }
            let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "dicomnode.http")))
            let task = Task {
                defer { started.continuation.finish() }      // a failed bind ends the wait below
                try await group.run()
            }
            var port: Int?
            for await p in started.stream { port = p }
            guard let port else {
                // The server ended before it listened (address in use, …): its error says why.
                let reason: String
                do { try await task.value; reason = "it stopped" } catch { reason = "\(error)" }
                logger.critical("cannot listen for HTTP on \(config.http.host):\(config.http.port): \(reason)")
                throw ExitCode(1)
            }
            httpBound = "\(config.http.host):\(port)"
            http = (group, task)
        }
        logger[metadataKey: "aet"] = "\(config.aeTitle)"
        let instances = (try? await archive.instanceCount()) ?? -1
        logger.info("listening", metadata: ["dimse": "\(config.dimse.host):\(bound)",
                                            "http": "\(httpBound)",
                                            "data": "\(config.storage.dataDirectory)",
                                            "instances": "\(instances)"])

        let signal = await Signals.next([SIGTERM, SIGINT])
        logger.info("signal \(signal == SIGTERM ? "SIGTERM" : "SIGINT"): stopping; associations get \(config.shutdownTimeoutSeconds) s to finish")
        await hl7?.shutdown()
        if let http {
            await http.group.triggerGracefulShutdown()
            _ = try? await http.task.value
        }
        await listener.shutdown(timeout: .seconds(config.shutdownTimeoutSeconds))
        // Stores whose association was closed at the timeout may still be committing.
        _ = await archive.waitUntilIdle(timeout: .seconds(10))
        archive.markClosed()
        logger.info("stopped")
    }
}

/// Waits for one of a set of signals, with the default handlers turned off.
enum Signals {
    static func next(_ signals: [Int32]) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let once = OnceFlag()
            var sources: [any DispatchSourceSignal] = []
            for s in signals {
                Foundation.signal(s, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
                source.setEventHandler {
                    if once.claim() { continuation.resume(returning: s) }
                }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }
}

/// Keeps the signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var kept: [any DispatchSourceSignal] = []
    static func keep(_ sources: [any DispatchSourceSignal]) { kept += sources }
}

import Synchronization
final class OnceFlag: Sendable {
    private let done = Mutex(false)
    func claim() -> Bool { done.withLock { d in defer { d = true }; return !d } }
}

/// swift-log set-up: one line per event on stderr, with the metadata (association id, peer).
enum LogSetup {
    static func bootstrap(level: String) {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }

}

/// glibc malloc gives each thread that allocates its own arena (up to 8 per core). Object buffers
/// are allocated on the archive's 32 reader threads and freed on NIO's event loops, so freed
/// space piles up in arenas no thread reuses: with 8 clients pulling a series at once RSS grew to
/// 700 MiB and stayed (bench/wado.sh). Two arenas let every thread reuse what another freed.
enum MemorySetup {
    static func limitArenas() {
        #if os(Linux)
        _ = glibcMallopt(-8, 2)            // M_ARENA_MAX is -8 in <malloc.h>, which Glibc's module map leaves out
        #endif
    }

    /// For the daemon: frame-sized buffers (a rendered or transcoded frame, a part read whole) up
    /// to 8 MiB come from the heap instead of a fresh mmap each, whose pages fault in afresh
    /// (a rendered 512x512 CT slice spent ~15% of its CPU in those faults); freed heap beyond
    /// 32 MiB per arena still goes back to the kernel, so RSS stays bounded (two arenas).
    static func forServer() {
        #if os(Linux)
        _ = glibcMallopt(-3, 8 << 20)      // M_MMAP_THRESHOLD
        _ = glibcMallopt(-1, 32 << 20)     // M_TRIM_THRESHOLD
        #endif
    }

    /// For one-shot commands that allocate and free frame-sized buffers (transcode): every malloc
    /// above the mmap threshold (128 KiB until glibc raises it) is an mmap whose pages fault in
    /// afresh, and freed heap above the trim threshold goes back to the kernel only to fault in
    /// again. Buffers up to 32 MiB (glibc's ceiling) come from the heap, which keeps what it frees.
    static func forLargeBuffers() {
        #if os(Linux)
        _ = glibcMallopt(-3, 32 << 20)     // M_MMAP_THRESHOLD
        _ = glibcMallopt(-1, 256 << 20)    // M_TRIM_THRESHOLD
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
