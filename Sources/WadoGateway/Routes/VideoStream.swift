// Video objects over DICOMweb. PS3.5 §8.2.5 (MPEG2), §8.2.6 (MPEG-4 AVC/H.264) and §8.2.7
// (HEVC/H.265): the frames of a video are one stream split over the fragments of encapsulated
// Pixel Data, so the stream is the fragments' values end to end; it is not decoded here. PS3.18
// §8.7.3.5 (Table 8.7.3-4) names its media types: video/mpeg for MPEG2, video/mp4 for MPEG-4
// AVC/H.264, video/H265 for HEVC (and video/mp4, which holds either). A browser's <video> element
// plays the rendered resource of such an instance from this single-part body, seeking with Range
// requests, as a viewer's `singlepart: 'video'` setting expects.
//
// Only the asked-for bytes are read, a chunk at a time from the fragments' places in the file
// (ObjectReader.copy): memory per request does not grow with the length of the video.
import DicomArchive
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore

struct VideoStream: Sendable {
    /// The media types a stream of transfer syntax `uid` goes out as, the preferred first; nil
    /// for a syntax that is not a video syntax. The Fragmentable forms (".1") are the same streams.
    static func mediaTypes(ofSyntax uid: String) -> [String]? {
        let base = uid.hasSuffix(".1") && uid.split(separator: ".").count == 9 ? String(uid.dropLast(2)) : uid
        switch base {
        case "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.101":
            return ["video/mpeg"]
        case "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.104",
             "1.2.840.10008.1.2.4.105", "1.2.840.10008.1.2.4.106":
            return ["video/mp4"]
        case "1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108":
            return ["video/h265", "video/mp4"]
        default:
            return nil
        }
    }

    /// Where one fragment's value lies.
    enum Piece: Sendable {
        case file(offset: UInt64, length: UInt64)
        case bytes([UInt8])
        var length: Int {
            switch self {
            case .file(_, let n): return Int(n)
            case .bytes(let b): return b.count
            }
        }
    }

    let instance: IndexedInstance
    let source: any ByteSource
    let pieces: [Piece]
    /// The media types this stream goes out as, preferred first.
    let mediaTypes: [String]
    var length: Int { pieces.reduce(0) { $0 + $1.length } }

    /// The stream of a stored video instance; nil when the instance is not in a video syntax.
    /// - Throws: 500 when the object cannot be read or its Pixel Data is not encapsulated.
    static func open(_ instance: IndexedInstance, in archive: Archive) async throws(DicomWebError) -> VideoStream? {
        guard let types = mediaTypes(ofSyntax: instance.transferSyntaxUID) else { return nil }
        let read: Result<(any ByteSource, [Piece]), DicomWebError>
        do {
            read = try await BlockingIO.run { () throws(ArchiveError) -> Result<(any ByteSource, [Piece]), DicomWebError> in
                let source = try archive.store.open(instance.objectPath)
                let file: DicomFile
                switch ObjectReader.header(instance, source: source) {
                case .success(let f): file = f
                case .failure(let e): return .failure(e)
                }
                guard case .encapsulated(let pixels)? = file.dataSet[.pixelData]?.value else {
                    return .failure(DicomWebError(.internalServerError,
                                                  "instance \(instance.sopInstanceUID) is in a video syntax but its Pixel Data is not encapsulated"))
                }
                var pieces: [Piece] = []
                for fragment in pixels.fragments {
                    switch fragment {
                    case .bytes(let b): pieces.append(.bytes(b))
                    case .bulkData(let ref):
                        // Lazily read fragments of this file: their place in it. (A reference into
                        // another file would be a reader change; read it whole rather than guess.)
                        if ref.path == source.path, ref.swapUnit == 1 {
                            pieces.append(.file(offset: ref.offset, length: ref.length))
                        } else {
                            do throws(DicomReadError) { pieces.append(.bytes(try ref.load())) } catch {
                                return .failure(DicomWebError(.internalServerError, "instance \(instance.sopInstanceUID): \(error)"))
                            }
                        }
                    }
                }
                return .success((source, pieces))
            }
        } catch {
            throw DicomWebError.archive(error)
        }
        let (source, pieces) = try read.get()
        return VideoStream(instance: instance, source: source, pieces: pieces, mediaTypes: types)
    }

    /// The media type to answer `ranges` with, of the stream's own types and, when `octetStream`,
    /// application/octet-stream; nil when none is acceptable.
    func negotiate(_ ranges: [MediaRange], octetStream: Bool) -> String? {
        let offered = mediaTypes + (octetStream ? ["application/octet-stream"] : [])
        for range in ranges where range.quality > 0 {
            if let type = offered.first(where: { range.matches($0) }) { return type }
        }
        return nil
    }

    /// The stream alone as `contentType`: 200, or 206 / 416 for a Range (RFC 9110 §14).
    func singlePart(_ request: Request, contentType: String, headers: HTTPFields = HTTPFields()) -> Response {
        var headers = headers
        headers[.contentType] = contentType
        headers[.acceptRanges] = "bytes"
        let total = length
        let first: Int, last: Int
        var status = HTTPResponse.Status.ok
        switch ByteRange.parse(request.headers[.range], length: total) {
        case .ignore:
            (first, last) = (0, total - 1)
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(total)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        case .range(let a, let b):
            (first, last) = (a, b)
            status = .partialContent
            headers[.contentRange] = "bytes \(a)-\(b)/\(total)"
        }
        let count = max(0, last - first + 1)
        let stream = self
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: count) { writer in
            try await stream.write(from: first, count: count, to: &writer)
            try await writer.finish(nil)
        })
    }

    /// The stream as the one part of a multipart/related body of `partType` (PS3.18 §8.7.3.5).
    func multipart(contentType partType: String, headers: HTTPFields = HTTPFields()) -> Response {
        var headers = headers
        let boundary = Multipart.newBoundary()
        headers[.contentType] = "multipart/related; type=\"\(partType)\"; boundary=\(boundary)"
        let head = ByteBuffer(string: Multipart.partHeader(boundary: boundary, contentType: partType))
        let tail = ByteBuffer(string: "\r\n" + Multipart.closing(boundary: boundary))
        let count = length
        let stream = self
        return Response(status: .ok, headers: headers,
                        body: ResponseBody(contentLength: head.readableBytes + count + tail.readableBytes) { writer in
            try await writer.write(head)
            try await stream.write(from: 0, count: count, to: &writer)
            try await writer.write(tail)
            try await writer.finish(nil)
        })
    }

    /// Writes `count` bytes of the stream from byte `first`, reading only the fragments they lie in.
    func write(from first: Int, count: Int, to writer: inout any ResponseBodyWriter) async throws {
        var start = 0
        let end = first + count
        for piece in pieces {
            let pieceEnd = start + piece.length
            defer { start = pieceEnd }
            let from = max(first, start), to = min(end, pieceEnd)
            guard from < to else { continue }
            switch piece {
            case .file(let offset, _):
                try await ObjectReader.copy(source, offset: offset + UInt64(from - start), count: UInt64(to - from), to: &writer)
            case .bytes(let b):
                try await writer.write(ByteBuffer(bytes: b[(from - start)..<(to - start)]))
            }
        }
    }
}
