// RFC 9110 §14 (Range requests) for frames and bulk data: one range of the body as it would be
// sent, 206 with Content-Range; a range that starts past the end is 416. Several ranges, or a
// Range header that does not parse, are ignored (§14.2 allows it): the whole body, 200.
import HTTPTypes
import Hummingbird
import NIOCore

enum ByteRange {
    /// The first and last byte (inclusive) `header` asks for in a body of `length` bytes;
    /// nil when the header is to be ignored; `.unsatisfiable` when it starts past the end.
    enum Outcome: Equatable { case ignore, unsatisfiable, range(Int, Int) }

    static func parse(_ header: String?, length: Int) -> Outcome {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .ignore }
        let spec = header.dropFirst(6).trimmedOWS
        let halves = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count == 2 else { return .ignore }
        if halves[0].isEmpty {
            guard let suffix = Int(halves[1]), suffix > 0 else { return .ignore }
            return length == 0 ? .unsatisfiable : .range(max(0, length - suffix), length - 1)
        }
        guard let first = Int(halves[0]), first >= 0 else { return .ignore }
        let last = halves[1].isEmpty ? Int.max : Int(halves[1])
        guard let last, last >= first else { return .ignore }
        guard first < length else { return .unsatisfiable }
        return .range(first, min(last, length - 1))
    }

    /// `body` whole (200) or the range the request asks for (206 / 416).
    static func response(_ request: Request, body: ByteBuffer, headers: HTTPFields) -> Response {
        var headers = headers
        headers[.acceptRanges] = "bytes"
        switch parse(request.headers[.range], length: body.readableBytes) {
        case .ignore:
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(body.readableBytes)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        case .range(let first, let last):
            headers[.contentRange] = "bytes \(first)-\(last)/\(body.readableBytes)"
            let slice = body.getSlice(at: body.readerIndex + first, length: last - first + 1) ?? ByteBuffer()
            return Response(status: .partialContent, headers: headers, body: ResponseBody(byteBuffer: slice))
        }
    }
}

import Foundation
