import DicomArchive
import DicomCore
import Foundation
import HTTPTypes
import Hummingbird

import NIOCore
import Testing
@testable import WadoGateway

@Suite("DICOMweb routes (router, no socket)")
struct RouteTests {
    let base = "/dicom-web"

    @Test("STOW-RS stores each part through ingest; QIDO-RS finds them; WADO-RS gives the stored bytes back")
    func storeSearchRetrieve() async throws {
        let f = try GatewayFixture()
        let a = try DicomFile(dataSet: Sample.image(sop: "1.2.3.1"), transferSyntax: .explicitVRLittleEndian).encoded()
        let b = try DicomFile(dataSet: Sample.image(sop: "1.2.3.2"), transferSyntax: .explicitVRLittleEndian).encoded()
        try await f.test { client in
            try await client.execute(uri: "\(base)/studies", method: .post,
                                     headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=XyZ"],
                                     body: Sample.multipart([a, b], boundary: "XyZ")) { r in
                #expect(r.status == .ok)
                let json = r.body.json as? [String: Any]
                let refs = ((json?["00081199"] as? [String: Any])?["Value"] as? [[String: Any]]) ?? []
                #expect(refs.count == 2)
                #expect(json?["00081198"] == nil)
            }
            try await client.execute(uri: "\(base)/studies?PatientName=doe*", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/dicom+json")
                let list = r.body.json as? [[String: Any]] ?? []
                #expect(list.count == 1)
                let n = (list.first?["00201208"] as? [String: Any])?["Value"] as? [Int]
                #expect(n == [2])
                let url = ((list.first?["00081190"] as? [String: Any])?["Value"] as? [String])?.first
                #expect(url == "http://localhost:8080\(base)/studies/\(Sample.study)")
            }
            try await client.execute(uri: "\(base)/studies?PatientName=Smith", method: .get) { r in
                #expect(r.status == .noContent)
            }
            try await client.execute(uri: "\(base)/studies/\(Sample.study)/instances?limit=1&offset=1", method: .get) { r in
                let list = r.body.json as? [[String: Any]] ?? []
                #expect(list.count == 1)
                #expect(r.headers[.warning] == nil)
            }
            try await client.execute(uri: "\(base)/instances?limit=1", method: .get) { r in
                #expect((r.body.json as? [[String: Any]])?.count == 1)
                #expect(r.headers[.warning]?.contains("1 additional") == true)
            }
            try await client.execute(uri: "\(base)/studies/\(Sample.study)/series/\(Sample.series)", method: .get,
                                     headers: [.accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=*"]) { r in
                #expect(r.status == .ok)
                let parts = try multipartParts(r.body, contentType: r.headers[.contentType])
                #expect(parts.map(\.1) == [a, b])
                #expect(parts.first?.0["content-type"] == "application/dicom; transfer-syntax=1.2.840.10008.1.2.1")
            }
        }
    }

    @Test("WADO-RS converts an Implicit VR file to Explicit VR Little Endian when no syntax is named (PS3.18 §8.7.3.5.2)")
    func defaultSyntax() async throws {
        let f = try GatewayFixture()
        try await f.store(Sample.image(sop: "1.2.3.7"), syntax: .implicitVRLittleEndian)
        try await f.test { client in
            try await client.execute(uri: "\(base)/studies/\(Sample.study)/series/\(Sample.series)/instances/1.2.3.7", method: .get,
                                     headers: [.accept: "multipart/related; type=\"application/dicom\""]) { r in
                let parts = try multipartParts(r.body, contentType: r.headers[.contentType])
                #expect(parts.count == 1)
                let file = try DicomFile.read(bytes: parts[0].1)
                #expect(file.transferSyntax.uid == "1.2.840.10008.1.2.1")
                #expect(file.dataSet[.pixelData]?.bytes == Sample.pixels(frames: 1))
            }
            try await client.execute(uri: "\(base)/studies/\(Sample.study)/series/\(Sample.series)/instances/1.2.3.7", method: .get,
                                     headers: [.accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50"]) { r in
                #expect(r.status == .notAcceptable)
            }
        }
    }

    @Test("a preview made by the preview policy is what a client asking for its syntax gets; other syntaxes are transcoded from the original")
    func previewServed() async throws {
        let f = try GatewayFixture { $0.previewOnIngest = ["CT": "1.2.840.10008.1.2.4.91"] }
        try await f.store(Sample.image(sop: "1.2.3.30"))
        let stored = try #require(try await f.archive.index.instance(sopInstanceUID: "1.2.3.30"))
        var preview: [UInt8]?
        for _ in 0..<200 where preview == nil {
            preview = f.archive.preview(of: stored, in: "1.2.840.10008.1.2.4.91")
            if preview == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let expected = try #require(preview)
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)/instances/1.2.3.30"
        try await f.test { client in
            try await client.execute(uri: uri, method: .get,
                                     headers: [.accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.91"]) { r in
                let parts = try multipartParts(r.body, contentType: r.headers[.contentType])
                #expect(parts.count == 1)
                #expect(parts.first?.1 == expected)
                #expect(try DicomFile.read(bytes: parts.first?.1 ?? []).dataSet.string(.lossyImageCompression) == "01")
            }
            // JPEG-LS lossless has no preview: transcoded from the original, pixels unchanged.
            try await client.execute(uri: uri, method: .get,
                                     headers: [.accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.80"]) { r in
                let parts = try multipartParts(r.body, contentType: r.headers[.contentType])
                let file = try DicomFile.read(bytes: parts.first?.1 ?? [])
                #expect(file.transferSyntax.uid == "1.2.840.10008.1.2.4.80")
                #expect(try PixelDataFrames(file).decodedFrame(1).bytes == Sample.pixels(frames: 1))
            }
        }
    }

    @Test("metadata carries BulkDataURIs; frames are the stored pixel bytes, frame by frame")
    func metadataAndFrames() async throws {
        let f = try GatewayFixture()
        try await f.store(Sample.image(sop: "1.2.3.9", frames: 3))
        let instance = "\(base)/studies/\(Sample.study)/series/\(Sample.series)/instances/1.2.3.9"
        try await f.test { client in
            try await client.execute(uri: "\(base)/studies/\(Sample.study)/series/\(Sample.series)/metadata", method: .get) { r in
                let list = r.body.json as? [[String: Any]] ?? []
                let pixel = list.first?["7FE00010"] as? [String: Any]
                #expect(pixel?["BulkDataURI"] as? String == "http://localhost:8080\(instance)/frames/1,2,3")
                #expect(list.first?["00020010"] == nil)   // no File Meta in metadata
            }
            try await client.execute(uri: "\(instance)/frames/3,1", method: .get,
                                     headers: [.accept: "multipart/related; type=application/octet-stream; transfer-syntax=*"]) { r in
                #expect(r.status == .ok)
                let parts = try multipartParts(r.body, contentType: r.headers[.contentType])
                let all = Sample.pixels(frames: 3)
                #expect(parts.map(\.1) == [Array(all[32..<48]), Array(all[0..<16])])
            }
            let whole = try await client.execute(uri: "\(instance)/frames/2", method: .get) { $0.body }
            try await client.execute(uri: "\(instance)/frames/2", method: .get, headers: [.range: "bytes=0-9"]) { r in
                #expect(r.status == .partialContent)
                #expect(r.headers[.contentRange] == "bytes 0-9/\(whole.readableBytes)")
                #expect(r.body.bytes == Array(whole.readableBytesView.prefix(10)))
            }
            try await client.execute(uri: "\(instance)/frames/2", method: .get, headers: [.range: "bytes=\(whole.readableBytes)-"]) { r in
                #expect(r.status == .rangeNotSatisfiable)
            }
            // Bulk data: one part in multipart/related by default, the bytes alone for
            // Accept: application/octet-stream (a viewer's single-part request), 406 for others.
            let pixels = Sample.pixels(frames: 3)
            try await client.execute(uri: "\(instance)/bulkdata/7FE00010", method: .get) { r in
                #expect(r.status == .ok)
                let parts = try multipartParts(r.body, contentType: r.headers[.contentType])
                #expect(parts.map(\.1) == [pixels])
            }
            try await client.execute(uri: "\(instance)/bulkdata/7FE00010", method: .get, headers: [.accept: "application/octet-stream"]) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/octet-stream")
                #expect(r.body.bytes == pixels)
            }
            try await client.execute(uri: "\(instance)/bulkdata/7FE00010", method: .get, headers: [.accept: "image/jpeg"]) { r in
                #expect(r.status == .notAcceptable)
            }
            for (list, status) in [("0", HTTPResponse.Status.badRequest), ("4", .notFound), ("1,,3", .badRequest), ("1000000000", .notFound)] {
                try await client.execute(uri: "\(instance)/frames/\(list)", method: .get) { r in
                    #expect(r.status == status, "frames/\(list)")
                    #expect(r.body.readableBytes > 0)            // a reason
                }
            }
        }
    }

    @Test("an Encapsulated PDF's document comes alone as application/pdf when asked for (a viewer's singlepart: 'pdf'), else as bulk data")
    func encapsulatedDocument() async throws {
        let f = try GatewayFixture()
        var ds = Sample.image(sop: "1.2.3.77")
        ds[.pixelData] = nil
        try ds.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.104.1")
        try ds.set(.mimeTypeOfEncapsulatedDocument, string: "application/pdf")
        let pdf = Array("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF".utf8)   // odd length: 47 bytes
        #expect(pdf.count % 2 == 1)
        ds[.encapsulatedDocument] = DataElement(tag: .encapsulatedDocument, vr: .OB, value: .bytes(pdf + [0]))
        try ds.set(.encapsulatedDocumentLength, uint32s: [UInt32(pdf.count)])
        try await f.store(ds)
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)/instances/1.2.3.77/bulkdata/00420011"
        try await f.test { client in
            try await client.execute(uri: uri + "?accept=application/pdf", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/pdf")
                #expect(r.body.bytes == pdf)
            }
            try await client.execute(uri: uri, method: .get, headers: [.accept: "application/octet-stream"]) { r in
                #expect(r.headers[.contentType] == "application/octet-stream")
                #expect(r.body.bytes == pdf + [0])
            }
            try await client.execute(uri: uri, method: .get, headers: [.accept: "video/mp4"]) { r in
                #expect(r.status == .notAcceptable)
            }
        }
    }

    @Test("bad input: traversal in a path, wrong STOW type, truncated STOW body, unknown WADO-URI parameter")
    func badInput() async throws {
        let f = try GatewayFixture()
        let good = try DicomFile(dataSet: Sample.image(sop: "1.2.3.11"), transferSyntax: .explicitVRLittleEndian).encoded()
        try await f.test { client in
            for path in ["/studies/..", "/studies/%2e%2e/series", "/studies/1.2.3abc/metadata"] {
                try await client.execute(uri: base + path, method: .get) { r in #expect(r.status == .badRequest, "\(path)") }
            }
            try await client.execute(uri: "\(base)/studies", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: "{}")) { r in #expect(r.status == .unsupportedMediaType) }
            try await client.execute(uri: "\(base)/studies", method: .post,
                                     headers: [.contentType: "multipart/related; type=\"application/dicom\""],
                                     body: ByteBuffer(string: "x")) { r in #expect(r.status == .badRequest) }
            // First part whole, second cut off: the first is stored, nothing of the second.
            var body = Sample.multipart([good], boundary: "B", closed: false)
            body.writeString("--B\r\nContent-Type: application/dicom\r\n\r\n")
            body.writeBytes(good.prefix(200))
            try await client.execute(uri: "\(base)/studies", method: .post,
                                     headers: [.contentType: "multipart/related; type=application/dicom; boundary=B"], body: body) { r in
                #expect(r.status == .accepted)
                let json = r.body.json as? [String: Any]
                #expect(((json?["00081199"] as? [String: Any])?["Value"] as? [Any])?.count == 1)
                #expect(((json?["00081198"] as? [String: Any])?["Value"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/wado?requestType=WADO&studyUID=1.2&seriesUID=1.3&objectUID=1.4&x=1", method: .get) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "\(base)/studies/\(Sample.study)/instances", method: .get) { r in
                #expect((r.body.json as? [Any])?.count == 1)
            }
        }
        #expect(try await f.archive.instanceCount() == 1)
        let incoming = (try? FileManager.default.contentsOfDirectory(atPath: f.root + "/incoming")) ?? []
        #expect(incoming.isEmpty)
    }

    @Test("STOW-RS to /studies/{uid} refuses an instance of another study (409) and stores nothing")
    func stowStudyMismatch() async throws {
        let f = try GatewayFixture()
        let other = try DicomFile(dataSet: Sample.image(sop: "1.2.3.12", study: "1.2.9"), transferSyntax: .explicitVRLittleEndian).encoded()
        try await f.test { client in
            try await client.execute(uri: "\(base)/studies/\(Sample.study)", method: .post,
                                     headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=Q"],
                                     body: Sample.multipart([other], boundary: "Q")) { r in
                #expect(r.status == .conflict)
                let json = r.body.json as? [String: Any]
                let failed = (json?["00081198"] as? [String: Any])?["Value"] as? [[String: Any]]
                #expect(((failed?.first?["00081197"] as? [String: Any])?["Value"] as? [Int]) == [0xA900])
            }
        }
        #expect(try await f.archive.instanceCount() == 0)
    }

    @Test("WADO-URI gives the object; CORS preflight and health answer")
    func wadoURIAndOperations() async throws {
        let f = try GatewayFixture()
        let stored = try await f.store(Sample.image(sop: "1.2.3.20"))
        try await f.test { client in
            try await client.execute(uri: "/wado?requestType=WADO&studyUID=\(Sample.study)&seriesUID=\(Sample.series)&objectUID=1.2.3.20&contentType=application%2Fdicom",
                                     method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.body.bytes == stored)
            }
            try await client.execute(uri: "/wado?requestType=WADO&studyUID=\(Sample.study)&seriesUID=1.2.99&objectUID=1.2.3.20", method: .get) { r in
                #expect(r.status == .notFound)
            }
            try await client.execute(uri: "\(base)/studies", method: .options,
                                     headers: [.origin: "https://viewer.example", .accessControlRequestMethod: "GET",
                                               .accessControlRequestHeaders: "authorization, accept"]) { r in
                #expect(r.status == .noContent)
                #expect(r.headers[.accessControlAllowOrigin] == "*")
                #expect(r.headers[.accessControlAllowHeaders] == "authorization, accept")
            }
            try await client.execute(uri: "\(base)/studies", method: .get, headers: [.origin: "https://viewer.example"]) { r in
                #expect(r.headers[.accessControlAllowOrigin] == "*")
            }
            try await client.execute(uri: "/health", method: .get) { r in
                #expect(r.status == .ok)
                let json = r.body.json as? [String: Any]
                #expect((json?["index"] as? [String: Any])?["instances"] as? Int == 1)
            }
        }
    }

    @Test("CORS with a configured origin list answers only those origins")
    func corsOrigins() async throws {
        var s = GatewaySettings()
        s.allowedOrigins = ["https://ok.example"]
        let f = try GatewayFixture(settings: s)
        try await f.test { client in
            try await client.execute(uri: "/health", method: .get, headers: [.origin: "https://ok.example"]) { r in
                #expect(r.headers[.accessControlAllowOrigin] == "https://ok.example")
            }
            try await client.execute(uri: "/health", method: .get, headers: [.origin: "https://evil.example"]) { r in
                #expect(r.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }
}

@Suite("Series metadata cache")
struct MetadataCacheTests {
    @Test("series metadata: ETag, 304 on If-None-Match, a new instance changes it, garbage If-None-Match is a 200")
    func etag() async throws {
        let f = try GatewayFixture()
        try await f.store(Sample.image(sop: "1.2.3.30"))
        let uri = "/dicom-web/studies/\(Sample.study)/series/\(Sample.series)/metadata"
        let first = try await f.test { client in
            try await client.execute(uri: uri, method: .get) { r -> String? in
                #expect(r.status == .ok)
                #expect((r.body.json as? [Any])?.count == 1)
                return r.headers[.eTag]
            }
        }
        let etag = try #require(first)
        try await f.test { client in
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag]) { r in
                #expect(r.status == .notModified)
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"garbage\", ,;;"]) { r in
                #expect(r.status == .ok)
                #expect((r.body.json as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.999/series/\(Sample.series)/metadata", method: .get) { r in
                #expect(r.status == .notFound)               // the series is not in that study
            }
        }
        #expect(f.gateway.metadataCache.count == 1)
        try await f.store(Sample.image(sop: "1.2.3.31"))
        try await f.test { client in
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag]) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.eTag] != etag)
                #expect((r.body.json as? [Any])?.count == 2)
            }
        }
    }
}

