// PS3.18 §10.4 WADO-RS: study, series and instance resources as multipart/related of
// application/dicom (streamed file by file) and their metadata (DICOM JSON with BulkDataURIs);
// frames and bulk data are in RetrieveRoutes+Frames and RetrieveRoutes+BulkData.
import DicomArchive
import Foundation
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore

struct RetrieveRoutes: Sendable {
    let gateway: DicomWebGateway
    var archive: Archive { gateway.archive }

    func add(to router: RouterGroup<GatewayRequestContext>) {
        router.get("studies/:study") { request, context in
            try await retrieve(request, try scope(context, series: false, instance: false), channel: context.channel)
        }
        router.get("studies/:study/series/:series") { request, context in
            try await retrieve(request, try scope(context, series: true, instance: false), channel: context.channel)
        }
        router.get("studies/:study/series/:series/instances/:instance") { request, context in
            try await retrieve(request, try scope(context, series: true, instance: true), channel: context.channel)
        }
        router.get("studies/:study/metadata") { request, context in
            try await metadata(request, try scope(context, series: false, instance: false))
        }
        router.get("studies/:study/series/:series/metadata") { request, context in
            try await seriesMetadata(request, try scope(context, series: true, instance: false))
        }
        router.get("studies/:study/series/:series/instances/:instance/metadata") { request, context in
            try await metadata(request, try scope(context, series: true, instance: true))
        }
        router.get("studies/:study/series/:series/instances/:instance/frames/:frames") { request, context in
            try await frames(request, try scope(context, series: true, instance: true), list: context.parameters.get("frames") ?? "",
                             channel: context.channel)
        }
        router.get("studies/:study/series/:series/instances/:instance/bulkdata/**") { request, context in
            try await bulkData(request, try scope(context, series: true, instance: true),
                               path: context.parameters.getCatchAll().map(String.init))
        }
    }

    /// The UIDs of a resource path.
    struct Scope: Sendable {
        var study: String
        var series: String?
        var instance: String?
    }

    func scope(_ context: GatewayRequestContext, series: Bool, instance: Bool) throws(DicomWebError) -> Scope {
        Scope(study: try context.parameters.uid("study", "Study Instance UID"),
              series: series ? try context.parameters.uid("series", "Series Instance UID") : nil,
              instance: instance ? try context.parameters.uid("instance", "SOP Instance UID") : nil)
    }

    /// The stored instances of a resource, in the order they were indexed; 404 when none.
    func instances(_ scope: Scope) async throws(DicomWebError) -> [IndexedInstance] {
        var conditions: [QueryKey: MatchCondition] = [QueryKey.studyInstanceUID: .single(scope.study)]
        if let s = scope.series { conditions[QueryKey.seriesInstanceUID] = .single(s) }
        if let i = scope.instance { conditions[QueryKey.sopInstanceUID] = .single(i) }
        let query = IndexQuery(level: .image, conditions: conditions, returnKeys: [QueryKey.sopInstanceUID])
        let found = Collected<IndexedInstance>()
        do {
            _ = try await archive.index.find(query, pageSize: 512) { matches in
                found.append(matches.compactMap(\.stored))
                return true
            }
        } catch {
            throw DicomWebError.archive(error)
        }
        let list = found.values
        if list.isEmpty {
            let what = scope.instance.map { "instance \($0)" } ?? scope.series.map { "series \($0)" } ?? "study \(scope.study)"
            throw .notFound("no \(what) in this archive")
        }
        return list
    }

    /// The one instance a resource names, by its unique key (one indexed look-up); 404 unless it
    /// is in the named series and study.
    func instance(_ scope: Scope) async throws(DicomWebError) -> IndexedInstance {
        guard let uid = scope.instance else {
            guard let first = try await instances(scope).first else { throw .notFound("no instance in this series") }
            return first
        }
        let found: IndexedInstance?
        do { found = try await archive.index.instance(sopInstanceUID: uid) } catch { throw DicomWebError.archive(error) }
        guard let found, Self.contains(scope, found) else { throw Self.notInScope(uid, scope) }
        return found
    }

