// Reading stored objects for responses: in chunks, on the archive's blocking threads, so that a
// series streams file by file with memory bounded by one chunk per connection.
import DicomArchive
import DicomCore
import Hummingbird
import NIOCore

enum ObjectReader {
    /// Bytes per read: large enough that a 500-file series costs few thread hops.
    static let chunkSize = 1 << 20

    /// Writes `count` bytes of `source` from `offset` to `writer`, a chunk at a time.
    static func copy(_ source: any ByteSource, offset: UInt64 = 0, count: UInt64, to writer: inout any ResponseBodyWriter) async throws {
        var position = offset
        let end = offset + count
        while position < end {
            let n = Int(min(UInt64(chunkSize), end - position))
            let at = position
            let buffer = try await BlockingIO.run { () throws(ArchiveError) -> ByteBuffer in
                var buffer = ByteBufferAllocator().buffer(capacity: n)
                var failure: DicomReadError?
                let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { raw in
                    do throws(DicomReadError) {
                        return try source.read(at: at, into: UnsafeMutableRawBufferPointer(rebasing: raw.prefix(n)))
                    } catch {
                        failure = error
                        return 0
                    }
                }
                if let failure { throw ArchiveError.io("\(failure)") }
                if read == 0 { throw ArchiveError.io("object shorter than indexed") }
                return buffer
            }
            position += UInt64(buffer.readableBytes)
            try await writer.write(buffer)
        }
    }

    /// A multipart part of `application/dicom`, ready to write.
    enum Part: Sendable {
        /// Delimiter, headers, the object and the CRLF that ends it, in one buffer.
        case whole(ByteBuffer)
        /// An object too large for one buffer: its delimiter and headers; the object is copied in chunks.
        case streamed(header: ByteBuffer, source: any ByteSource)
    }

    /// Objects up to this size go out as one buffer (one read, one write).
    static let wholePartLimit = 8 << 20