@Suite("Rendered resources")
struct RenderedTests {
    @Test("rendered PNG and JPEG, thumbnail, WADO-URI image/png; bad parameters are 400")
    func rendered() async throws {
        let f = try GatewayFixture()
        try await f.store(Sample.image(sop: "1.2.3.40", frames: 2))
        let instance = "/dicom-web/studies/\(Sample.study)/series/\(Sample.series)/instances/1.2.3.40"
        try await f.test { client in
            try await client.execute(uri: "\(instance)/rendered", method: .get, headers: [.accept: "image/png"]) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "image/png")
                let b = r.body.bytes
                #expect(Array(b.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
                // IHDR width and height, big endian, after the signature and chunk header.
                #expect(Array(b[16..<24]) == [0, 0, 0, 4, 0, 0, 0, 2])
            }
            try await client.execute(uri: "\(instance)/frames/2/rendered?window=200,100&quality=80", method: .get,
                                     headers: [.accept: "image/jpeg"]) { r in
                #expect(r.status == .ok)
                #expect(Array(r.body.bytes.prefix(2)) == [0xFF, 0xD8])
            }
            try await client.execute(uri: "\(instance)/frames/1,2/rendered", method: .get, headers: [.accept: "image/png"]) { r in
                let parts = try multipartParts(r.body, contentType: r.headers[.contentType])
                #expect(parts.count == 2)
            }
            try await client.execute(uri: "\(instance)/frames/3/rendered", method: .get) { r in #expect(r.status == .notFound) }
            for bad in ["window=1", "window=1,0", "viewport=0,0", "quality=101", "nonsense=1"] {
                try await client.execute(uri: "\(instance)/rendered?\(bad)", method: .get) { r in #expect(r.status == .badRequest, "\(bad)") }
            }
            try await client.execute(uri: "\(instance)/rendered", method: .get, headers: [.accept: "image/gif"]) { r in
                #expect(r.status == .notAcceptable)
            }
            try await client.execute(uri: "/dicom-web/studies/\(Sample.study)/thumbnail", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "image/jpeg")
            }
            try await client.execute(uri: "/wado?requestType=WADO&studyUID=\(Sample.study)&seriesUID=\(Sample.series)&objectUID=1.2.3.40&contentType=image/png&frameNumber=2&rows=8",
                                     method: .get) { r in
                #expect(r.status == .ok)
                let b = r.body.bytes
                #expect(Array(b[16..<24]) == [0, 0, 0, 16, 0, 0, 0, 8])   // 4x2 fitted to 8 rows: 16x8
            }
        }
    }
}
