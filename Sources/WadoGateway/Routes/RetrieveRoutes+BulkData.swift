// PS3.18 §10.4.1.1.5 (bulk data): a value a BulkDataURI names, in multipart/related or alone; an
// Encapsulated Document in its own media type; a video's Pixel Data as its stream.
import DicomArchive
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore

extension RetrieveRoutes {
    func bulkData(_ request: Request, _ scope: Scope, path: [String]) async throws -> Response {
        let tagPath = try Self.tagPath(path)
        let ranges = try MediaRange.parseAccept(acceptValue(request))
        let instance = try await self.instance(scope)
        // A video's Pixel Data (its BulkDataURI in the metadata): the stream, alone in a video
        // media type or application/octet-stream, or as the one part of multipart/related.
        if tagPath.sequence.isEmpty, tagPath.tag == .pixelData, let video = try await VideoStream.open(instance, in: archive) {
            if let single = video.negotiate(ranges, octetStream: true) {
                return video.singlePart(request, contentType: single)
            }
            let offered = video.mediaTypes + ["application/octet-stream"]
            guard let range = ranges.first(where: { r in r.quality > 0 && offered.contains { r.acceptsParts(of: $0) } }),
                  let part = offered.first(where: { range.acceptsParts(of: $0) }) else {
                throw DicomWebError.notAcceptable("this video is available as " + offered.joined(separator: " or ")
                                                  + ", alone or in multipart/related")
            }
            return video.multipart(contentType: part == "application/octet-stream" ? part : "\(part); transfer-syntax=\(instance.transferSyntaxUID)")
        }
        let file = try await ObjectReader.dataSet(instance, in: archive)
        guard let element = Self.element(at: tagPath, in: file.dataSet) else {
            throw DicomWebError.notFound("instance \(instance.sopInstanceUID) has no \(tagPath)")
        }
        // PS3.18 §8.7.3.5 (bulk data media types): a multipart/related body of one
        // application/octet-stream part, or that part alone when the client asks for
        // application/octet-stream itself (OHIF's `singlepart: 'bulkdata'`). An Encapsulated
        // Document (a PDF, CDA, STL…; PS3.3 §C.24.2) also comes alone in its own media type, MIME
        // Type of Encapsulated Document (0042,0012), when that is asked for (a viewer's
        // `singlepart: 'pdf'`, `?accept=application/pdf`). The best range decides.
        let documentType: String? = tagPath.sequence.isEmpty && tagPath.tag == .encapsulatedDocument
            ? Self.documentMediaType(file.dataSet) : nil
        let offered = ["application/octet-stream"] + (documentType.map { [$0] } ?? [])
        guard let chosen = ranges.first(where: { r in r.quality > 0 && offered.contains { r.acceptsParts(of: $0) } }) else {
            throw DicomWebError.notAcceptable("this bulk data is available as " + offered.joined(separator: " or ")
                                              + ", alone or in multipart/related")
        }
        // The type of the single part, when one is asked for by its own media type.
        let singlePart: String? = chosen.type == "application/octet-stream" ? chosen.type
            : (documentType != nil && chosen.type == documentType ? documentType : nil)
        guard let bytes = try await ObjectReader.bytes(of: element) else {
            throw DicomWebError.badRequest("\(tagPath) is a sequence or encapsulated Pixel Data; ask for its frames")
        }
        var headers = HTTPFields()
        if let singlePart {
            headers[.contentType] = singlePart
            let body = singlePart == documentType ? Self.trimmedDocument(bytes, file.dataSet) : bytes
            return ByteRange.response(request, body: ByteBuffer(bytes: body), headers: headers)
        }
        let boundary = Multipart.newBoundary()
        headers[.contentType] = "multipart/related; type=\"application/octet-stream\"; boundary=\(boundary)"
        var buffer = ByteBuffer(string: Multipart.partHeader(boundary: boundary, contentType: "application/octet-stream"))
        buffer.writeBytes(bytes)
        buffer.writeString("\r\n" + Multipart.closing(boundary: boundary))
        return ByteRange.response(request, body: buffer, headers: headers)
    }

    /// MIME Type of Encapsulated Document (0042,0012), lower case; application/pdf when absent.
    static func documentMediaType(_ ds: DataSet) -> String {
        ds.string(.mimeTypeOfEncapsulatedDocument)?.trimmedOWS.lowercased() ?? "application/pdf"
    }

    /// A document of odd length was padded to even (PS3.5 §7.1); Encapsulated Document Length
    /// (0042,0015), when present, is its length without the pad.
    static func trimmedDocument(_ bytes: [UInt8], _ ds: DataSet) -> [UInt8] {
        guard let n = ds.int(.encapsulatedDocumentLength), n >= 0, n < bytes.count else { return bytes }
        return Array(bytes[..<n])
    }

    /// "00282000" or "00540016/0/00181072": tags and item indexes, as our BulkDataURIs write them.
    static func tagPath(_ segments: [String]) throws(DicomWebError) -> TagPath {
        guard !segments.isEmpty, segments.count % 2 == 1, segments.count <= 17 else {
            throw .badRequest("a bulk data path is TAG or TAG/ITEM/TAG…")
        }
        func tag(_ s: String) throws(DicomWebError) -> Tag {
            guard s.count == 8, let n = UInt32(s, radix: 16) else { throw .badRequest("\"\(s.prefix(16))\" is not a tag") }
            return Tag(UInt16(n >> 16), UInt16(n & 0xFFFF))
        }
        var steps: [TagPath.Step] = []
        var i = 0
        while i + 1 < segments.count {
            guard let item = Int(segments[i + 1]), item >= 0, item < 1_000_000 else { throw .badRequest("\"\(segments[i + 1].prefix(16))\" is not an item index") }
            steps.append(TagPath.Step(tag: try tag(segments[i]), item: item))
            i += 2
        }
        return TagPath(try tag(segments[segments.count - 1]), in: steps)
    }

    static func element(at path: TagPath, in dataSet: DataSet) -> DataElement? {
        var ds = dataSet
        for step in path.sequence {
            guard let items = ds[step.tag]?.items, step.item < items.count else { return nil }
            ds = items[step.item].dataSet
        }
        return ds[path.tag]
    }
}
