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

    /// Reads an indexed object's data set, leaving Pixel Data and values longer than
    /// `bulkDataThreshold` in the file.
    static func dataSet(_ instance: IndexedInstance, in archive: Archive, bulkDataThreshold: UInt64 = 1024)
        async throws(DicomWebError) -> DicomFile {
        do {
            return try await BlockingIO.run { () throws(ArchiveError) -> DicomFile in
                let source = try archive.store.open(instance.objectPath)
                do throws(DicomReadError) {
                    return try DicomFile.read(source: source, options: ReadOptions(bulkDataThreshold: bulkDataThreshold, lazyPixelData: true))
                } catch {
                    throw ArchiveError.unreadable("\(error)")
                }
            }
        } catch {
            throw DicomWebError.archive(error)
        }
    }
}
