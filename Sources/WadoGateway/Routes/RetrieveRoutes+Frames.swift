// PS3.18 §10.4.1.1.4 (frames): a frame list of one instance as multipart/related, in the stored
// encoding or decoded / re-encoded as the Accept header asks; stored frames that lie in the file as
// one run go out with sendfile.
import DicomArchive
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore

extension RetrieveRoutes {
    /// - Parameter channel: the connection, when frames that lie in the stored file as they are
    ///   sent may go out with sendfile (FileRegionWriter); nil: they are read and written.
    func frames(_ request: Request, _ scope: Scope, list: String, channel: (any Channel)? = nil) async throws -> Response {
        let ranges = try MediaRange.parseAccept(acceptValue(request))
        let numbers = try FrameList.parse(list)
        let (instance, file) = try await instanceAndHeader(scope)
        let frames = try FrameSource(file: file, instance: instance)
        try frames.check(numbers)
        guard let plan = frames.plan(for: ranges) else {
            throw DicomWebError.notAcceptable(
                "frames of this instance (\(instance.transferSyntaxUID)) are available as "
                + frames.offeredTypes.joined(separator: " or "))
        }
        if request.headers[.range] == nil, let response = storedFrames(request, instance, frames, numbers, plan, channel: channel) {
            return response
        }
        // The first frame is read (and decoded) before the status line: a corrupt codestream is a
        // 500 naming the frame, not a cut-off 200.
        let first: [UInt8]
        do {
            first = try await frames.bytes(of: numbers[0], plan: plan)
        } catch {
            throw DicomWebError(.internalServerError, "frame \(numbers[0]) of instance \(instance.sopInstanceUID) cannot be served: \(error)")
        }
        let boundary = Multipart.newBoundary()
        var headers = HTTPFields()
        headers[.contentType] = "multipart/related; type=\"\(plan.mediaType)\"; boundary=\(boundary)"
        if request.headers[.range] != nil {
            // A Range (progressive HTJ2K viewers ask for the first bytes of a frame) applies to
            // the body as it would be sent: built whole, then cut (RFC 9110 §14).
            var whole = ByteBuffer()
            for (i, n) in numbers.enumerated() {
                let bytes = i == 0 ? first : try await frames.bytes(of: n, plan: plan)
                whole.writeString(Multipart.partHeader(boundary: boundary, contentType: plan.partContentType))
                whole.writeBytes(bytes)
                whole.writeString("\r\n")
            }
            whole.writeString(Multipart.closing(boundary: boundary))
            return ByteRange.response(request, body: whole, headers: headers)
        }
        headers[.acceptRanges] = "bytes"
        let body = ResponseBody { writer in
            for (i, n) in numbers.enumerated() {
                let bytes = i == 0 ? first : try await frames.bytes(of: n, plan: plan)
                var buffer = ByteBuffer(string: Multipart.partHeader(boundary: boundary, contentType: plan.partContentType))
                buffer.writeBytes(bytes)
                buffer.writeString("\r\n")
                try await writer.write(buffer)
            }
            try await writer.write(ByteBuffer(string: Multipart.closing(boundary: boundary)))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Frames sent as stored whose bytes lie in the object file as one run each (a native frame,
    /// or a frame that is one fragment: PixelDataFrames.storedSpan): their length is known, so the
    /// body goes out with a Content-Length, and on a plain HTTP/1 connection each frame goes from
    /// the file to the socket with sendfile, never read into memory. Otherwise nil, and frames
    /// are read (and decoded or encoded) one by one.
    private func storedFrames(_ request: Request, _ instance: IndexedInstance, _ frames: FrameSource, _ numbers: [Int],
                              _ plan: FrameSource.Plan, channel: (any Channel)?) -> Response? {
        guard plan.action == .stored, let path = archive.store.localPath(instance.objectPath) else { return nil }
        let spans: [Range<Int>] = numbers.compactMap { n in
            guard let span = frames.frames.storedSpan(frame: n), span.path == path,
                  let start = Int(exactly: span.offset), let length = Int(exactly: span.length),
                  start + length <= instance.fileSize else { return nil }
            return start..<(start + length)
        }
        guard spans.count == numbers.count else { return nil }
        let boundary = Multipart.newBoundary()
        let partHeader = Multipart.partHeader(boundary: boundary, contentType: plan.partContentType)
        let closing = Multipart.closing(boundary: boundary)
        let contentLength = spans.reduce(closing.utf8.count) { $0 + partHeader.utf8.count + $1.count + 2 }
        var headers = HTTPFields()
        headers[.contentType] = "multipart/related; type=\"\(plan.mediaType)\"; boundary=\(boundary)"
        headers[.acceptRanges] = "bytes"
        let sendfile = request.method == .get ? channel : nil
        let size = instance.fileSize
        let body = ResponseBody(contentLength: contentLength) { writer in
            if let sendfile {
                // The CRLF that ends a part goes out with the next part's header, or the closing.
                let parts = spans.enumerated().map { i, span in
                    FileRegionWriter.Part(header: ByteBuffer(string: (i > 0 ? "\r\n" : "") + partHeader), path: path, size: size, bytes: span)
                }
                let sent: Bool
                do {
                    // The closing delimiter goes out in the flush of the last frame.
                    sent = try await FileRegionWriter.write(parts, trailer: ByteBuffer(string: "\r\n" + closing), on: sendfile)
                } catch let failure as FileRegionWriter.Failure {
                    throw failure.underlying
                }
                if sent {
                    try await writer.finish(nil)
                    return
                }
            }
            for n in numbers {
                var buffer = ByteBuffer(string: partHeader)
                buffer.writeBytes(try await frames.bytes(of: n, plan: plan))
                buffer.writeString("\r\n")
                try await writer.write(buffer)
            }
            try await writer.write(ByteBuffer(string: closing))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
