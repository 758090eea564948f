#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DicomCore

extension Archive {
    /// Imports a file from disk (CLI `dicomnode import`) through the one ingest path.
    ///
    /// A Part 10 file (preamble, "DICM", meta group with a Transfer Syntax UID) is copied into
    /// staging byte for byte. Anything else (a raw data set, or a file whose meta group is
    /// missing) gets a File Meta Information group built for it (PS3.10 §7.1) in the transfer
    /// syntax its bytes were read in.
    /// - Throws: `.unreadable` when the file is not DICOM, `.io` when it cannot be read, and
    ///   whatever `ingest` throws.
    public func importFile(at path: String, context: IngestContext) async throws(ArchiveError) -> IngestResult {
        let staged = try makeStagingFile()
        do throws(ArchiveError) {
            try await BlockingIO.run { () throws(ArchiveError) in try Self.stage(path: path, into: staged) }
        } catch {
            staged.discard()
            throw error
        }
        return try await ingest(staged, context: context)
    }

    static func stage(path: String, into staged: StagingFile) throws(ArchiveError) {
        let head: DicomFile
        do {
            head = try DicomFile.read(path: path, options: .headersOnly)
        } catch {
            if case .io = error.reason { throw .io("read \(path): \(error)") }
            throw .unreadable("\(error)")
        }
        let hasMeta = head.preamble != nil && head.hasPrefix && head.fileMetaInformation[.transferSyntaxUID] != nil
        if hasMeta {
            try copy(path: path, into: staged)
            return
        }
        let file: DicomFile
        do {
            file = try DicomFile.read(path: path, options: .default)
        } catch {
            throw .unreadable("\(error)")
        }
        var ds = file.dataSet
        // A broken file can carry meta elements in the data set; they belong in the new meta group only.
        ds.removeAll { $0.tag.group == 0x0002 }
        let rebuilt = DicomFile(dataSet: ds, transferSyntax: file.transferSyntax)
        let bytes: [UInt8]
        do {
            bytes = try rebuilt.encoded(options: .exact)
        } catch {
            throw .unreadable("cannot re-encode with a File Meta group: \(error)")
        }
        try staged.write(bytes)
    }

    /// Copies a file into staging in 1 MiB pieces.
    static func copy(path: String, into staged: StagingFile) throws(ArchiveError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.from(errno: errno, "open \(path)") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress, raw.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.from(errno: errno, "read \(path)")
            }
            if n == 0 { return }
            var failure: ArchiveError?
            buffer.withUnsafeBytes { raw in
                do throws(ArchiveError) {
                    try staged.write(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        }
    }
}
