// WADO-RS over a real socket: the path that sends stored files with sendfile (FileRegionWriter)
// only runs on a live HTTP/1 connection, so these tests start the application on 127.0.0.1:0 and
// talk to it with a NIO HTTP/1 client (which also checks the chunked framing).
import DicomArchive
import DicomCore
import DicomTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
@testable import WadoGateway

@Suite("WADO-RS over a live socket (sendfile)", .serialized)
struct LiveSocketTests {
    let base = "/dicom-web"
    static let anySyntax = "multipart/related; type=\"application/dicom\"; transfer-syntax=*"

    @Test("A series sent with sendfile is byte for byte the body of the buffered path, boundary aside")
    func sameBytesAsBufferedPath() async throws {
        let f = try GatewayFixture()
        var stored: [[UInt8]] = []
        for i in 1...5 { stored.append(try await f.store(Sample.image(sop: "1.2.3.\(i)", frames: i))) }
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)"
        let buffered = try await f.test { client in
            try await client.execute(uri: uri, method: .get, headers: [.accept: Self.anySyntax]) { $0 }
        }
        let live = try await LiveServer.run(f) { port in try await HTTPGet.fetch(port: port, uri: uri, accept: Self.anySyntax) }
        #expect(live.status == .ok)
        let liveBoundary = try #require(Self.boundary(live.contentType))
        let bufferedBoundary = try #require(Self.boundary(buffered.headers[.contentType]))
        #expect(liveBoundary.utf8.count == bufferedBoundary.utf8.count)
        // The same bytes once the (random) boundary is the same.
        let relabelled = Self.replace(Array(live.body.readableBytesView), Array(liveBoundary.utf8), with: Array(bufferedBoundary.utf8))
        #expect(relabelled == buffered.body.bytes)
        let parts = try multipartParts(live.body, contentType: live.contentType)
        #expect(parts.map(\.1) == stored)
        #expect(parts.allSatisfy { $0.0["content-type"] == "application/dicom; transfer-syntax=1.2.840.10008.1.2.1" })
        // Every part as stored: the length is known up front (RFC 9112 §6.3), not chunked.
        #expect(live.contentLength == "\(live.body.readableBytes)")
        #expect(!live.chunked)
        #expect(Self.openObjectFiles(f).isEmpty)
    }

    @Test("Two series retrieves on one keep-alive connection both arrive whole (the end of the first follows its files)")
    func keepAlive() async throws {
        let f = try GatewayFixture()
        var stored: [[UInt8]] = []
        for i in 1...3 { stored.append(try await f.store(Sample.image(sop: "1.2.3.\(i)"))) }
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)"
        let results = try await LiveServer.run(f) { port in
            try await HTTPGet.fetch(port: port, uris: [uri, uri, "\(uri)/instances/1.2.3.2"], accept: Self.anySyntax)
        }
        #expect(results.count == 3)
        for (i, r) in results.enumerated() {
            #expect(r.status == .ok)
            let parts = try multipartParts(r.body, contentType: r.contentType)
            #expect(parts.map(\.1) == (i < 2 ? stored : [stored[1]]))
        }
        #expect(Self.openObjectFiles(f).isEmpty)
    }

    @Test("A series mixing parts sent as stored (sendfile) and converted ones keeps its order and framing")
    func mixedWithTranscoding() async throws {
        let f = try GatewayFixture()
        try await f.store(Sample.image(sop: "1.2.3.1"))
        try await f.store(Sample.image(sop: "1.2.3.2"), syntax: .implicitVRLittleEndian)
        try await f.store(Sample.image(sop: "1.2.3.3"))
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)"
        let accept = "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1"
        let buffered = try await f.test { client in
            try await client.execute(uri: uri, method: .get, headers: [.accept: accept]) { $0 }
        }
        let live = try await LiveServer.run(f) { port in try await HTTPGet.fetch(port: port, uri: uri, accept: accept) }
        #expect(live.status == .ok)
        let liveParts = try multipartParts(live.body, contentType: live.contentType)
        let bufferedParts = try multipartParts(buffered.body, contentType: buffered.headers[.contentType])
        #expect(liveParts.count == 3)
        #expect(liveParts.map(\.1) == bufferedParts.map(\.1))
        // A converted part's length is known only once it is made: chunked.
        #expect(live.contentLength == nil && live.chunked)
        for part in liveParts {
            let file = try DicomFile.read(bytes: part.1)
            #expect(file.transferSyntax.uid == "1.2.840.10008.1.2.1")
            #expect(file.dataSet[.pixelData]?.bytes == Sample.pixels(frames: 1))
        }
        #expect(Self.openObjectFiles(f).isEmpty)
    }

    @Test("A client that goes away mid-series leaves no file open and the server serves the next one")
    func clientDisconnectsMidSeries() async throws {
        let f = try GatewayFixture()
        // 24 slices of 512x512x16: 12 MB, more than the socket buffers hold, so the server is
        // still sending when the client leaves.
        for i in 1...24 {
            var ds = Sample.image(sop: "1.2.3.\(i)")
            ds[.rows] = DataElement(.rows, .US, bytes: TestBytes.le16([512]))
            ds[.columns] = DataElement(.columns, .US, bytes: TestBytes.le16([512]))
            ds[.pixelData] = DataElement(.pixelData, .OW, bytes: [UInt8](repeating: UInt8(i), count: 512 * 512 * 2))
            try await f.store(ds)
        }
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)"
        try await LiveServer.run(f) { port in
            let received = try await HTTPGet.readThenClose(port: port, uri: uri, accept: Self.anySyntax, bytes: 64 * 1024)
            #expect(received >= 64 * 1024)
            // The server notices on its next write; its files are closed once the writes fail.
            var open = Self.openObjectFiles(f)
            for _ in 0..<100 where !open.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                open = Self.openObjectFiles(f)
            }
            #expect(open.isEmpty, "files left open: \(open)")
            let next = try await HTTPGet.fetch(port: port, uri: uri, accept: Self.anySyntax)
            #expect(next.status == .ok)
            let parts = try multipartParts(next.body, contentType: next.contentType)
            #expect(parts.count == 24)
            #expect(parts.last?.1.suffix(4) == [24, 24, 24, 24])
        }
        #expect(Self.openObjectFiles(f).isEmpty)
    }

    @Test("Frames that lie in the stored file go out with sendfile: the buffered path's bytes, with a Content-Length")
    func framesWithSendfile() async throws {
        let f = try GatewayFixture()
        var ds = Sample.image(sop: "1.2.3.9", frames: 5)
        ds[.rows] = DataElement(.rows, .US, bytes: TestBytes.le16([64]))
        ds[.columns] = DataElement(.columns, .US, bytes: TestBytes.le16([64]))
        let frames = (1...5).map { n in TestBytes.le16((0..<4096).map { UInt16((n * 1000 + $0) & 0x0FFF) }) }
        ds[.pixelData] = DataElement(.pixelData, .OW, bytes: frames.flatMap { $0 })
        try await f.store(ds)
        // What makes the route use sendfile: the frames lie in the stored file as one run each.
        let indexed = try #require(try await f.archive.index.instance(sopInstanceUID: "1.2.3.9"))
        let file = try DicomFile.read(path: "\(f.root)/\(indexed.objectPath)", options: ReadOptions(bulkDataThreshold: 1024, lazyPixelData: true))
        #expect(try PixelDataFrames(file).storedSpan(frame: 5)?.length == 8192)
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)/instances/1.2.3.9/frames/2,5,1"
        let accept = "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*"
        let buffered = try await f.test { client in
            try await client.execute(uri: uri, method: .get, headers: [.accept: accept]) { $0 }
        }
        let live = try await LiveServer.run(f) { port in try await HTTPGet.fetch(port: port, uri: uri, accept: accept) }
        #expect(live.status == .ok)
        let liveBoundary = try #require(Self.boundary(live.contentType))
        let bufferedBoundary = try #require(Self.boundary(buffered.headers[.contentType]))
        let relabelled = Self.replace(Array(live.body.readableBytesView), Array(liveBoundary.utf8), with: Array(bufferedBoundary.utf8))
        #expect(relabelled == buffered.body.bytes)
        let parts = try multipartParts(live.body, contentType: live.contentType)
        #expect(parts.map(\.1) == [frames[1], frames[4], frames[0]])
        #expect(live.contentLength == "\(live.body.readableBytes)")
        #expect(!live.chunked)
        #expect(Self.openObjectFiles(f).isEmpty)
    }

    @Test("A stored file gone missing ends the body without its close delimiter and leaves no file open")
    func missingFileTruncates() async throws {
        let f = try GatewayFixture()
        for i in 1...6 { try await f.store(Sample.image(sop: "1.2.3.\(i)")) }
        let gone = try #require(try await f.archive.index.instance(sopInstanceUID: "1.2.3.4"))
        try FileManager.default.removeItem(atPath: "\(f.root)/\(gone.objectPath)")
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)"
        try await LiveServer.run(f) { port in
            let result = try? await HTTPGet.fetch(port: port, uri: uri, accept: Self.anySyntax)
            if let result {
                // Whatever arrived must not pass for a whole body.
                let text = String(decoding: result.body.readableBytesView, as: UTF8.self)
                let boundary = Self.boundary(result.contentType) ?? "?"
                #expect(!text.contains("--\(boundary)--"))
            }
            #expect(Self.openObjectFiles(f).isEmpty)
            let one = try await HTTPGet.fetch(port: port, uri: "\(uri)/instances/1.2.3.5", accept: Self.anySyntax)
            #expect(one.status == .ok)
        }
    }

    @Test("A stored file whose size is not the indexed one is not sent: the body, announced with its Content-Length, ends short")
    func sizeMismatchTruncates() async throws {
        let f = try GatewayFixture()
        for i in 1...4 { try await f.store(Sample.image(sop: "1.2.3.\(i)")) }
        let changed = try #require(try await f.archive.index.instance(sopInstanceUID: "1.2.3.3"))
        let handle = try #require(FileHandle(forWritingAtPath: "\(f.root)/\(changed.objectPath)"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0, count: 10))
        try handle.close()
        let uri = "\(base)/studies/\(Sample.study)/series/\(Sample.series)"
        try await LiveServer.run(f) { port in
            let result = try? await HTTPGet.fetch(port: port, uri: uri, accept: Self.anySyntax)
            if let result {
                let text = String(decoding: result.body.readableBytesView, as: UTF8.self)
                #expect(!text.contains("--\(Self.boundary(result.contentType) ?? "?")--"))
                #expect(result.contentLength != "\(result.body.readableBytes)")
            }
            #expect(Self.openObjectFiles(f).isEmpty)
            let one = try await HTTPGet.fetch(port: port, uri: "\(uri)/instances/1.2.3.2", accept: Self.anySyntax)
            #expect(one.status == .ok)
        }
    }

    // MARK: - Helpers

    static func boundary(_ contentType: String?) -> String? {
        guard let contentType, let media = try? MediaRange.parseRange(contentType) else { return nil }
        return media.parameters["boundary"]
    }

    static func replace(_ bytes: [UInt8], _ old: [UInt8], with new: [UInt8]) -> [UInt8] {
        precondition(old.count == new.count && !old.isEmpty)
        var out = bytes
        var i = 0
        while i + old.count <= out.count {
            if out[i..<(i + old.count)].elementsEqual(old) {
                out.replaceSubrange(i..<(i + old.count), with: new)
                i += old.count
            } else {
                i += 1
            }
        }
        return out
    }

    /// This process's descriptors open on the fixture's stored objects.
    static func openObjectFiles(_ f: GatewayFixture) -> [String] {
        let objects = URL(fileURLWithPath: f.root).resolvingSymlinksInPath().path + "/objects/"
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)") else { return nil }
            return target.hasPrefix(objects) || target.hasPrefix(f.root + "/objects/") ? target : nil
        }
    }
}

