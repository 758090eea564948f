import DicomArchive
import DicomCore
import Foundation
import HTTPTypes
import Testing
@testable import WadoGateway

@Suite("Header cache: parsed headers reused while the file is the same")
struct HeaderCacheTests {
    /// A directory of its own in the temporary directory, removed with the value.
    final class Scratch {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("header-cache-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func file(_ name: String) throws -> DicomFile {
        try DicomFile(dataSet: Sample.image(sop: "1.2.3.\(name.count)", name: name), transferSyntax: .explicitVRLittleEndian)
    }

    @Test("an entry is served while inode, size and mtime match, and dropped when the file was replaced")
    func identityDecides() throws {
        let scratch = try Scratch()
        let dir = scratch.path
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

    @Test("the index's answer is kept with the header: served while no instance was replaced or dropped and the file is the same")
    func indexAnswer() throws {
        let scratch = try Scratch()
        let dir = scratch.path
        let path = dir + "/objects/ab/x.dcm"
        try FileManager.default.createDirectory(atPath: dir + "/objects/ab", withIntermediateDirectories: true)
        let file = try Self.file("Doe^Jane")
        try Data(file.encoded()).write(to: URL(fileURLWithPath: path))
        let instance = IndexedInstance(sopInstanceUID: "1.2.3.8", sopClassUID: Sample.ct, studyInstanceUID: Sample.study,
                                       seriesInstanceUID: Sample.series, objectPath: "objects/ab/x.dcm", fileSize: 10,
                                       transferSyntaxUID: "1.2.840.10008.1.2.1")
        let local: (String) -> String? = { dir + "/" + $0 }
        let cache = HeaderCache(capacity: 8)
        let identity = try #require(HeaderCache.identity(of: path))
        cache.store(file, path: path, identity: identity)
        #expect(cache.instance("1.2.3.8", removals: 0, path: local) == nil)      // a header alone answers nothing
        cache.store(file, path: path, identity: identity, answer: (instance, removals: 3))
        #expect(cache.instance("1.2.3.8", removals: 3, path: local)?.0 == instance)
        #expect(cache.instance("1.2.3.8", removals: 3, path: local)?.1.dataSet.string(.patientName) == "Doe^Jane")
        #expect(cache.instance("1.2.3.9", removals: 3, path: local) == nil)
        // Another archive holding the same instance under another root.
        #expect(cache.instance("1.2.3.8", removals: 3, path: { "/elsewhere/" + $0 }) == nil)
        // An instance replaced or dropped since: the answer may be out of date.
        #expect(cache.instance("1.2.3.8", removals: 4, path: local) == nil)
        // The file replaced under the same name.
        try Data(Self.file("Roe^Richard").encoded()).write(to: URL(fileURLWithPath: dir + "/new.part"))
        #expect(rename(dir + "/new.part", path) == 0)
        #expect(cache.instance("1.2.3.8", removals: 3, path: local) == nil)
    }

    @Test("metadata, the instance replaced, then a frame: the new pixels, not the remembered file's")
    func replacedAfterMetadata() async throws {
        let fixture = try GatewayFixture { $0.duplicatePolicy = .replace }
        let sop = "1.2.826.0.1.3680043.2.1125.9.1.78"
        _ = try await fixture.store(Sample.image(sop: sop, frames: 2))
        let frameURI = "/dicom-web/studies/\(Sample.study)/series/\(Sample.series)/instances/\(sop)/frames/2"
        let accept: HTTPFields = [.accept: "multipart/related; type=application/octet-stream"]
        try await fixture.test { client in
            try await client.execute(uri: "/dicom-web/studies/\(Sample.study)/series/\(Sample.series)/metadata", method: .get) { response in
                #expect(response.status == .ok)
            }
            let before = fixture.archive.removals
            #expect(ObjectReader.headers.instance(sop, removals: before, path: { fixture.archive.store.localPath($0) }) != nil)
            try await client.execute(uri: frameURI, method: .get, headers: accept) { response in
                let parts = try multipartParts(response.body, contentType: response.headers[.contentType])
                #expect(parts.first?.1 == Array(Sample.pixels(frames: 2)[16..<32]))
            }
        }
        // The same instance again with other pixels (every byte inverted).
        var replacement = Sample.image(sop: sop, frames: 2)
        let inverted = Sample.pixels(frames: 2).map { ~$0 }
        replacement[.pixelData] = DataElement(.pixelData, .OW, bytes: inverted)
        _ = try await fixture.store(replacement)
        #expect(fixture.archive.removals > 0)
        try await fixture.test { client in
            try await client.execute(uri: frameURI, method: .get, headers: accept) { response in
                #expect(response.status == .ok)
                let parts = try multipartParts(response.body, contentType: response.headers[.contentType])
                #expect(parts.first?.1 == Array(inverted[16..<32]))
            }
        }
    }
}
