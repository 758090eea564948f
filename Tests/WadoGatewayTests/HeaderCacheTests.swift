import DicomArchive
import DicomCore
import Foundation
import Testing
@testable import WadoGateway

@Suite("Header cache: parsed headers reused while the file is the same")
struct HeaderCacheTests {
    static func file(_ name: String) throws -> DicomFile {
        try DicomFile(dataSet: Sample.image(sop: "1.2.3.\(name.count)", name: name), transferSyntax: .explicitVRLittleEndian)
    }

    @Test("an entry is served while inode, size and mtime match, and dropped when the file was replaced")
    func identityDecides() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("header-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/object.dcm"
        let first = try Self.file("Doe^Jane")
        try Data(first.encoded()).write(to: URL(fileURLWithPath: path))
        let cache = HeaderCache(capacity: 8)
        let identity = try #require(HeaderCache.identity(of: path))
        cache.store(first, path: path, identity: identity)
        #expect(cache.file(path, identity)?.dataSet.string(.patientName) == "Doe^Jane")
        #expect(HeaderCache.identity(of: path) == identity)

        // Another file renamed over the path (what a replacement in the store amounts to).
        let second = try Self.file("Roe^Richard")
        try Data(second.encoded()).write(to: URL(fileURLWithPath: dir + "/new.part"))
        #expect(rename(dir + "/new.part", path) == 0)
        let now = try #require(HeaderCache.identity(of: path))
        #expect(now != identity)
        #expect(cache.file(path, now) == nil)
        #expect(cache.count == 0)
        #expect(HeaderCache.identity(of: dir + "/absent.dcm") == nil)
    }

    @Test("over capacity the least recently used go first")
    func eviction() throws {
        let cache = HeaderCache(capacity: 4)
        let file = try Self.file("Doe^Jane")
        let identity = HeaderCache.Identity(inode: 1, size: 1, modified: 1)
        for i in 0..<4 { cache.store(file, path: "/p\(i)", identity: identity) }
        #expect(cache.file("/p0", identity) != nil)        // p0 used last: p1 is now the oldest
        cache.store(file, path: "/p4", identity: identity)
        #expect(cache.count == 4)
        #expect(cache.file("/p1", identity) == nil)
        #expect(cache.file("/p0", identity) != nil)
        #expect(cache.file("/p4", identity) != nil)
    }

    @Test("series metadata, then a frame: the frame is served from the cached header and is right")
    func framesAfterMetadata() async throws {
        let fixture = try GatewayFixture()
        let sop = "1.2.826.0.1.3680043.2.1125.9.1.77"
        _ = try await fixture.store(Sample.image(sop: sop, frames: 3))
        let instance = try #require(try await fixture.archive.index.instance(sopInstanceUID: sop))
        let path = try #require(fixture.archive.store.localPath(instance.objectPath))
        try await fixture.test { client in
            try await client.execute(uri: "/dicom-web/studies/\(Sample.study)/series/\(Sample.series)/metadata", method: .get) { response in
                #expect(response.status == .ok)
            }
            #expect(ObjectReader.headers.file(path, try #require(HeaderCache.identity(of: path))) != nil)
            try await client.execute(uri: "/dicom-web/studies/\(Sample.study)/series/\(Sample.series)/instances/\(sop)/frames/2",
                                     method: .get, headers: [.accept: "multipart/related; type=application/octet-stream"]) { response in
                #expect(response.status == .ok)
                let parts = try multipartParts(response.body, contentType: response.headers[.contentType])
                #expect(parts.count == 1)
                #expect(parts.first?.1 == Array(Sample.pixels(frames: 3)[16..<32]))
            }
        }
    }
}