/// The gateway's application on 127.0.0.1 and a free port, for the length of `body`.
enum LiveServer {
    static func run<T: Sendable>(_ f: GatewayFixture, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        var settings = GatewaySettings()
        settings.host = "127.0.0.1"
        settings.port = 0
        var logger = Logger(label: "live-test")
        logger.logLevel = .critical   // cancelling the server at the end logs errors that mean nothing here
        let gateway = DicomWebGateway(archive: f.archive, settings: settings, logger: logger)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = gateway.makeApplication { port in
            portSink.yield(port)
            portSink.finish()
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw LiveTestError.noPort }
            let result = try await body(port)
            group.cancelAll()
            while let _ = try? await group.next() {}
            return result
        }
    }
}

enum LiveTestError: Error { case noPort, noResponse }

/// A minimal HTTP/1.1 client on NIO (the decoder undoes the chunked framing).
enum HTTPGet {
    struct Result: Sendable {
        var status: HTTPResponseStatus
        var contentType: String?
        var body: ByteBuffer
        var contentLength: String? = nil
        var chunked = false
    }

    static func fetch(port: Int, uri: String, accept: String) async throws -> Result {
        guard let result = try await fetch(port: port, uris: [uri], accept: accept).first else { throw LiveTestError.noResponse }
        return result
    }