    /// The instance of `scope` and its header (`ObjectReader.dataSet`). A request for a frame
    /// needs both: with an index that answers on the calling thread, the lookup and the read are
    /// one trip to a blocking thread instead of a hop through the index's queue and another.
    func instanceAndHeader(_ scope: Scope) async throws(DicomWebError) -> (IndexedInstance, DicomFile) {
        guard let uid = scope.instance, let index = archive.index as? any SynchronousArchiveIndex else {
            let instance = try await instance(scope)
            return (instance, try await ObjectReader.dataSet(instance, in: archive))
        }
        let archive = self.archive
        // A viewer asks for the frames of instances whose metadata it has just read: the index's
        // answer and the header are then at hand, good while no instance was replaced or dropped
        // and the file is the same (HeaderCache), and no blocking thread is needed.
        let removals = archive.removals
        if let hit = ObjectReader.headers.instance(uid, removals: removals, path: { archive.store.localPath($0) }) {
            guard Self.contains(scope, hit.0) else { throw Self.notInScope(uid, scope) }
            return hit
        }
        let found: (IndexedInstance, DicomFile)?
        do {
            found = try await BlockingIO.run { () throws(ArchiveError) -> (IndexedInstance, DicomFile)? in
                guard let instance = try index.instanceBlocking(sopInstanceUID: uid), Self.contains(scope, instance) else { return nil }
                return (instance, try ObjectReader.header(instance, in: archive, removals: removals))
            }
        } catch {
            throw DicomWebError.archive(error)
        }
        guard let found else { throw Self.notInScope(uid, scope) }
        return found
    }

    static func contains(_ scope: Scope, _ instance: IndexedInstance) -> Bool {
        instance.studyInstanceUID == scope.study && (scope.series == nil || instance.seriesInstanceUID == scope.series)
    }

    static func notInScope(_ uid: String, _ scope: Scope) -> DicomWebError {
        .notFound("no instance \(uid) in series \(scope.series ?? "-") of study \(scope.study)")
    }

    // MARK: - Instances

