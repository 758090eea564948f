// PS3.18 §10.4.1.1.3 (rendered) and §10.4.1.1.5 (thumbnail): frames through the display
// pipeline (PS3.4 Annex N, DicomCore/Rendering) to JPEG or PNG, with the §8.3.5.1 parameters
// window, viewport and quality. Also WADO-URI's image/jpeg and image/png (PS3.18 §9.1.2.4).
import DicomArchive
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore

struct RenderedRoutes: Sendable {
    let retrieve: RetrieveRoutes
    var gateway: DicomWebGateway { retrieve.gateway }

    func add(to router: RouterGroup<GatewayRequestContext>) {
        let instance = "studies/:study/series/:series/instances/:instance"
        router.get(RouterPath(instance + "/rendered")) { request, context in
            try await rendered(request, try retrieve.scope(context, series: true, instance: true), frames: nil)
        }
        router.get(RouterPath(instance + "/frames/:frames/rendered")) { request, context in
            try await rendered(request, try retrieve.scope(context, series: true, instance: true),
                               frames: try FrameList.parse(context.parameters.get("frames") ?? ""))
        }
        router.get(RouterPath(instance + "/thumbnail")) { request, context in
            try await thumbnail(request, try retrieve.scope(context, series: true, instance: true))
        }
        router.get(RouterPath(instance + "/frames/:frames/thumbnail")) { request, context in
            let n = try FrameList.parse(context.parameters.get("frames") ?? "")
            guard n.count == 1 else { throw DicomWebError.badRequest("a thumbnail is of one frame") }
            return try await thumbnail(request, try retrieve.scope(context, series: true, instance: true), frame: n[0])
        }
        router.get("studies/:study/series/:series/thumbnail") { request, context in
            try await thumbnail(request, try retrieve.scope(context, series: true, instance: false))
        }
        router.get("studies/:study/thumbnail") { request, context in
            try await thumbnail(request, try retrieve.scope(context, series: false, instance: false))
        }
    }

    /// The image format a request asks for: PS3.18 §8.7.4 (image/jpeg is the default).
    enum Format: Sendable {
        case jpeg, png
        var mediaType: String { self == .jpeg ? "image/jpeg" : "image/png" }
    }

    static func format(_ accept: String?) throws(DicomWebError) -> Format {
        for range in try MediaRange.parseAccept(accept) where range.quality > 0 {
            if range.type == "*/*" || range.type == "image/*" || range.matches("image/jpeg") { return .jpeg }
            if range.matches("image/png") { return .png }
        }
        throw .notAcceptable("rendered images are image/jpeg or image/png")
    }

    /// PS3.18 §8.3.5.1: `window=center,width[,function]`, `viewport=vw,vh[,sx,sy,sw,sh]`, `quality`.
    static func options(_ request: Request) throws(DicomWebError) -> (RenderOptions, quality: Int) {
        var options = RenderOptions()
        var quality = 90
        for (key, raw) in request.uri.queryParameters {
            let value = String(raw)
            switch key {
            case "window":
                guard let window = VOIWindow(parameter: value) else {
                    throw .badRequest("window is center,width[,linear|linear-exact|sigmoid] with width > 0 (PS3.18 §8.3.5.1.3)")
                }
                options.window = window
            case "viewport":
                // PS3.18 §8.3.5.1.2: vw,vh (the source rectangle sx,sy,sw,sh is not supported).
                guard let viewport = Viewport(parameter: value) else {
                    throw .badRequest("viewport is vw,vh with positive sizes (PS3.18 §8.3.5.1.2)")
                }
                options.viewport = viewport
            case "quality":
                guard let q = Int(value), (1...100).contains(q) else { throw .badRequest("quality is 1 to 100") }
                quality = q
            case "annotation", "charset", "accept", "iccprofile":
                continue                                          // no annotation is burnt in
            default:
                throw .badRequest("unknown rendered parameter \"\(key.prefix(40))\" (PS3.18 §8.3.5.1)")
            }
        }
        return (options, quality)
    }