    /// The part for `instance` in `syntax`: as stored (one read when it fits a buffer) or converted.
    static func part(_ instance: IndexedInstance, syntax: String, boundary: String, in archive: Archive) async throws -> Part {
        let header = Multipart.partHeader(boundary: boundary, contentType: "application/dicom; transfer-syntax=\(syntax)")
        if syntax != instance.transferSyntaxUID {
            let bytes = try await TransferSyntaxNegotiation.converted(instance, to: syntax, in: archive)
            var buffer = ByteBufferAllocator().buffer(capacity: header.utf8.count + bytes.count + 2)
            buffer.writeString(header)
            buffer.writeBytes(bytes)
            buffer.writeString("\r\n")
            return .whole(buffer)
        }
        return try await BlockingIO.run { () throws(ArchiveError) -> Part in
            let source = try archive.store.open(instance.objectPath)
            // The response's Content-Length counts the indexed size (RetrieveRoutes.retrieve).
            guard source.length == UInt64(max(0, instance.fileSize)) else {
                throw ArchiveError.io("object \(instance.objectPath) holds \(source.length) bytes, the index says \(instance.fileSize)")
            }
            guard source.length <= UInt64(wholePartLimit) else { return .streamed(header: ByteBuffer(string: header), source: source) }
            let n = Int(source.length)
            var buffer = ByteBufferAllocator().buffer(capacity: header.utf8.count + n + 2)
            buffer.writeString(header)
            var done = 0
            var failure: DicomReadError?
            while done < n, failure == nil {
                let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n - done) { raw in
                    do throws(DicomReadError) {
                        return try source.read(at: UInt64(done), into: UnsafeMutableRawBufferPointer(rebasing: raw.prefix(n - done)))
                    } catch {
                        failure = error
                        return 0
                    }
                }
                if read == 0 && failure == nil { throw ArchiveError.io("object \(instance.objectPath) shorter than indexed") }
                done += read
            }
            if let failure { throw ArchiveError.io("\(failure)") }
            buffer.writeString("\r\n")
            return .whole(buffer)
        }
    }

    /// Opens an indexed object.
    static func open(_ instance: IndexedInstance, in archive: Archive) async throws(DicomWebError) -> any ByteSource {
        do {
            return try await BlockingIO.run { () throws(ArchiveError) -> any ByteSource in
                try archive.store.open(instance.objectPath)
            }
        } catch {
            throw DicomWebError.archive(error)
        }
    }

    /// The stored object of `instance`, opened as `source`, with Pixel Data and values over 1 KiB
    /// left in the file, read on the calling (blocking) thread. An object that does not parse is a
    /// 500 naming the instance, returned rather than thrown so that a caller's blocking closure
    /// can pass it on.
    static func header(_ instance: IndexedInstance, source: any ByteSource) -> Result<DicomFile, DicomWebError> {
        do throws(DicomReadError) {
            return .success(try DicomFile.read(source: source, options: ReadOptions(bulkDataThreshold: 1024, lazyPixelData: true)))
        } catch {
            return .failure(DicomWebError(.internalServerError, "instance \(instance.sopInstanceUID) cannot be read: \(error)"))
        }
    }

    /// The bytes of a byte value, read on a blocking thread when they were left in the file; nil
    /// for a sequence or encapsulated Pixel Data.
    static func bytes(of element: DataElement) async throws(DicomWebError) -> [UInt8]? {
        switch element.value {
        case .bytes(let b): return b
        case .bulkData(let ref):
            do {
                return try await BlockingIO.run { () throws(ArchiveError) -> [UInt8] in
                    do throws(DicomReadError) { return try ref.load() } catch { throw ArchiveError.io("\(error)") }
                }
            } catch {
                throw DicomWebError.archive(error)
            }
        case .sequence, .encapsulated:
            return nil
        }
    }

    /// Reads an indexed object's data set, leaving Pixel Data and values longer than
    /// `bulkDataThreshold` in the file.
    static func dataSet(_ instance: IndexedInstance, in archive: Archive, bulkDataThreshold: UInt64 = 1024)
        async throws(DicomWebError) -> DicomFile {
        do {
            return try await BlockingIO.run { () throws(ArchiveError) -> DicomFile in
                try header(instance, in: archive, bulkDataThreshold: bulkDataThreshold)
            }
        } catch {
            throw DicomWebError.archive(error)
        }
    }

    /// `dataSet` on the calling (blocking) thread. Headers read with the default threshold from
    /// local files are kept in `headers` and checked against the file's identity on every use.
    /// - Parameter removals: `archive.removals` read before the index gave `instance`: the
    ///   answer is then kept with the header (`HeaderCache.instance`).
    static func header(_ instance: IndexedInstance, in archive: Archive, bulkDataThreshold: UInt64 = 1024,
                       removals: UInt64? = nil) throws(ArchiveError) -> DicomFile {
        let cached = bulkDataThreshold == 1024 ? archive.store.localPath(instance.objectPath) : nil
        let identity = cached.flatMap(HeaderCache.identity(of:))
        let answer = removals.map { (instance, removals: $0) }
        if let cached, let identity, let file = headers.file(cached, identity) {
            if answer != nil { headers.store(file, path: cached, identity: identity, answer: answer) }
            return file
        }
        let source = try archive.store.open(instance.objectPath)
        let file: DicomFile
        do throws(DicomReadError) {
            file = try DicomFile.read(source: source, options: ReadOptions(bulkDataThreshold: bulkDataThreshold, lazyPixelData: true))
        } catch {
            throw ArchiveError.unreadable("\(error)")
        }
        if let cached, let identity { headers.store(file, path: cached, identity: identity, answer: answer) }
        return file
    }

    /// Parsed headers of the objects read last (see HeaderCache): 1,024 files' worth.
    static let headers = HeaderCache(capacity: 1024)
}
