import DicomArchive
import DicomCore
import DicomTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
@testable import WadoGateway

/// A gateway on a fresh archive in the temporary directory, removed when the value goes away.
final class GatewayFixture: @unchecked Sendable {
    let root: String
    let archive: Archive
    let gateway: DicomWebGateway

    init(settings: GatewaySettings = GatewaySettings(), configure: (inout ArchiveConfiguration) -> Void = { _ in }) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("wado-test-\(UUID().uuidString)").path
        var configuration = ArchiveConfiguration(root: root, durable: false)
        configure(&configuration)
        archive = try Archive(configuration: configuration)
        var s = settings
        s.port = 8080
        gateway = DicomWebGateway(archive: archive, settings: s)
    }
    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Runs `body` against the router, no socket.
    func test<T>(_ body: @escaping @Sendable (RouterClient) async throws -> T) async throws -> T {
        try await body(RouterClient(responder: gateway.makeRouter().buildResponder()))
    }

    /// Stores `ds` through the archive's ingest path (as C-STORE does); returns the stored bytes.
    @discardableResult
    func store(_ ds: DataSet, syntax: TransferSyntax = .explicitVRLittleEndian) async throws -> [UInt8] {
        let bytes = try DicomFile(dataSet: ds, transferSyntax: syntax).encoded()
        let staged = try archive.makeStagingFile()
        try staged.write(bytes)
        _ = try await archive.ingest(staged, context: IngestContext())
        return bytes
    }
}

enum Sample {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"
    static let study = "1.2.826.0.1.3680043.2.1125.9"
    static let series = "1.2.826.0.1.3680043.2.1125.9.1"

    /// A small image: 4x2 16-bit pixels, `frames` frames.
    static func image(sop: String, study: String = study, series: String = series, name: String = "Doe^Jane",
                      patientID: String = "PID-9", frames: Int = 1) -> DataSet {
        var ds = DataSet()
        ds[.specificCharacterSet] = .text(.specificCharacterSet, .CS, "ISO_IR 100")
        ds[.sopClassUID] = .uid(.sopClassUID, ct)
        ds[.sopInstanceUID] = .uid(.sopInstanceUID, sop)
        ds[.studyDate] = .text(.studyDate, .DA, "20250102")
        ds[.modality] = .text(.modality, .CS, "CT")
        ds[.patientName] = .text(.patientName, .PN, name)
        ds[.patientID] = .text(.patientID, .LO, patientID)
        ds[.studyInstanceUID] = .uid(.studyInstanceUID, study)
        ds[.seriesInstanceUID] = .uid(.seriesInstanceUID, series)
        ds[.instanceNumber] = .text(.instanceNumber, .IS, "1")
        ds[.samplesPerPixel] = DataElement(.samplesPerPixel, .US, bytes: TestBytes.le16([1]))
        ds[.photometricInterpretation] = .text(.photometricInterpretation, .CS, "MONOCHROME2")
        if frames > 1 { ds[.numberOfFrames] = .text(.numberOfFrames, .IS, "\(frames)") }
        ds[.rows] = DataElement(.rows, .US, bytes: TestBytes.le16([2]))
        ds[.columns] = DataElement(.columns, .US, bytes: TestBytes.le16([4]))
        ds[.bitsAllocated] = DataElement(.bitsAllocated, .US, bytes: TestBytes.le16([16]))
        ds[.bitsStored] = DataElement(.bitsStored, .US, bytes: TestBytes.le16([12]))
        ds[.highBit] = DataElement(.highBit, .US, bytes: TestBytes.le16([11]))
        ds[.pixelRepresentation] = DataElement(.pixelRepresentation, .US, bytes: TestBytes.le16([0]))
        ds[.pixelData] = DataElement(.pixelData, .OW, bytes: pixels(frames: frames))
        return ds
    }

    /// Frame f holds the values f*100 + 0…7.
    static func pixels(frames: Int) -> [UInt8] {
        TestBytes.le16((1...frames).flatMap { f in (0..<8).map { UInt16(f * 100 + $0) } })
    }

    /// A multipart/related body of application/dicom parts.
    static func multipart(_ parts: [[UInt8]], boundary: String, closed: Bool = true) -> ByteBuffer {
        var b = ByteBuffer()
        for p in parts {
            b.writeString("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n")
            b.writeBytes(p)
            b.writeString("\r\n")
        }
        if closed { b.writeString("--\(boundary)--\r\n") }
        return b
    }
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(readableBytesView)) }
}

/// The parts of a multipart body: (headers, body bytes).
func multipartParts(_ body: ByteBuffer, contentType: String?) throws -> [([String: String], [UInt8])] {
    let media = try MediaRange.parseRange(contentType ?? "")
    var reader = MultipartReader(boundary: media.parameters["boundary"] ?? "")
    var parts: [([String: String], [UInt8])] = []
    for event in try reader.feed(body.readableBytesView) {
        switch event {
        case .partStart(let h): parts.append((h, []))
        case .body(let b): parts[parts.count - 1].1 += b
        case .partEnd, .end: break
        }
    }
    return parts
}

/// Requests straight into the router's responder, as the server would hand them over (no socket,
/// no HTTP parsing); the response body is collected whole.
struct RouterClient: Sendable {
    let responder: any HTTPResponder<GatewayRequestContext>

    struct Response: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    @discardableResult
    func execute<T>(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
                    _ check: @Sendable (Response) async throws -> T = { $0 }) async throws -> T {
        var headers = headers
        if let body { headers[.contentLength] = String(body.readableBytes) }
        let request = Request(head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: headers),
                              body: RequestBody(buffer: body ?? ByteBuffer()))
        let context = GatewayRequestContext(source: ApplicationRequestContextSource(channel: NIOAsyncTestingChannel(),
                                                                                  logger: Logger(label: "test")))
        let response: Hummingbird.Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        let collector = Collector()
        try await response.body.write(collector)
        return try await check(Response(status: response.status, headers: response.headers, body: collector.buffer))
    }

    final class Collector: ResponseBodyWriter, Sendable {
        private let state = Mutex(ByteBuffer())
        var buffer: ByteBuffer { state.withLock { $0 } }
        func write(_ buffer: ByteBuffer) async throws {
            var b = buffer
            state.withLock { $0.writeBuffer(&b) }
        }
        func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
            for b in buffers { try await write(b) }
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
