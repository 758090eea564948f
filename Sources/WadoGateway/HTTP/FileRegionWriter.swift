// Multipart parts whose bodies are stored files, sent with sendfile: each file goes to NIOHTTP1's
// HTTPResponseEncoder as a FileRegion (IOData.fileRegion), so its bytes never enter user space.
//
// Hummingbird's ResponseBodyWriter takes ByteBuffers only, and hands them to NIOAsyncChannel's
// outbound writer without waiting for the socket. So the parts go in one step lower: through the
// context of NIOHTTPTypesHTTP1's HTTP1ToHTTPServerCodec, whose outbound side is where
// HTTPResponsePart becomes HTTPServerResponsePart (body: IOData). The encoder frames them as chunks
// of the chunked response Hummingbird has started, exactly as it would ByteBuffers; the body bytes
// the client decodes are the same.
//
// Order: Hummingbird writes the response head, and a ByteBuffer written through the body writer has
// been handed to the event loop, before that write returns (NIOAsyncWriter.yield returns once
// didYield ran, which queues the write on the event loop). Our writes are queued on the same event
// loop after it, so they follow; and `write` returns only when every part it queued has been
// written to the socket (or failed), so what the body writer writes next follows them too.
//
// Memory: at most `window` parts are queued per connection, and they hold an open file each, not
// their bytes; a slow client leaves those files waiting, not buffers. Files are opened on the event
// loop (an open of a cached path is a few microseconds). An uncached file would make sendfile wait
// for the disk on the event loop, the usual price of FileRegion: each file is given to the kernel's
// read-ahead (posix_fadvise WILLNEED) when it is queued, up to `window` parts before it is sent.
//
// Not for TLS (a TLS handler cannot take a FileRegion): the gateway serves plain HTTP/1, and an
// HTTP/2 stream has no HTTP1ToHTTPServerCodec, so `connection(_:)` answers nil there.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

struct FileRegionWriter: Sendable {
    /// One part: its leading bytes (delimiter and headers, and the CRLF that ended the part
    /// before) and the file that is its body.
    struct Part: Sendable {
        var header: ByteBuffer
        var path: String
        /// The file's size as indexed: a file of another size is not sent (the part fails), since
        /// the response's Content-Length counts on it.
        var size: Int
        /// The bytes of the file that are the part's body (a frame's); nil: the whole file.
        var bytes: Range<Int>? = nil
    }

    /// A stored file whose size is not the indexed one.
    struct SizeMismatch: Error, CustomStringConvertible {
        var path: String
        var expected: Int
        var found: Int
        var description: String { "\(path) holds \(found) bytes, the index says \(expected)" }
    }

    /// A part that could not be sent, and why.
    struct Failure: Error, CustomStringConvertible {
        /// Index of the part in the list given to `write`; nil when the connection failed.
        var part: Int?
        var underlying: any Error
        var description: String { "\(part.map { "part \($0): " } ?? "")\(underlying)" }
    }

    let channel: any Channel

    /// Parts queued at once on a connection: enough that the socket always has the next file
    /// waiting, few enough that a connection holds at most this many open files.
    static let window = 4

    /// The writer for `channel` when it is a plain HTTP/1 connection (its pipeline has the
    /// HTTPTypes ↔ HTTP/1 codec); nil otherwise (a test channel, an HTTP/2 stream).
    static func connection(_ channel: any Channel) async -> FileRegionWriter? {
        let found = try? await channel.eventLoop.submit {
            (try? channel.pipeline.syncOperations.context(handlerType: HTTP1ToHTTPServerCodec.self)) != nil
        }.get()
        return found == true ? FileRegionWriter(channel: channel) : nil
    }

    /// Writes `parts` in order, each header then its file, keeping at most `window` parts queued.
    /// Returns when all are written to the socket; every file it opened is closed by then.
    /// - Throws: `Failure` naming the part that could not be opened, or the write error (the
    ///   client went away); parts after it are not sent.
    func write(_ parts: [Part], window: Int = FileRegionWriter.window) async throws {
        guard try await Self.write(parts, on: channel, window: window) else {
            throw Failure(part: nil, underlying: ChannelError.operationUnsupported)
        }
    }