    /// GETs `uris` one after the other on one keep-alive connection.
    static func fetch(port: Int, uris: [String], accept: String) async throws -> [Result] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "127.0.0.1:\(port)")
            headers.add(name: "Accept", value: accept)
            var results: [Result] = []
            var responses = inbound.makeAsyncIterator()
            for uri in uris {
                try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)))
                try await outbound.write(.end(nil))
                var head: HTTPResponseHead?
                var body = ByteBuffer()
                reading: while let part = try await responses.next() {
                    switch part {
                    case .head(let h): head = h
                    case .body(var b): body.writeBuffer(&b)
                    case .end: break reading
                    }
                }
                guard let head else { throw LiveTestError.noResponse }
                results.append(Result(status: head.status, contentType: head.headers.first(name: "Content-Type"), body: body,
                                      contentLength: head.headers.first(name: "Content-Length"),
                                      chunked: head.headers.first(name: "Transfer-Encoding")?.lowercased() == "chunked"))
            }
            return results
        }
    }

    /// Sends a GET, reads at least `bytes` bytes of the raw response with a small receive
    /// buffer, then closes the connection; returns how many bytes it read.
    static func readThenClose(port: Int, uri: String, accept: String, bytes: Int) async throws -> Int {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET \(uri) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: \(accept)\r\n\r\n"))
            var received = 0
            for try await chunk in inbound {
                received += chunk.readableBytes
                if received >= bytes { break }
            }
            return received
        }
    }
}
