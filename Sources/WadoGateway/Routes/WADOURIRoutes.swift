// PS3.18 chapter 9 WADO-URI: GET ?requestType=WADO&studyUID=…&seriesUID=…&objectUID=…
// served at /wado and at {base}/wado.
import DicomArchive
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore

struct WADOURIRoutes: Sendable {
    let gateway: DicomWebGateway

    func add(to router: Router<GatewayRequestContext>, base: String) {
        router.get("wado") { request, _ in try await wado(request) }
        if !base.isEmpty {
            router.get(RouterPath(base + "/wado")) { request, _ in try await wado(request) }
        }
    }

    /// The parameters of PS3.18 §9.1.2 this node reads; any other is a 400.
    static let known: Set<String> = ["requestType", "studyUID", "seriesUID", "objectUID", "contentType", "charset",
                                     "anonymize", "annotation", "rows", "columns", "region", "windowCenter", "windowWidth",
                                     "frameNumber", "imageQuality", "presentationUID", "presentationSeriesUID", "transferSyntax"]

    func wado(_ request: Request) async throws -> Response {
        var p: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let k = String(key)
            guard Self.known.contains(k) else { throw DicomWebError.badRequest("unknown WADO-URI parameter \"\(k.prefix(40))\" (PS3.18 §9.1.2)") }
            guard p[k] == nil else { throw DicomWebError.badRequest("parameter \(k) given twice") }
            p[k] = String(value)
        }
        guard p["requestType"] == "WADO" else { throw DicomWebError.badRequest("requestType must be WADO (PS3.18 §9.1.2.1.1)") }
        guard let studyText = p["studyUID"], let seriesText = p["seriesUID"], let objectText = p["objectUID"] else {
            throw DicomWebError.badRequest("studyUID, seriesUID and objectUID are required (PS3.18 §9.1.2.1)")
        }
        let study = try validUID(studyText, "studyUID")
        let series = try validUID(seriesText, "seriesUID")
        let object = try validUID(objectText, "objectUID")
        let instance: IndexedInstance?
        do { instance = try await gateway.archive.index.instance(sopInstanceUID: object) } catch { throw DicomWebError.archive(error) }
        guard let instance, instance.studyInstanceUID == study, instance.seriesInstanceUID == series else {
            throw DicomWebError.notFound("no object \(object) in series \(series) of study \(study)")
        }
        // PS3.18 §9.1.2.1.5: contentType lists acceptable types; the first we serve wins. Without
        // it an image is image/jpeg, anything else application/dicom (§9.1.2.4.1).
        // PS3.18 §9.4.1 (2024e): the defined token of anonymize is "yes".
        let anonymize = p["anonymize"] != nil
        if let value = p["anonymize"], value != "yes" {
            throw DicomWebError.badRequest("anonymize=\(value.prefix(20)) is not defined; the token is yes (PS3.18 §9.4.1)")
        }
        let isImage = instance.sopClassUID != "" && gateway.isImageClass(instance)
        // A video (MPEG2, MPEG-4 AVC, HEVC) goes out as its stream in its own media type, the
        // default for it (PS3.18 §9.1.2.1.5 lists video/mpeg, video/mp4 and video/H265); it is
        // not rendered as an image.
        let video = try await VideoStream.open(instance, in: gateway.archive)
        let types = (p["contentType"] ?? video?.mediaTypes.first ?? (isImage ? "image/jpeg" : "application/dicom"))
            .split(separator: ",").map { $0.trimmedOWS }
        for type in types {
            let base = type.split(separator: ";").first.map(String.init) ?? type
            let mediaType = base.lowercased()
            if let video {
                if video.mediaTypes.contains(mediaType) {
                    if anonymize { try await refuseBurnedIn(instance) }
                    return video.singlePart(request, contentType: mediaType)
                }
                if mediaType.hasPrefix("image/") { continue }
            }
            switch base {
            case "application/dicom":
                if anonymize {
                    return try await anonymized(instance, transferSyntax: p["transferSyntax"])
                }
                return try await dicom(instance, transferSyntax: p["transferSyntax"])
            case "image/jpeg", "image/png":
                // PS3.18 §9.4 defines anonymize for the application/dicom transaction only (older
                // editions, PS3.18 2013 §8.1.7: "shall only be present if contentType is
                // application/dicom"); rendered pixels carry no attributes. Pixels known to carry
                // burned-in text are still refused: the client asked for an anonymous result.
                if anonymize { try await refuseBurnedIn(instance) }
                return try await image(instance, type: type.hasPrefix("image/png") ? .png : .jpeg, p)
            default:
                continue
            }
        }
        throw DicomWebError.notAcceptable("contentType \(types.joined(separator: ",").prefix(80)) is not served for this object; "
                                          + ((video?.mediaTypes ?? []) + ["application/dicom"]).joined(separator: " or ") + " is")
    }

    /// PS3.18 §9.1.2.4: frameNumber, rows, columns, region, windowCenter/windowWidth, imageQuality.
    func image(_ instance: IndexedInstance, type: RenderedRoutes.Format, _ p: [String: String]) async throws -> Response {
        var options = RenderOptions()
        func number(_ key: String) throws(DicomWebError) -> Double? {
            guard let text = p[key] else { return nil }
            guard let v = Double(text), v.isFinite else { throw .badRequest("\(key)=\(text.prefix(20)) is not a number") }
            return v
        }
        if let c = try number("windowCenter"), let w = try number("windowWidth") {
            guard w > 0 else { throw DicomWebError.badRequest("windowWidth must be positive") }
            options.window = VOIWindow(center: c, width: w)
        } else if p["windowCenter"] != nil || p["windowWidth"] != nil {
            throw DicomWebError.badRequest("windowCenter and windowWidth go together (PS3.18 §9.1.2.4.5)")
        }
        let rows = try number("rows").map(Int.init), columns = try number("columns").map(Int.init)
        if rows != nil || columns != nil {
            guard (rows ?? 1) > 0, (columns ?? 1) > 0 else { throw DicomWebError.badRequest("rows and columns must be positive") }
            options.viewport = Viewport(width: columns, height: rows, enlarges: true)
        }
        if let region = p["region"] {
            guard let r = RenderRegion(parameter: region) else {
                throw DicomWebError.badRequest("region is x1,y1,x2,y2 with 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1 (PS3.18 §9.1.2.4.4)")
            }
            options.region = r
        }
        var quality = 90
        if let q = p["imageQuality"] {
            guard let v = Int(q), (1...100).contains(v) else { throw DicomWebError.badRequest("imageQuality is 1 to 100") }
            quality = v
        }
        var frame = 1
        if let f = p["frameNumber"] {
            guard let v = Int(f), v >= 1 else { throw DicomWebError.badRequest("frameNumber starts at 1") }
            frame = v
        }
        let bytes = try await RenderedRoutes(retrieve: RetrieveRoutes(gateway: gateway))
            .render(instance, frame: frame, options: options, format: type, quality: quality)
        var headers = HTTPFields()
        headers[.contentType] = type.mediaType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The object de-identified with the Basic Application Level Confidentiality Profile
    /// (PS3.15 Annex E; PS3.18 §9.4.1 anonymize), then transcoded when `transferSyntax` names
    /// another syntax than the stored one.
    /// - Throws: 403 when Burned In Annotation is YES (PS3.18 2013 §8.1.7: the server "may return
    ///   an error if it either cannot or refuses to anonymize"; RFC 9110 §15.5.4: understood and
    ///   refused), 406 for a syntax we cannot produce, 500 for an unreadable object.
    func anonymized(_ instance: IndexedInstance, transferSyntax: String?) async throws -> Response {
        let target: String?
        if let wanted = transferSyntax, wanted != instance.transferSyntaxUID {
            let uid = try validUID(wanted, "transferSyntax")
            guard TransferSyntaxNegotiation.canConvert(from: instance.transferSyntaxUID, to: uid) else {
                throw DicomWebError.notAcceptable("the object is stored as \(instance.transferSyntaxUID) and cannot be converted to \(uid)")
            }
            target = uid
        } else {
            target = nil
        }
        let deidentifier = Deidentifier(secret: try gateway.deidentificationKey.secret(root: gateway.archive.configuration.root))
        let archive = gateway.archive
        let result: Result<(bytes: [UInt8], sopInstanceUID: String), DicomWebError>
        do {
            result = try await BlockingIO.run { () throws(ArchiveError) -> Result<(bytes: [UInt8], sopInstanceUID: String), DicomWebError> in
                let source = try archive.store.open(instance.objectPath)
                do {
                    let file = try deidentifier.deidentify(try DicomFile.read(source: source))
                    let newUID = file.dataSet.string(.sopInstanceUID) ?? ""
                    guard let target else { return .success((try file.encoded(), newUID)) }
                    let options = TransferSyntaxNegotiation.lossyOnly.contains(target) ? EncodeOptions(quality: 90) : .lossless
                    return .success((try Transcoder.transcode(file, to: TransferSyntax(uid: target), options: options).encoded(), newUID))
                } catch let error as DeidentificationError {
                    return .failure(DicomWebError(.forbidden, "anonymize=yes refused: \(error) (PS3.18 §9.4.1)"))
                } catch {
                    throw ArchiveError.unreadable("instance \(instance.sopInstanceUID) for anonymize=yes: \(error)")
                }
            }
        } catch {
            throw DicomWebError.archive(error)
        }
        let (bytes, newUID) = try result.get()
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom"
        headers[.contentDisposition] = "attachment; filename=\"\(newUID).dcm\""
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// 403 when the instance says its pixels carry burned-in text (PS3.15 §E.3.1 not applied here).
    func refuseBurnedIn(_ instance: IndexedInstance) async throws {
        let header = try await ObjectReader.dataSet(instance, in: gateway.archive)
        let burnedIn = header.dataSet.string(.burnedInAnnotation)?.uppercased() == "YES"
        if burnedIn {
            throw DicomWebError(.forbidden, "anonymize=yes refused: \(DeidentificationError.burnedInAnnotation) (PS3.18 §9.4.1)")
        }
    }

    /// The object as a single application/dicom body, in its stored syntax or the one asked for
    /// (PS3.18 §9.1.2.3.4: transferSyntax; default Explicit VR Little Endian... we keep the stored
    /// syntax when it is not named, as most WADO-URI clients expect).
    func dicom(_ instance: IndexedInstance, transferSyntax: String?) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentDisposition] = "attachment; filename=\"\(instance.sopInstanceUID).dcm\""
        if let wanted = transferSyntax, wanted != instance.transferSyntaxUID {
            let uid = try validUID(wanted, "transferSyntax")
            guard TransferSyntaxNegotiation.canConvert(from: instance.transferSyntaxUID, to: uid) else {
                throw DicomWebError.notAcceptable("the object is stored as \(instance.transferSyntaxUID) and cannot be converted to \(uid)")
            }
            let bytes = try await TransferSyntaxNegotiation.converted(instance, to: uid, in: gateway.archive)
            headers[.contentType] = "application/dicom"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let source = try await ObjectReader.open(instance, in: gateway.archive)
        headers[.contentType] = "application/dicom"
        let length = source.length
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
            try await ObjectReader.copy(source, count: length, to: &writer)
            try await writer.finish(nil)
        })
    }
}
