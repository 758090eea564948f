// PS3.18 §10.6 QIDO-RS: /studies, /series, /instances and their nested forms, answered from the
// index with the matching engine C-FIND uses. Results are DICOM JSON (PS3.18 §F.2), or
// multipart/related of Native DICOM Model XML (§F.3) when asked for.
import DicomArchive
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

struct QIDORoutes: Sendable {
    let gateway: DicomWebGateway

    func add(to router: RouterGroup<GatewayRequestContext>) {
        router.get("studies") { request, context in
            try await search(request, context, level: .study, study: nil, series: nil)
        }
        router.get("series") { request, context in
            try await search(request, context, level: .series, study: nil, series: nil)
        }
        router.get("instances") { request, context in
            try await search(request, context, level: .image, study: nil, series: nil)
        }
        router.get("studies/:study/series") { request, context in
            try await search(request, context, level: .series, study: context.parameters.uid("study", "Study Instance UID"), series: nil)
        }
        router.get("studies/:study/instances") { request, context in
            try await search(request, context, level: .image, study: context.parameters.uid("study", "Study Instance UID"), series: nil)
        }
        router.get("studies/:study/series/:series/instances") { request, context in
            try await search(request, context, level: .image, study: context.parameters.uid("study", "Study Instance UID"),
                             series: context.parameters.uid("series", "Series Instance UID"))
        }
    }

    func search(_ request: Request, _ context: GatewayRequestContext, level: QueryLevel, study: String?, series: String?)
        async throws -> Response {
        let parameters = Array(request.uri.queryParameters)
        var qido = try QIDORequest(level: level, study: study, series: series, parameters: parameters,
                                   personNameCaseInsensitive: gateway.settings.personNameCaseInsensitive,
                                   maxResults: gateway.settings.maxResults)
        qido.xml = try Self.wantsXML(request)
        let root = gateway.serviceRoot(for: request)
        let results = Mutex<[DataSet]>([])
        let summary: FindSummary
        do {
            summary = try await gateway.archive.index.find(qido.query, pageSize: 256) { [qido] matches in
                let sets = matches.map { Self.result(for: $0, qido, root: root, aeTitle: gateway.settings.aeTitle) }
                results.withLock { $0 += sets }
                return true
            }
        } catch {
            throw DicomWebError.archive(error)
        }
        let sets = results.withLock { $0 }
        var headers = HTTPFields()
        var warnings = qido.warnings
        let remaining = summary.matched - qido.query.offset - sets.count
        if remaining > 0 {
            // PS3.18 §8.3.4.4: a response cut by limit says so in a Warning header.
            warnings.append("there are \(remaining) additional results that match the query")
        }
        if !warnings.isEmpty {
            headers[.warning] = warnings.map { "299 dicomnode \"\($0.replacingOccurrences(of: "\"", with: "'"))\"" }.joined(separator: ", ")
        }
        // PS3.18 §10.6.3.2: no match → 204 No Content.
        guard !sets.isEmpty else { return Response(status: .noContent, headers: headers) }
        if qido.xml {
            let boundary = Multipart.newBoundary()
            headers[.contentType] = "multipart/related; type=\"application/dicom+xml\"; boundary=\(boundary)"
            var body = ByteBuffer()
            for set in sets {
                let xml = try set.nativeDicomModelXML()
                body.writeString(Multipart.partHeader(boundary: boundary, contentType: "application/dicom+xml; charset=utf-8"))
                body.writeBytes(xml)
                body.writeString("\r\n")
            }
            body.writeString(Multipart.closing(boundary: boundary))
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        headers[.contentType] = "application/dicom+json"
        return Compression.response(try DicomJSONEncoder().encode(sets), request: request, headers: headers)
    }

    /// PS3.18 §10.6.3.1: JSON unless the client asks for multipart/related XML only.
    static func wantsXML(_ request: Request) throws(DicomWebError) -> Bool {
        let accept = request.uri.queryParameters["accept"].map(String.init) ?? request.headers[.accept]
        for range in try MediaRange.parseAccept(accept) where range.quality > 0 {
            if range.matches("application/dicom+json") || range.matches("application/json") { return false }
            if range.type == "multipart/related", range.partType == "application/dicom+xml" { return true }
        }
        throw .notAcceptable("QIDO-RS answers application/dicom+json or multipart/related; type=\"application/dicom+xml\"")
    }

    /// One result: the requested keys, Retrieve URL and Instance Availability (PS3.18 Table 10.6.3-3).
    static func result(for match: QueryMatch, _ qido: QIDORequest, root: String, aeTitle: String) -> DataSet {
        var ds = DataSet()
        ds.characterSet = SpecificCharacterSet(terms: ["ISO_IR 192"])
        for key in qido.returnKeys {
            // UTF-8 holds every value the index has; a value that still fails is left empty.
            do { try match.put(key, into: &ds) } catch { ds[key.tag] = DataElement(tag: key.tag, vr: key.vr, value: .bytes([])) }
        }
        if qido.includeAvailability { try? ds.set(Tag(0x0008, 0x0056), string: "ONLINE", vr: .CS) }
        if qido.includeRetrieveAETitle { try? ds.set(Tag(0x0008, 0x0054), string: aeTitle, vr: .AE) }
        if qido.includeRetrieveURL, let study = match.values[QueryKey.studyInstanceUID] {
            var url = "\(root)/studies/\(study)"
            if qido.query.level >= .series, let series = match.values[QueryKey.seriesInstanceUID] {
                url += "/series/\(series)"
                if qido.query.level == .image, let sop = match.values[QueryKey.sopInstanceUID] {
                    url += "/instances/\(sop)"
                }
            }
            try? ds.set(Tag(0x0008, 0x1190), string: url, vr: .UR)
        }
        return ds
    }
}