    func rendered(_ request: Request, _ scope: RetrieveRoutes.Scope, frames numbers: [Int]?) async throws -> Response {
        let instance = try await retrieve.instance(scope)
        if let response = try await singlePart(request, instance, frames: numbers) { return response }
        let format = try Self.format(retrieve.acceptValue(request))
        let (options, quality) = try Self.options(request)
        let list = numbers ?? [1]
        var images: [[UInt8]] = []
        for n in list {
            images.append(try await render(instance, frame: n, options: options, format: format, quality: quality))
        }
        var headers = HTTPFields()
        headers[.cacheControl] = "private, max-age=3600"
        if images.count == 1 {
            headers[.contentType] = format.mediaType
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: images[0])))
        }
        let boundary = Multipart.newBoundary()
        headers[.contentType] = "multipart/related; type=\"\(format.mediaType)\"; boundary=\(boundary)"
        var body = ByteBuffer()
        for image in images {
            body.writeString(Multipart.partHeader(boundary: boundary, contentType: format.mediaType))
            body.writeBytes(image)
            body.writeString("\r\n")
        }
        body.writeString(Multipart.closing(boundary: boundary))
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// PS3.18 §8.7.4 (rendered media types): an instance that is not an image renders as what it
    /// holds, single part. A video (MPEG2, MPEG-4 AVC, HEVC) as its stream in video/mpeg,
    /// video/mp4 or video/H265, with Range requests for a browser's <video> element; an
    /// Encapsulated Document (PDF, CDA, STL…, PS3.3 §C.24.2) as the document in its MIME type.
    /// nil for an image instance. A frame of a video is not rendered (it would need a video
    /// decoder): 406 with a reason.
    func singlePart(_ request: Request, _ instance: IndexedInstance, frames numbers: [Int]?) async throws -> Response? {
        let archive = gateway.archive
        if let video = try await VideoStream.open(instance, in: archive) {
            guard numbers == nil else {
                throw DicomWebError.notAcceptable("frames of a video are not rendered; its rendered resource is the video, "
                                                  + video.mediaTypes.joined(separator: " or "))
            }
            guard let type = video.negotiate(try MediaRange.parseAccept(retrieve.acceptValue(request)), octetStream: false) else {
                throw DicomWebError.notAcceptable("this instance is a video, rendered as " + video.mediaTypes.joined(separator: " or "))
            }
            var headers = HTTPFields()
            headers[.cacheControl] = "private, max-age=3600"
            return video.singlePart(request, contentType: type, headers: headers)
        }
        guard instance.sopClassUID.hasPrefix(Self.encapsulatedDocumentClasses) else { return nil }
        let file = try await ObjectReader.dataSet(instance, in: archive)
        guard numbers == nil, let element = file.dataSet[.encapsulatedDocument] else {
            throw DicomWebError.notAcceptable("instance \(instance.sopInstanceUID) is an Encapsulated Document with no frames; "
                                              + "its rendered resource is the document")
        }
        let type = RetrieveRoutes.documentMediaType(file.dataSet)
        let ranges = try MediaRange.parseAccept(retrieve.acceptValue(request))
        guard ranges.contains(where: { $0.quality > 0 && $0.matches(type) }) else {
            throw DicomWebError.notAcceptable("this instance is a document, rendered as \(type)")
        }
        guard let bytes = try await ObjectReader.bytes(of: element) else {
            throw DicomWebError(.internalServerError, "Encapsulated Document of \(instance.sopInstanceUID) is not a byte value")
        }
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "private, max-age=3600"
        return ByteRange.response(request, body: ByteBuffer(bytes: RetrieveRoutes.trimmedDocument(bytes, file.dataSet)), headers: headers)
    }

    /// Encapsulated PDF, CDA, STL, OBJ and MTL Storage share this prefix (PS3.4 Annex B.5).
    static let encapsulatedDocumentClasses = "1.2.840.10008.5.1.4.1.1.104."

    /// PS3.18 §10.4.1.1.5: a small rendered image; for a series its middle instance, for a study
    /// the middle instance of its first series.
    func thumbnail(_ request: Request, _ scope: RetrieveRoutes.Scope, frame: Int = 1) async throws -> Response {
        let format = try Self.format(retrieve.acceptValue(request))
        var (options, quality) = try Self.options(request)
        if options.viewport == nil { options.viewport = Viewport(width: 128, height: 128, enlarges: false) }
        var list = try await retrieve.instances(scope)
        if scope.instance == nil, let firstSeries = list.first?.seriesInstanceUID {
            list = list.filter { $0.seriesInstanceUID == firstSeries }
        }
        let instance = list[list.count / 2]
        let image = try await render(instance, frame: frame, options: options, format: format, quality: quality)
        var headers = HTTPFields()
        headers[.contentType] = format.mediaType
        headers[.cacheControl] = "private, max-age=3600"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: image)))
    }

    /// One frame of `instance` rendered and encoded.
    /// - Throws: 404 for a frame beyond the object, 400 for an object with no image, 500 naming the
    ///   frame when it cannot be decoded.
    func render(_ instance: IndexedInstance, frame n: Int, options: RenderOptions, format: Format, quality: Int) async throws -> [UInt8] {
        // One trip to a blocking thread: read the header (Pixel Data left in the file), read the
        // frame, render, encode.
        let archive = gateway.archive
        let outcome: Result<[UInt8], DicomWebError>
        do {
            outcome = try await BlockingIO.run { () throws(ArchiveError) -> Result<[UInt8], DicomWebError> in
                let source = try archive.store.open(instance.objectPath)
                let file: DicomFile
                switch ObjectReader.header(instance, source: source) {
                case .success(let f): file = f
                case .failure(let e): return .failure(e)
                }
                guard file.dataSet[.pixelData] != nil else {
                    return .failure(.badRequest("instance \(instance.sopInstanceUID) has no Pixel Data to render"))
                }
                do throws(CodecError) {
                    let frames = try PixelDataFrames(file)
                    guard n <= frames.numberOfFrames else {
                        return .failure(.notFound("frame \(n) is beyond the \(frames.numberOfFrames) frame(s) of instance \(instance.sopInstanceUID)"))
                    }
                    let image = try PixelRenderer.render(frames, frame: n, dataSet: file.dataSet, options: options)
                    return .success(format == .jpeg ? try image.jpegData(quality: quality) : try image.pngData())
                } catch {
                    return .failure(DicomWebError(.internalServerError,
                                                  "frame \(n) of instance \(instance.sopInstanceUID) cannot be rendered: \(error)"))
                }
            }
        } catch {
            throw DicomWebError.archive(error)
        }
        return try outcome.get()
    }
}
