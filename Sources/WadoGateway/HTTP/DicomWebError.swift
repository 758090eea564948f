// PS3.18 §8.6 (status codes): every refused request gets a status and a reason a person can act on.
import DicomArchive
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A request the gateway refuses or cannot serve: the HTTP status and why, sent as
/// `text/plain` (and in a `Warning` header, PS3.18 §8.6.1, for clients that show only headers).
public struct DicomWebError: HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var reason: String

    public init(_ status: HTTPResponse.Status, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status.code) \(reason)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        // RFC 7234 §5.5: warn-code 299 "Miscellaneous persistent warning"; the text is quoted.
        let quoted = reason.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "'")
        headers[.warning] = "299 dicomnode \"\(quoted.prefix(512))\""
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: reason + "\n")))
    }

    static func badRequest(_ reason: String) -> DicomWebError { DicomWebError(.badRequest, reason) }
    static func notFound(_ reason: String) -> DicomWebError { DicomWebError(.notFound, reason) }
    static func notAcceptable(_ reason: String) -> DicomWebError { DicomWebError(.notAcceptable, reason) }

    /// An archive failure as the status PS3.18 §8.6 gives it: no space → 503, else 500. The
    /// reason names no patient data (ArchiveError texts do not).
    static func archive(_ error: ArchiveError) -> DicomWebError {
        switch error {
        case .outOfSpace: DicomWebError(.serviceUnavailable, "the archive is out of space")
        default: DicomWebError(.internalServerError, "the archive could not be read: \(error)")
        }
    }
}

extension HTTPField.Name {
    static let warning = HTTPField.Name("Warning")!
}