    /// - Parameter channel: the connection, when the response may send stored files with
    ///   sendfile (FileRegionWriter); nil: every part goes through Hummingbird's body writer.
    func retrieve(_ request: Request, _ scope: Scope, channel: (any Channel)? = nil) async throws -> Response {
        let ranges = try MediaRange.parseAccept(acceptValue(request))
        let list = try await instances(scope)
        // Decide every instance's syntax before the first byte: a 406 cannot follow a 200.
        var planned: [(IndexedInstance, String)] = []
        for instance in list {
            guard let syntax = TransferSyntaxNegotiation.syntax(for: instance.transferSyntaxUID, ranges: ranges) else {
                throw DicomWebError.notAcceptable(
                    "instance \(instance.sopInstanceUID) is stored as \(instance.transferSyntaxUID) and cannot be sent in any "
                    + "syntax the Accept header allows (PS3.18 §8.7.3.5); ask for transfer-syntax=*")
            }
            // Into a compressed syntax: the encoder must take this image (bit depth, colour).
            if syntax != instance.transferSyntaxUID, TransferSyntax(uid: syntax).isEncapsulated {
                let header = try await ObjectReader.dataSet(instance, in: archive)
                let descriptor = try? FrameDescriptor(header.dataSet)
                if header.dataSet[.pixelData] != nil, descriptor.flatMap({ CodecRegistry.encoder(for: syntax, $0) }) == nil {
                    throw DicomWebError.notAcceptable("instance \(instance.sopInstanceUID) cannot be encoded as \(syntax) "
                                                      + "(no encoder for its bit depth or colour); ask for transfer-syntax=*")
                }
            }
            planned.append((instance, syntax))
        }
        let boundary = Multipart.newBoundary()
        var headers = HTTPFields()
        headers[.contentType] = "multipart/related; type=\"application/dicom\"; boundary=\(boundary)"
        let archive = self.archive
        let plan = planned
        let logger = gateway.logger
        let sendfile = request.method == .get ? channel : nil
        // Every part as stored: the body's length is known before the first byte (the index
        // holds each file's size), so it goes out with a Content-Length rather than chunked
        // (RFC 9112 §6.3): a client reads it without chunk framing and can show progress. A file
        // whose size is not the indexed one is not sent (FileRegionWriter, ObjectReader).
        var contentLength: Int?
        if plan.allSatisfy({ $0.1 == $0.0.transferSyntaxUID }) {
            contentLength = plan.reduce(Multipart.closing(boundary: boundary).utf8.count) { sum, item in
                sum + Multipart.partHeader(boundary: boundary, contentType: "application/dicom; transfer-syntax=\(item.1)").utf8.count
                    + item.0.fileSize + 2
            }
        }
        let body = ResponseBody(contentLength: contentLength) { writer in
            // Parts as stored go out with sendfile where the connection allows it (plain HTTP/1):
            // a run of them is one trip to the event loop, at most FileRegionWriter.window queued.
            let direct = if let sendfile { await FileRegionWriter.connection(sendfile) } else { nil as FileRegionWriter? }
            var run: [(part: FileRegionWriter.Part, instance: IndexedInstance)] = []
            // The CRLF that ends a part sent by `direct` goes out with whatever follows it.
            var openCRLF = false
            func flushRun() async throws {
                guard let direct, !run.isEmpty else { return }
                do {
                    try await direct.write(run.map(\.part))
                } catch let failure as FileRegionWriter.Failure {
                    if let i = failure.part {
                        logger.error("WADO-RS: instance \(run[i].instance.sopInstanceUID) could not be read: \(failure.underlying)")
                    }
                    throw failure.underlying
                }
                run = []
            }
            for (instance, syntax) in plan {
                if direct != nil, syntax == instance.transferSyntaxUID, let path = archive.store.localPath(instance.objectPath) {
                    let header = Multipart.partHeader(boundary: boundary, contentType: "application/dicom; transfer-syntax=\(syntax)")
                    run.append((FileRegionWriter.Part(header: ByteBuffer(string: (openCRLF ? "\r\n" : "") + header), path: path,
                                                      size: instance.fileSize), instance))
                    openCRLF = true
                    continue
                }
                try await flushRun()
                if openCRLF {
                    try await writer.write(ByteBuffer(string: "\r\n"))
                    openCRLF = false
                }
                // One part at a time: read whole (one blocking trip), then written. Reading the next
                // part ahead was no faster for one client and held 4x the memory with eight.
                let part: ObjectReader.Part
                do {
                    part = try await ObjectReader.part(instance, syntax: syntax, boundary: boundary, in: archive)
                } catch {
                    // The status line is gone: the body ends without its close delimiter, so the
                    // client sees a truncated multipart body; the log says why.
                    logger.error("WADO-RS: instance \(instance.sopInstanceUID) could not be read: \(error)")
                    throw error
                }
                switch part {
                case .whole(let buffer):
                    try await writer.write(buffer)
                case .streamed(let header, let source):
                    try await writer.write(header)
                    try await ObjectReader.copy(source, count: source.length, to: &writer)
                    try await writer.write(ByteBuffer(string: "\r\n"))
                }
            }
            try await flushRun()
            try await writer.write(ByteBuffer(string: (openCRLF ? "\r\n" : "") + Multipart.closing(boundary: boundary)))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: - Metadata

    func metadata(_ request: Request, _ scope: Scope) async throws -> Response {
        try Self.checkMetadataAccept(acceptValue(request))
        let removals = archive.removals
        let list = try await instances(scope)
        let root = gateway.serviceRoot(for: request)
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom+json"
        let archive = self.archive
        if Compression.acceptsGzip(request) {
            // Compressed whole (series metadata is also cached, see seriesMetadata).
            return Compression.response(try await Self.metadataArray(list, root: root, in: archive, removals: removals),
                                        request: request, headers: headers)
        }
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "["))
            for (i, instance) in list.enumerated() {
                let json = try await Self.metadataJSON(instance, root: root, in: archive)
                var buffer = ByteBuffer()
                if i > 0 { buffer.writeString(",") }
                buffer.writeBytes(json)
                try await writer.write(buffer)
            }
            try await writer.write(ByteBuffer(string: "]"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Series metadata from the cache when the series has not changed; an `If-None-Match` naming
    /// the current version gets 304 (RFC 9110 §13.1.2). A malformed If-None-Match is just no match.
    func seriesMetadata(_ request: Request, _ scope: Scope) async throws -> Response {
        try Self.checkMetadataAccept(acceptValue(request))
        guard let series = scope.series else { return try await metadata(request, scope) }
        let version: String?
        do { version = try await archive.index.seriesVersion(seriesInstanceUID: series) } catch { throw DicomWebError.archive(error) }
        guard let version else { throw DicomWebError.notFound("no series \(series) in this archive") }
        let etag = "\"\(version)\""
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.cacheControl] = "no-cache"          // revalidate: cheap, and always current
        headers[.vary] = "Accept-Encoding"
        if let inm = request.headers[.ifNoneMatch],
           inm.split(separator: ",").contains(where: { $0.trimmedOWS == etag || $0.trimmedOWS == "W/" + etag }) {
            return Response(status: .notModified, headers: headers)
        }
        let root = gateway.serviceRoot(for: request)
        let key = root + "|" + series
        let entry: MetadataCache.Entry
        if let hit = gateway.metadataCache.entry(key, version: version) {
            entry = hit
        } else {
            let removals = archive.removals
            let all = try await Self.metadataArray(try await instances(scope), root: root, in: archive, removals: removals)
            entry = MetadataCache.Entry(version: version, study: scope.study, json: all, gzip: Deflate.gzip(all))
            gateway.metadataCache.store(key, entry)
        }
        guard entry.study == scope.study else { throw DicomWebError.notFound("series \(series) is not in study \(scope.study)") }
        headers[.contentType] = "application/dicom+json"
        if Compression.acceptsGzip(request) {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: entry.gzip)))
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: entry.json)))
    }

    /// PS3.18 §10.4.1.2: metadata is served as DICOM JSON; 406 for an Accept that excludes it.
    static func checkMetadataAccept(_ accept: String?) throws(DicomWebError) {
        let ranges = try MediaRange.parseAccept(accept)
        guard ranges.contains(where: { $0.quality > 0 && ($0.matches("application/dicom+json") || $0.matches("application/json")) }) else {
            throw DicomWebError.notAcceptable("metadata is served as application/dicom+json")
        }
    }

    /// The JSON array of the instances' metadata, whole. Read and encoded in runs of
    /// `metadataRun` instances on blocking threads, as many runs at once as there are cores: the
    /// first request for a series (a viewer opening a study) waits for all of it.
    /// - Parameter removals: `archive.removals` read before the index listed `list` (the answers
    ///   are then kept with the headers, for the frame requests that follow).
    static func metadataArray(_ list: [IndexedInstance], root: String, in archive: Archive, removals: UInt64? = nil) async throws -> [UInt8] {
        let runs = stride(from: 0, to: list.count, by: metadataRun).map { Array(list[$0..<min($0 + metadataRun, list.count)]) }
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var encoded = [[UInt8]](repeating: [], count: runs.count)
        try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var next = 0
            func start() {
                let i = next
                next += 1
                group.addTask { (i, try await metadataRun(runs[i], root: root, in: archive, removals: removals)) }
            }
            while next < min(width, runs.count) { start() }
            while let (i, bytes) = try await group.next() {
                encoded[i] = bytes
                if next < runs.count { start() }
            }
        }
        var all: [UInt8] = [UInt8(ascii: "[")]
        all.reserveCapacity(encoded.reduce(2) { $0 + $1.count })
        for (i, run) in encoded.enumerated() {
            if i > 0 && !run.isEmpty { all.append(UInt8(ascii: ",")) }
            all += run
        }
        all.append(UInt8(ascii: "]"))
        return all
    }

    static let metadataRun = 16

    /// Instances' metadata joined by commas, read and encoded on one blocking thread.
    static func metadataRun(_ run: [IndexedInstance], root: String, in archive: Archive, removals: UInt64? = nil)
        async throws(DicomWebError) -> [UInt8] {
        let result: Result<[UInt8], DicomWebError>
        do {
            result = try await BlockingIO.run { () throws(ArchiveError) -> Result<[UInt8], DicomWebError> in
                var out: [UInt8] = []
                for (i, instance) in run.enumerated() {
                    let file = try ObjectReader.header(instance, in: archive, removals: removals)
                    do throws(DicomWebError) {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        out += try metadataJSON(instance, file, root: root)
                    } catch {
                        return .failure(error)
                    }
                }
                return .success(out)
            }
        } catch {
            throw DicomWebError.archive(error)
        }
        return try result.get()
    }

    /// PS3.18 §10.4.1.2 / Annex F.2: an instance's attributes without File Meta, values larger than
    /// 1 KiB and Pixel Data as BulkDataURIs of this node.
    static func metadataJSON(_ instance: IndexedInstance, root: String, in archive: Archive) async throws -> [UInt8] {
        try metadataJSON(instance, try await ObjectReader.dataSet(instance, in: archive), root: root)
    }

    static func metadataJSON(_ instance: IndexedInstance, _ file: DicomFile, root: String) throws(DicomWebError) -> [UInt8] {
        let base = "\(root)/studies/\(instance.studyInstanceUID)/series/\(instance.seriesInstanceUID)/instances/\(instance.sopInstanceUID)"
        let encoder = DicomJSONEncoder(bulkDataThreshold: 1024, bulkDataURI: { path, element in
            if path.sequence.isEmpty, path.tag == .pixelData {
                // A video's frames are one stream (PS3.5 §8.2.5–8.2.7): its bulk data, not frames.
                if VideoStream.mediaTypes(ofSyntax: instance.transferSyntaxUID) != nil { return base + "/bulkdata/7FE00010" }
                return base + "/frames/1" + Self.frameListSuffix(file.dataSet)
            }
            return base + "/bulkdata/" + path.sequence.map { "\($0.tag.jsonKey)/\($0.item)/" }.joined() + path.tag.jsonKey
        })
        do {
            return try encoder.encode(file.dataSet)
        } catch {
            throw DicomWebError(.internalServerError, "instance \(instance.sopInstanceUID): \(error)")
        }
    }

    /// Pixel Data's BulkDataURI names every frame ("/frames/1,2,…") when there are several.
    static func frameListSuffix(_ ds: DataSet) -> String {
        let n = ds.int(.numberOfFrames) ?? 1
        guard n > 1 else { return "" }
        return (2...n).map { ",\($0)" }.joined()
    }

    /// PS3.18 §8.3.3.1: an `accept` query parameter takes the place of the Accept header.
    func acceptValue(_ request: Request) -> String? {
        request.uri.queryParameters["accept"].map(String.init) ?? request.headers[.accept]
    }
}

import Synchronization

/// Values gathered from the index's page callbacks.
final class Collected<T: Sendable>: Sendable {
    private let storage = Mutex<[T]>([])
    func append(_ values: [T]) { storage.withLock { $0 += values } }
    var values: [T] { storage.withLock { $0 } }
}
