/// Why a data set could not be written.
public enum DicomWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value too long for the 16-bit length of its VR in Explicit VR (PS3.5 §7.1.2).
    case valueTooLongForVR(Tag, VR, length: Int)
    /// Encapsulated Pixel Data cannot be written in a native syntax (or native in an encapsulated
    /// one) without a codec; transcoding is the codec registry's work.
    case needsCodec(from: String, to: String)
    /// A value left in its source file could not be read back.
    case bulkData(DicomReadError)
    case io(path: String, errno: Int32)
    case characterSet(CharacterSetError)
    case invalidValue(Tag, String)

    public var description: String {
        switch self {
        case .valueTooLongForVR(let t, let vr, let n): return "\(t) \(vr.rawValue): \(n) bytes do not fit a 16-bit length"
        case .needsCodec(let a, let b): return "converting \(a) to \(b) needs a pixel codec"
        case .bulkData(let e): return "bulk data: \(e)"
        case .io(let p, let e): return "\(p): \(String(cString: strerror(e)))"
        case .characterSet(let e): return "character set: \(e)"
        case .invalidValue(let t, let why): return "\(t): \(why)"
        }
    }
}

public struct WriteOptions: Sendable {
    /// Pad odd-length values with the VR's padding byte (PS3.5 §7.1.1 requires even lengths).
    /// Off for byte-exact write-back of what was read.
    public var padOddLengths: Bool
    /// Leave out group length elements (gggg,0000) other than the meta group's (PS3.5 §7.2).
    public var dropGroupLengths: Bool

    public init(padOddLengths: Bool = false, dropGroupLengths: Bool = false) {
        self.padOddLengths = padOddLengths
        self.dropGroupLengths = dropGroupLengths
    }
    /// Reproduces what was read.
    public static let exact = WriteOptions()
    /// What a conforming writer emits.
    public static let normalized = WriteOptions(padOddLengths: true, dropGroupLengths: true)
}

/// Encodes data sets (PS3.5 §7) in a given encoding.
public struct DataSetWriter: Sendable {
    public var encoding: DataSetEncoding
    public var options: WriteOptions

    public init(encoding: DataSetEncoding, options: WriteOptions = .exact) {
        self.encoding = encoding
        self.options = options
    }

    /// The encoded data set.
    public func encode(_ dataSet: DataSet) throws(DicomWriteError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        try write(dataSet, into: &out, encoding: encoding)
        return out
    }

    /// Where `write(_:to:)` hands the encoded bytes, in order (a file, an array, a socket).
    public typealias Sink = (UnsafeRawBufferPointer) throws(DicomWriteError) -> Void

    /// Values at least this long go to a sink from where they lie instead of through the staging buffer.
    static let directValueLength = 64 * 1024

    /// Encodes `dataSet` into `sink` in pieces, the same bytes `encode(_:)` returns: elements are
    /// staged in a small buffer, and large values (native Pixel Data, fragments, bulk data) go to
    /// `sink` straight from their own storage, so no array of the whole data set is ever built.
    /// - Throws: what the encoding or `sink` throws.
    public func write(_ dataSet: DataSet, to sink: Sink) throws(DicomWriteError) {
        var out: [UInt8] = []
        out.reserveCapacity(Self.directValueLength)
        try withoutActuallyEscaping(sink) { (sink: @escaping Sink) throws(DicomWriteError) in
            for element in dataSet.elements {
                if options.dropGroupLengths && element.tag.isGroupLength && element.tag.group != 0x0002 { continue }
                try write(element, into: &out, encoding: encoding, direct: sink)
                if out.count >= Self.directValueLength { try Self.flush(&out, to: sink) }
            }
        }
        try Self.flush(&out, to: sink)
    }

    static func flush(_ out: inout [UInt8], to sink: Sink) throws(DicomWriteError) {
        guard !out.isEmpty else { return }
        try out.passBytes(to: sink)
        out.removeAll(keepingCapacity: true)
    }