    /// `write` in one trip to the event loop, for a response that needs no other answer from
    /// `connection(_:)`: false, with nothing written, when `channel` is not a plain HTTP/1
    /// connection (the caller then sends the parts another way).
    static func write(_ parts: [Part], trailer: ByteBuffer? = nil, on channel: any Channel,
                      window: Int = FileRegionWriter.window) async throws -> Bool {
        guard !parts.isEmpty else { return true }
        return try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Bool> in
            guard let context = try? channel.pipeline.syncOperations.context(handlerType: HTTP1ToHTTPServerCodec.self) else {
                return channel.eventLoop.makeSucceededFuture(false)
            }
            let pump = Pump(context: context, parts: parts, trailer: trailer, window: max(1, window))
            pump.run()
            return pump.done.futureResult.map { true }
        }.get()
    }

    /// Keeps up to `window` parts queued, queueing the next as each one's file is written.
    /// Lives on the channel's event loop.
    private final class Pump {
        let context: ChannelHandlerContext
        let parts: [Part]
        /// Written after the last part, in the same flush (a multipart body's closing delimiter).
        let trailer: ByteBuffer?
        let window: Int
        let done: EventLoopPromise<Void>
        var next = 0
        var inFlight = 0
        var failure: Failure?
        var running = false
        var again = false

        init(context: ChannelHandlerContext, parts: [Part], trailer: ByteBuffer?, window: Int) {
            self.context = context
            self.parts = parts
            self.trailer = trailer
            self.window = window
            self.done = context.eventLoop.makePromise()
        }

        /// Queues parts while the window allows. A write can complete inside `flush` (or at
        /// once, on a closed channel), calling back in here: that only asks for another pass.
        func run() {
            if running { again = true; return }
            running = true
            repeat {
                again = false
                var queued = false
                while failure == nil, inFlight < window, next < parts.count {
                    queue(next)
                    next += 1
                    queued = true
                }
                if queued { context.flush() }
            } while again
            running = false
            if inFlight == 0, failure != nil || next == parts.count {
                if let failure { done.fail(failure) } else { done.succeed() }
            }
        }

        private func queue(_ index: Int) {
            let handle: NIOFileHandle
            let region: FileRegion
            do {
                handle = try NIOFileHandle(_deprecatedPath: parts[index].path)
                do {
                    let whole = try FileRegion(fileHandle: handle)
                    guard whole.readableBytes == parts[index].size else {
                        throw SizeMismatch(path: parts[index].path, expected: parts[index].size, found: whole.readableBytes)
                    }
                    if let bytes = parts[index].bytes {
                        guard bytes.lowerBound >= 0, bytes.upperBound <= whole.readableBytes else {
                            throw SizeMismatch(path: parts[index].path, expected: bytes.upperBound, found: whole.readableBytes)
                        }
                        region = FileRegion(fileHandle: handle, readerIndex: bytes.lowerBound, endIndex: bytes.upperBound)
                    } else {
                        region = whole
                    }
                } catch {
                    try? handle.close()
                    throw error
                }
            } catch {
                failure = failure ?? Failure(part: index, underlying: error)
                return
            }
            // Ask the kernel to start reading the file now (POSIX_FADV_WILLNEED only schedules the
            // read-ahead): by the time the parts queued before it are on the wire, sendfile finds
            // it in the page cache instead of waiting for the disk on the event loop.
            _ = try? handle.withUnsafeFileDescriptor { fd in
                posix_fadvise(fd, off_t(region.readerIndex), off_t(region.readableBytes), POSIX_FADV_WILLNEED)
            }
            inFlight += 1
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(parts[index].header))), promise: nil)
            let written = context.eventLoop.makePromise(of: Void.self)
            context.write(NIOAny(HTTPServerResponsePart.body(.fileRegion(region))), promise: written)
            if index == parts.count - 1, let trailer {
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(trailer))), promise: nil)
            }
            written.futureResult.assumeIsolated().whenComplete { result in
                // The region's write is over (done or failed): the file is no longer in use.
                try? handle.close()
                self.inFlight -= 1
                if case .failure(let error) = result, self.failure == nil {
                    self.failure = Failure(part: nil, underlying: error)
                }
                self.run()
            }
        }
    }
}
