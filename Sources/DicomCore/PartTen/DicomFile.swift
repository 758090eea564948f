/// A DICOM file (PS3.10 §7): optional 128-byte preamble and "DICM" prefix, the File Meta
/// Information group (0002), and the data set in its transfer syntax.
///
/// A file read and written back unchanged reproduces its bytes exactly (except that a deflated
/// data set is deflated anew: the inflated bytes are identical). `normalized()` and
/// `converted(to:)` make a conforming Part 10 file.
public struct DicomFile: Sendable, Equatable {
    /// The preamble as read (128 bytes), or nil when the source had none.
    public var preamble: [UInt8]?
    /// "DICM" was present (with or without the preamble).
    public var hasPrefix: Bool
    public var fileMetaInformation: DataSet
    /// How the meta group was encoded (Explicit VR Little Endian unless the writer erred).
    public var fileMetaEncoding: DataSetEncoding
    public var dataSet: DataSet
    /// The transfer syntax of the data set: from (0002,0010), or guessed from the bytes.
    public var transferSyntax: TransferSyntax
    /// The encoding the data set's bytes really have (differs from the syntax's in broken files).
    public var dataSetEncoding: DataSetEncoding
    /// Offset of the data set in the source (in the inflated stream for deflated files).
    public var dataSetOffset: UInt64

    public init(dataSet: DataSet, fileMetaInformation: DataSet, transferSyntax: TransferSyntax,
                preamble: [UInt8]? = [UInt8](repeating: 0, count: 128)) {
        self.preamble = preamble
        self.hasPrefix = true
        self.fileMetaInformation = fileMetaInformation
        self.fileMetaEncoding = .explicitLittle
        self.dataSet = dataSet
        self.transferSyntax = transferSyntax
        self.dataSetEncoding = DataSetEncoding(transferSyntax)
        self.dataSetOffset = 0
    }

    /// A new Part 10 file for `dataSet` with a File Meta group that PS3.10 §7.1 requires.
    public init(dataSet: DataSet, transferSyntax: TransferSyntax, sourceApplicationEntityTitle: String? = nil) {
        let meta = DicomFile.makeFileMeta(for: dataSet, transferSyntax: transferSyntax,
                                          sourceApplicationEntityTitle: sourceApplicationEntityTitle)
        self.init(dataSet: dataSet, fileMetaInformation: meta, transferSyntax: transferSyntax)
    }

    // MARK: - Reading

    /// Reads a file from disk. Values are read as they are reached; with `options` large values
    /// stay in the file (`lazyPixelData`, `bulkDataThreshold`) and reading can stop early.
    /// - Throws: `DicomReadError` with the byte offset and element.
    public static func read(path: String, options: ReadOptions = .default) throws(DicomReadError) -> DicomFile {
        try read(source: FileByteSource(path: path), options: options)
    }

    public static func read(bytes: [UInt8], options: ReadOptions = .default) throws(DicomReadError) -> DicomFile {
        try read(source: MemoryByteSource(bytes), options: options)
    }

    public static func read(source: ByteSource, options: ReadOptions = .default) throws(DicomReadError) -> DicomFile {
        let length = source.length
        guard length >= 8 else {
            throw DicomReadError(.notDICOM("only \(length) bytes"), offset: 0)
        }
        let headLength = Int(min(length, 136))
        let head = try source.bytes(at: 0, count: headLength)
        var offset: UInt64 = 0
        var preamble: [UInt8]? = nil
        var hasPrefix = false
        if headLength >= 132, head[128] == 0x44, head[129] == 0x49, head[130] == 0x43, head[131] == 0x4D {
            preamble = Array(head[0..<128])
            hasPrefix = true
            offset = 132
        } else if head[0] == 0x44, head[1] == 0x49, head[2] == 0x43, head[3] == 0x4D {
            hasPrefix = true
            offset = 4
        }

        var meta = DataSet()
        var metaEncoding = DataSetEncoding.explicitLittle
        let groupBytes = try source.bytes(at: offset, count: 2)
        if groupBytes[0] == 0x02 && groupBytes[1] == 0x00 {
            let reader = DataSetReader(source: source, start: offset, options: ReadOptions(maxDepth: options.maxDepth))
            (meta, metaEncoding) = try reader.readMetaGroup()
            offset = reader.position
        } else if hasPrefix && preamble != nil {
            // "DICM" but no meta group: PS3.10 §7.1 violated; read the data set by guessing.
        }

        let transferSyntax: TransferSyntax
        if let ts = meta[.transferSyntaxUID]?.bytes, !ts.isEmpty {
            transferSyntax = TransferSyntax(uid: String(decoding: ts, as: UTF8.self))
        } else {
            transferSyntax = try guessTransferSyntax(source: source, at: offset, claimsDICOM: !meta.isEmpty || hasPrefix)
        }

        var file = DicomFile(dataSet: DataSet(), fileMetaInformation: meta, transferSyntax: transferSyntax, preamble: preamble)
        file.hasPrefix = hasPrefix
        file.fileMetaEncoding = metaEncoding

        if transferSyntax.isDeflated {
            let compressed = try source.bytes(at: offset, count: Int(length - offset))
            let inflated: [UInt8]
            do {
                inflated = try Deflate.inflate(compressed, limit: options.maxInflatedSize)
            } catch {
                throw DicomReadError(.deflate("\(error)"), offset: offset)
            }
            let reader = DataSetReader(source: MemoryByteSource(inflated), options: options, canReference: false)
            (file.dataSet, file.dataSetEncoding) = try reader.readDetectingEncoding(DataSetEncoding(transferSyntax))
            file.dataSetOffset = 0
        } else {
            let reader = DataSetReader(source: source, start: offset, options: options)
            (file.dataSet, file.dataSetEncoding) = try reader.readDetectingEncoding(DataSetEncoding(transferSyntax))
            file.dataSetOffset = offset
        }
        // The test guessTransferSyntax makes of the first tag read, made of the first tag in order
        // too: the data set written back starts with that one.
        if meta.isEmpty && !hasPrefix, let group = file.dataSet.elements.first?.tag.group, group % 2 == 1, group <= 0x0007 {
            throw DicomReadError(.notDICOM("first tag (\(hex4(group)),…) is not a data set's"), offset: offset)
        }
        return file
    }