    /// Appends `bytes` to `out`, or, when they are long and there is a sink, flushes `out` and
    /// hands `bytes` to the sink without copying them.
    @inline(__always)
    func put(_ bytes: [UInt8], _ out: inout [UInt8], _ direct: Sink?) throws(DicomWriteError) {
        if let direct, bytes.count >= Self.directValueLength {
            try Self.flush(&out, to: direct)
            try bytes.passBytes(to: direct)
        } else {
            out.append(contentsOf: bytes)
        }
    }

    func write(_ dataSet: DataSet, into out: inout [UInt8], encoding: DataSetEncoding) throws(DicomWriteError) {
        for element in dataSet.elements {
            if options.dropGroupLengths && element.tag.isGroupLength && element.tag.group != 0x0002 { continue }
            try write(element, into: &out, encoding: encoding)
        }
    }

    @inline(__always)
    func put16(_ v: UInt16, _ out: inout [UInt8], _ big: Bool) {
        if big { out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xFF)) } else { out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
    }

    @inline(__always)
    func put32(_ v: UInt32, _ out: inout [UInt8], _ big: Bool) {
        if big {
            out.append(UInt8(v >> 24)); out.append(UInt8((v >> 16) & 0xFF)); out.append(UInt8((v >> 8) & 0xFF)); out.append(UInt8(v & 0xFF))
        } else {
            out.append(UInt8(v & 0xFF)); out.append(UInt8((v >> 8) & 0xFF)); out.append(UInt8((v >> 16) & 0xFF)); out.append(UInt8(v >> 24))
        }
    }

    func writeHeader(tag: Tag, vr: VR, length: UInt32, into out: inout [UInt8], encoding: DataSetEncoding) throws(DicomWriteError) {
        put16(tag.group, &out, encoding.bigEndian)
        put16(tag.element, &out, encoding.bigEndian)
        if encoding.explicitVR {
            let (a, b) = vr.bytes
            out.append(a)
            out.append(b)
            if vr.hasLongExplicitLength {
                out.append(0)
                out.append(0)
                put32(length, &out, encoding.bigEndian)
            } else {
                guard length <= 0xFFFF else { throw .valueTooLongForVR(tag, vr, length: Int(length)) }
                put16(UInt16(length), &out, encoding.bigEndian)
            }
        } else {
            put32(length, &out, encoding.bigEndian)
        }
    }

    /// Appends one element whose value is `value` (already in this encoding's byte order for
    /// strings; binary values are swapped for big endian): its header, the value, and the padding
    /// byte when `options` pad odd lengths. What `encode` writes for such an element; callers that
    /// build a data set's bytes without a `DataSet` (C-FIND responses) use it so the two agree.
    public func append(tag: Tag, vr: VR, value: [UInt8], to out: inout [UInt8]) throws(DicomWriteError) {
        try write(DataElement(tag: tag, vr: vr, value: .bytes(value)), into: &out, encoding: encoding)
    }

    /// Encodes one element into `out`; with `direct`, long values go to that sink instead (after `out`).
    func write(_ element: DataElement, into out: inout [UInt8], encoding: DataSetEncoding,
               direct: Sink? = nil) throws(DicomWriteError) {
        let tag = element.tag
        switch element.value {
        case .bytes(var bytes):
            // The pad byte is written after the value rather than appended to it: no copy of a long value.
            let pad = options.padOddLengths && bytes.count % 2 == 1
            let length = bytes.count + (pad ? 1 : 0)
            guard length < 0xFFFF_FFFF else { throw .valueTooLongForVR(tag, element.vr, length: length) }
            try writeHeader(tag: tag, vr: element.vr, length: UInt32(length), into: &out, encoding: encoding)
            if encoding.bigEndian && element.vr.byteSwapUnit > 1 {
                if pad { bytes.append(element.vr.paddingByte) }
                ByteOrder.swapInPlace(&bytes, unit: element.vr.byteSwapUnit)
                try put(bytes, &out, direct)
            } else {
                try put(bytes, &out, direct)
                if pad { out.append(element.vr.paddingByte) }
            }
        case .bulkData(let ref):
            var bytes: [UInt8]
            do { bytes = try ref.load() } catch { throw .bulkData(error) }
            if options.padOddLengths && bytes.count % 2 == 1 { bytes.append(element.vr.paddingByte) }
            try writeHeader(tag: tag, vr: element.vr, length: UInt32(bytes.count), into: &out, encoding: encoding)
            if encoding.bigEndian && element.vr.byteSwapUnit > 1 { ByteOrder.swapInPlace(&bytes, unit: element.vr.byteSwapUnit) }
            try put(bytes, &out, direct)
        case .sequence(let items):
            // PS3.5 §6.2.2: the items of a UN sequence are Implicit VR Little Endian.
            let itemEncoding = element.vr == .UN ? DataSetEncoding.implicitLittle : encoding
            if element.undefinedLength {
                try writeHeader(tag: tag, vr: element.vr, length: 0xFFFF_FFFF, into: &out, encoding: encoding)
                for item in items { try writeItem(item, into: &out, encoding: itemEncoding) }
                // The delimiter is part of the value: little endian too for UN (as the reader reads it).
                put16(0xFFFE, &out, itemEncoding.bigEndian); put16(0xE0DD, &out, itemEncoding.bigEndian); put32(0, &out, itemEncoding.bigEndian)
            } else {
                var body: [UInt8] = []
                for item in items { try writeItem(item, into: &body, encoding: itemEncoding) }
                try writeHeader(tag: tag, vr: element.vr, length: UInt32(body.count), into: &out, encoding: encoding)
                out.append(contentsOf: body)
            }
        case .encapsulated(let pixels):
            try writeHeader(tag: tag, vr: element.vr, length: 0xFFFF_FFFF, into: &out, encoding: encoding)
            put16(0xFFFE, &out, encoding.bigEndian); put16(0xE000, &out, encoding.bigEndian)
            put32(UInt32(pixels.basicOffsetTable.count), &out, encoding.bigEndian)
            out.append(contentsOf: pixels.basicOffsetTable)
            for fragment in pixels.fragments {
                let bytes: [UInt8]
                switch fragment {
                case .bytes(let b): bytes = b
                case .bulkData(let ref):
                    do { bytes = try ref.load() } catch { throw .bulkData(error) }
                }
                let pad = options.padOddLengths && bytes.count % 2 == 1
                put16(0xFFFE, &out, encoding.bigEndian); put16(0xE000, &out, encoding.bigEndian)
                put32(UInt32(bytes.count + (pad ? 1 : 0)), &out, encoding.bigEndian)
                try put(bytes, &out, direct)
                if pad { out.append(0) }
            }
            put16(0xFFFE, &out, encoding.bigEndian); put16(0xE0DD, &out, encoding.bigEndian); put32(0, &out, encoding.bigEndian)
        }
    }

    func writeItem(_ item: SequenceItem, into out: inout [UInt8], encoding: DataSetEncoding) throws(DicomWriteError) {
        put16(0xFFFE, &out, encoding.bigEndian)
        put16(0xE000, &out, encoding.bigEndian)
        if item.undefinedLength {
            put32(0xFFFF_FFFF, &out, encoding.bigEndian)
            try write(item.dataSet, into: &out, encoding: encoding)
            put16(0xFFFE, &out, encoding.bigEndian); put16(0xE00D, &out, encoding.bigEndian); put32(0, &out, encoding.bigEndian)
        } else {
            var body: [UInt8] = []
            try write(item.dataSet, into: &body, encoding: encoding)
            put32(UInt32(body.count), &out, encoding.bigEndian)
            out.append(contentsOf: body)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Array where Element == UInt8 {
    /// Hands the bytes to `body` in place, keeping its typed error (`withUnsafeBytes` rethrows untyped).
    func passBytes(to body: DataSetWriter.Sink) throws(DicomWriteError) {
        var failure: DicomWriteError?
        withUnsafeBytes { raw in
            do throws(DicomWriteError) { try body(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}
