// RFC 9110 §8.4.1.3 / RFC 1952: gzip for text bodies (DICOM JSON and XML compress 5–10x) when
// the client's Accept-Encoding allows it. Pixel data and DICOM files are sent as they are.
import DicomCore
import HTTPTypes
import Hummingbird
import NIOCore

enum Compression {
    /// Bodies smaller than this are not worth a gzip header.
    static let minimumSize = 1024

    /// Whether `request` accepts gzip (a "gzip" coding without q=0).
    static func acceptsGzip(_ request: Request) -> Bool {
        guard let header = request.headers[.acceptEncoding] else { return false }
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmedOWS.lowercased() }
            guard parts.first == "gzip" || parts.first == "x-gzip" else { continue }
            return !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" || $0 == "q=0.0" }
        }
        return false
    }

    /// A response with `bytes` as its body, gzip'd when the request allows it.
    static func response(_ bytes: [UInt8], request: Request, headers: HTTPFields, status: HTTPResponse.Status = .ok) -> Response {
        var headers = headers
        headers[.vary] = "Accept-Encoding"
        if bytes.count >= minimumSize, acceptsGzip(request) {
            headers[.contentEncoding] = "gzip"
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Deflate.gzip(bytes))))
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

import Foundation