    /// A raw data set without meta: the first element's bytes tell the byte order and VR form.
    static func guessTransferSyntax(source: ByteSource, at offset: UInt64, claimsDICOM: Bool) throws(DicomReadError) -> TransferSyntax {
        guard source.length - offset >= 8 else {
            throw DicomReadError(.notDICOM("no data set after the header"), offset: offset)
        }
        let h = try source.bytes(at: offset, count: 8)
        let little = UInt16(h[1]) << 8 | UInt16(h[0])
        let big = UInt16(h[0]) << 8 | UInt16(h[1])
        let explicit = VR(byte0: h[4], byte1: h[5]) != nil
        // Explicit VR: the byte order in which the first value length fits the source, when only
        // one does (a group such as 0000, 5300 or 6000 misleads the comparison below).
        let bigFirst: Bool
        var fits: (big: Bool, little: Bool) = (false, false)
        if let vr = VR(byte0: h[4], byte1: h[5]) {
            let long = vr.hasLongExplicitLength
            let header: UInt64 = long ? 12 : 8
            let l = long && source.length - offset >= 12 ? try source.bytes(at: offset + 8, count: 4) : Array(h[6..<8])
            let lengthBig = l.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lengthLittle = l.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let rest = source.length - offset >= header ? source.length - offset - header : 0
            fits = (lengthBig <= rest, lengthLittle <= rest)
        }
        if fits.big != fits.little {
            bigFirst = fits.big
        } else {
            // The smaller tag wins; whole tags, so that a group of 0000 is decided by the element.
            bigFirst = UInt32(big) << 16 | UInt32(h[2]) << 8 | UInt32(h[3]) < UInt32(little) << 16 | UInt32(h[3]) << 8 | UInt32(h[2])
        }
        if bigFirst {
            return explicit ? .explicitVRBigEndian : .implicitVRLittleEndian
        }
        // A plausible first group: even and not absurd for a data set's start.
        // Without a meta group or "DICM", a first group of 0001–0007 means this is not a data set.
        guard claimsDICOM || little % 2 == 0 || little > 0x0007 else {
            throw DicomReadError(.notDICOM("first tag (\(hex4(little)),…) is not a data set's"), offset: offset)
        }
        return explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian
    }

    // MARK: - Writing

    /// The file's bytes, as read or as built: preamble, prefix, meta group and data set.
    public func encoded(options: WriteOptions = .exact) throws(DicomWriteError) -> [UInt8] {
        var out: [UInt8] = []
        try write(options: options) { bytes throws(DicomWriteError) in out.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self)) }
        return out
    }

    /// Hands the file's bytes (those `encoded(options:)` returns) to `sink` in pieces: the head
    /// (preamble, prefix, meta group) and the data set's elements in small pieces, large values
    /// (Pixel Data, fragments) straight from their storage. A deflated data set is deflated whole.
    public func write(options: WriteOptions = .exact, to sink: DataSetWriter.Sink) throws(DicomWriteError) {
        var head: [UInt8] = []
        if let preamble { head.append(contentsOf: preamble) }
        if hasPrefix { head.append(contentsOf: [0x44, 0x49, 0x43, 0x4D]) }
        head.append(contentsOf: try DataSetWriter(encoding: fileMetaEncoding, options: .exact).encode(fileMetaInformation))
        try head.passBytes(to: sink)
        let writer = DataSetWriter(encoding: dataSetEncoding, options: options)
        if transferSyntax.isDeflated {
            let deflated = Deflate.deflateEvenLength(try writer.encode(dataSet))
            try deflated.passBytes(to: sink)
        } else {
            try writer.write(dataSet, to: sink)
        }
    }

    /// The data set's bytes as they are before deflate (what byte-exact comparisons use).
    public func encodedDataSet(options: WriteOptions = .exact) throws(DicomWriteError) -> [UInt8] {
        try DataSetWriter(encoding: dataSetEncoding, options: options).encode(dataSet)
    }

    /// Writes the file: to a temporary name beside `path`, fsync'd when `durable`, then renamed,
    /// so that a reader never sees half a file.
    /// The bytes go to the file as they are encoded (`write(options:to:)`), not through one array.
    public func write(to path: String, options: WriteOptions = .exact, durable: Bool = false) throws(DicomWriteError) {
        let file = try AtomicFileWriter(path: path, durable: durable)
        try write(options: options) { bytes throws(DicomWriteError) in try file.write(bytes) }
        try file.commit()
    }

    // MARK: - Conversion

    /// A conforming Part 10 file in `syntax`: File Meta rebuilt (PS3.10 §7.1), group lengths
    /// dropped, odd values padded, byte order and VR form converted.
    /// - Throws: `.needsCodec` when pixel data would have to be compressed or decompressed.
    public func converted(to syntax: TransferSyntax) throws(DicomWriteError) -> DicomFile {
        if transferSyntax.isEncapsulated != syntax.isEncapsulated || (syntax.isEncapsulated && syntax.uid != transferSyntax.uid) {
            if dataSet.contains(.pixelData) || dataSet.contains(.floatPixelData) || dataSet.contains(.doubleFloatPixelData) {
                throw .needsCodec(from: transferSyntax.uid, to: syntax.uid)
            }
        }
        if syntax.isBigEndian, case .encapsulated = dataSet[.pixelData]?.value {
            throw .needsCodec(from: transferSyntax.uid, to: syntax.uid)
        }
        var ds = dataSet
        // File Meta elements belong in the rebuilt meta group only (PS3.10 §7.1); a broken meta
        // group can leave some in the data set, where they would be read back as meta.
        ds.removeAll { $0.tag.isGroupLength || $0.tag.group == 0x0002 }
        ds = DicomFile.normalizingForExplicitVR(ds, explicit: syntax.isExplicitVR)
        let source = fileMetaInformation[.sourceApplicationEntityTitle].map { String(decoding: $0.bytes, as: UTF8.self) }
        var file = DicomFile(dataSet: ds, transferSyntax: syntax,
                             sourceApplicationEntityTitle: source?.trimmingCharacters(in: .whitespaces))
        // Keep what the original meta said about where the file came from (PS3.10 §7.1).
        for tag in [Tag.sourceApplicationEntityTitle, .sendingApplicationEntityTitle, .receivingApplicationEntityTitle,
                    .privateInformationCreatorUID, .privateInformation] {
            if let e = fileMetaInformation[tag] { file.fileMetaInformation[tag] = e }
        }
        file.fileMetaInformation = DicomFile.withGroupLength(file.fileMetaInformation)
        return file
    }

    /// This file as a conforming Part 10 file in its own transfer syntax.
    public func normalized() throws(DicomWriteError) -> DicomFile {
        try converted(to: transferSyntax)
    }

    /// Explicit VR needs a definite VR; elements read from Implicit VR without a dictionary entry stay UN.
    /// UN values whose length does not fit are fine (UN has a 32-bit length). Nothing to change
    /// for Implicit VR. Values longer than 64 KiB under a short-length VR become UN (PS3.5 §6.2.2).
    static func normalizingForExplicitVR(_ ds: DataSet, explicit: Bool) -> DataSet {
        guard explicit else { return ds }
        var out = DataSet()
        out.characterSet = ds.characterSet
        for var e in ds.elements {
            switch e.value {
            case .bytes(let b) where !e.vr.hasLongExplicitLength && b.count > 0xFFFE:
                e.vr = .UN
            case .sequence(let items):
                e.value = .sequence(items.map { item in
                    SequenceItem(normalizingForExplicitVR(item.dataSet, explicit: explicit), undefinedLength: item.undefinedLength)
                })
            default:
                break
            }
            out.append(e)
        }
        return out
    }

    // MARK: - File Meta

    /// Our implementation's identity in File Meta and association negotiation (PS3.7 §D.3.3.2).
    public static let implementationClassUID = "2.25.245165474372861539364424426493717386391"
    public static let implementationVersionName = "DICOMNODE_0.1"

    static func makeFileMeta(for ds: DataSet, transferSyntax: TransferSyntax,
                             sourceApplicationEntityTitle: String?) -> DataSet {
        makeFileMeta(sopClassUID: ds[.sopClassUID].map { String(decoding: $0.bytes, as: UTF8.self) } ?? "",
                     sopInstanceUID: ds[.sopInstanceUID].map { String(decoding: $0.bytes, as: UTF8.self) } ?? "",
                     transferSyntaxUID: transferSyntax.uid, sourceApplicationEntityTitle: sourceApplicationEntityTitle,
                     receivingApplicationEntityTitle: nil)
    }

    /// The File Meta Information group of PS3.10 §7.1, with (0002,0000) filled in.
    static func makeFileMeta(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String,
                             sourceApplicationEntityTitle: String?, receivingApplicationEntityTitle: String?) -> DataSet {
        var meta = DataSet()
        meta[.fileMetaInformationVersion] = DataElement(.fileMetaInformationVersion, .OB, bytes: [0x00, 0x01])
        meta[.mediaStorageSOPClassUID] = .uid(.mediaStorageSOPClassUID, sopClassUID)
        meta[.mediaStorageSOPInstanceUID] = .uid(.mediaStorageSOPInstanceUID, sopInstanceUID)
        meta[.transferSyntaxUID] = .uid(.transferSyntaxUID, transferSyntaxUID)
        meta[.implementationClassUID] = .uid(.implementationClassUID, implementationClassUID)
        meta[.implementationVersionName] = .text(.implementationVersionName, .SH, implementationVersionName)
        if let aet = sourceApplicationEntityTitle, !aet.isEmpty {
            meta[.sourceApplicationEntityTitle] = .text(.sourceApplicationEntityTitle, .AE, aet)
        }
        if let aet = receivingApplicationEntityTitle, !aet.isEmpty {
            meta[.receivingApplicationEntityTitle] = .text(.receivingApplicationEntityTitle, .AE, aet)
        }
        return withGroupLength(meta)
    }

    /// Sets (0002,0000) File Meta Information Group Length to the length of the rest (PS3.10 §7.1).
    static func withGroupLength(_ meta: DataSet) -> DataSet {
        var m = meta
        m.remove(.fileMetaInformationGroupLength)
        let length = (try? DataSetWriter(encoding: .explicitLittle, options: .normalized).encode(m).count) ?? 0
        let v = UInt32(length)
        m[.fileMetaInformationGroupLength] = DataElement(.fileMetaInformationGroupLength, .UL,
                                                         bytes: [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)])
        return m
    }
}

extension DataElement {
    /// A UI element, NUL-padded to even length (PS3.5 §9.1).
    public static func uid(_ tag: Tag, _ uid: String) -> DataElement {
        var b = Array(uid.utf8)
        if b.count % 2 == 1 { b.append(0) }
        return DataElement(tag, .UI, bytes: b)
    }

    /// A text element in the default repertoire, space-padded to even length.
    public static func text(_ tag: Tag, _ vr: VR, _ text: String) -> DataElement {
        var b = Array(text.utf8)
        if b.count % 2 == 1 { b.append(vr.paddingByte) }
        return DataElement(tag, vr, bytes: b)
    }
}

import Foundation

extension DicomFile {
    /// The head of a Part 10 file for a data set that arrives later (PS3.10 §7.1): 128-byte
    /// preamble of zeros, "DICM" and the File Meta Information group, Explicit VR Little Endian.
    ///
    /// A receiver writes these bytes to a file and then appends the data set's bytes as they come
    /// off the network, encoded in `transferSyntaxUID`, without buffering the data set.
    /// - Parameters:
    ///   - sopClassUID: (0002,0002) Media Storage SOP Class UID.
    ///   - sopInstanceUID: (0002,0003) Media Storage SOP Instance UID.
    ///   - transferSyntaxUID: (0002,0010): the encoding of the data set that follows.
    ///   - sourceApplicationEntityTitle: (0002,0016), the AE that sent the data set, if known.
    ///   - receivingApplicationEntityTitle: (0002,0018), our AE title when received over the network.
    public static func partTenHeader(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String,
                                     sourceApplicationEntityTitle: String? = nil,
                                     receivingApplicationEntityTitle: String? = nil) throws(DicomWriteError) -> [UInt8] {
        let meta = makeFileMeta(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, transferSyntaxUID: transferSyntaxUID,
                                sourceApplicationEntityTitle: sourceApplicationEntityTitle,
                                receivingApplicationEntityTitle: receivingApplicationEntityTitle)
        var out = [UInt8](repeating: 0, count: 128)
        out.append(contentsOf: [0x44, 0x49, 0x43, 0x4D])
        out.append(contentsOf: try DataSetWriter(encoding: .explicitLittle, options: .exact).encode(meta))
        return out
    }
}
