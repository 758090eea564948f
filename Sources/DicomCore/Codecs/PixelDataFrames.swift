// PS3.5 §8.1.1 (native) and §A.4 (encapsulated): where the frames of Pixel Data lie, and
// reading one frame without reading the others.

/// The frames of a data set's Pixel Data (7FE0,0010), native or encapsulated, in memory or left
/// in the file (`ReadOptions.lazyPixelData` / `bulkDataThreshold`).
///
/// Frames are numbered from 1, as in DICOM (Referenced Frame Number, WADO-RS `/frames/N`).
/// Reading a frame of lazily read Pixel Data reads only that frame's bytes (its fragments, or its
/// slice of native data) from the file.
///
/// ```swift
/// let file = try DicomFile.read(path: p, options: ReadOptions(lazyPixelData: true))
/// let frames = try PixelDataFrames(file)           // (1)
/// let jpeg = try frames.codestream(frame: 7)        // (2) encapsulated: the frame's codestream
/// let pixels = try frames.decodedFrame(7)           // (3) native little endian samples
/// ```
/// (1) reads the Image Pixel Module and maps fragments to frames; (2) reads only frame 7's
/// fragments; (3) decodes through `CodecRegistry` (or slices native data).
public struct PixelDataFrames: Sendable {
    /// The transfer syntax the Pixel Data is encoded in.
    public let transferSyntax: TransferSyntax
    /// The Image Pixel Module (PS3.3 §C.7.6.3) of the data set.
    public let descriptor: FrameDescriptor
    /// Number of Frames (0028,0008); 1 when absent.
    public let numberOfFrames: Int
    private let storage: Storage
    /// For encapsulated data: each frame's fragments (and the frame's length when the Extended
    /// Offset Table gives it), or why the fragments could not be mapped to frames.
    private let frameMap: Result<[FrameFragments], CodecError>

    private enum Storage: Sendable {
        case native(NativeBytes)
        case encapsulated(EncapsulatedPixelData)
    }

    private enum NativeBytes: Sendable {
        case memory([UInt8])
        case file(BulkDataReference)
        var length: UInt64 {
            switch self {
            case .memory(let b): return UInt64(b.count)
            case .file(let r): return r.length
            }
        }
    }

    struct FrameFragments: Sendable, Equatable {
        var fragments: Range<Int>
        /// The frame's length from the Extended Offset Table Lengths, when present.
        var length: UInt64?
    }

    /// The frames of `file`'s data set in its transfer syntax.
    /// - Throws: `CodecError.badDescriptor` when there is no Pixel Data or the Image Pixel Module
    ///   is unusable.
    public init(_ file: DicomFile) throws(CodecError) {
        try self.init(dataSet: file.dataSet, transferSyntax: file.transferSyntax)
    }

    /// The frames of `dataSet`, whose Pixel Data is encoded in `transferSyntax`.
    /// - Throws: `CodecError.badDescriptor` when there is no Pixel Data or the Image Pixel Module
    ///   is unusable.
    public init(dataSet: DataSet, transferSyntax: TransferSyntax) throws(CodecError) {
        self.transferSyntax = transferSyntax
        descriptor = try FrameDescriptor(dataSet)
        // PS3.3 §C.7.6.6: Number of Frames is IS, at least 1.
        let frames = dataSet.int(.numberOfFrames) ?? 1
        guard frames >= 1 else { throw CodecError(.badDescriptor, "Number of Frames \(frames)") }
        numberOfFrames = frames
        guard let element = dataSet[.pixelData] else { throw CodecError(.badDescriptor, "no Pixel Data") }
        switch element.value {
        case .bytes(let b):
            storage = .native(.memory(b))
            frameMap = .success([])
        case .bulkData(let r):
            storage = .native(.file(r))
            frameMap = .success([])
        case .encapsulated(let e):
            storage = .encapsulated(e)
            frameMap = Result { () throws(CodecError) in
                try Self.mapFragments(e, frames: frames, dataSet: dataSet, syntax: transferSyntax.uid)
            }
        case .sequence:
            throw CodecError(.badDescriptor, "Pixel Data is a sequence")
        }
    }

    /// Whether the Pixel Data is encapsulated (compressed, PS3.5 §A.4).
    public var isEncapsulated: Bool {
        if case .encapsulated = storage { return true }
        return false
    }

    // MARK: - Encapsulated frames

    /// Frame `number`'s codestream: its fragments joined (PS3.5 §A.4), trimmed to the length the
    /// Extended Offset Table Lengths give. Reads only that frame's fragments from the file.
    /// - Throws: `.noSuchFrame` for 0 or beyond Number of Frames; `.badDescriptor` for native data;
    ///   `.corrupt` when the fragments cannot be mapped to frames or a fragment cannot be read.
    public func codestream(frame number: Int) throws(CodecError) -> [UInt8] {
        try checkFrame(number)
        guard case .encapsulated(let e) = storage else {
            throw CodecError(.badDescriptor, "Pixel Data is native, not encapsulated", frame: number)
        }
        let map: [FrameFragments]
        do { map = try frameMap.get() } catch {
            var e = error
            e.frame = number
            throw e
        }
        let entry = map[number - 1]
        var out: [UInt8] = []
        for i in entry.fragments {
            let bytes: [UInt8]
            switch e.fragments[i] {
            case .bytes(let b): bytes = b
            case .bulkData(let r):
                do { bytes = try r.loadRange(start: 0, count: Int(r.length)) } catch {
                    throw CodecError(.corrupt, "fragment \(i + 1) cannot be read: \(error)", frame: number)
                }
            }
            // One fragment per frame is the common case: that fragment is the codestream, uncopied.
            if out.isEmpty { out = bytes } else { out += bytes }
        }
        if let length = entry.length, length <= UInt64(out.count) { out.removeLast(out.count - Int(length)) }
        return out
    }

    /// Where frame `number`'s bytes, exactly as `nativeFrame` or `codestream(frame:)` returns them,
    /// lie in a file as one run, so that a server can send them from the file (sendfile) without
    /// reading them. nil when they do not: Pixel Data in memory or big endian in the file,
    /// bit-packed frames, a frame over several fragments or trimmed by the Extended Offset Table
    /// Lengths, a frame beyond the data, or a number out of range.
    public func storedSpan(frame number: Int) -> BulkDataReference? {
        guard number >= 1, number <= numberOfFrames else { return nil }
        switch storage {
        case .native(let source):
            guard case .file(let r) = source, r.swapUnit == 1, descriptor.bitsAllocated != 1 else { return nil }
            let length = UInt64(descriptor.storedNativeFrameLength)
            let start = UInt64(number - 1) * length
            guard length > 0, start + length <= r.length else { return nil }
            return BulkDataReference(path: r.path, offset: r.offset + start, length: length)
        case .encapsulated(let e):
            guard let map = try? frameMap.get(), number <= map.count else { return nil }
            let entry = map[number - 1]
            guard entry.fragments.count == 1, entry.fragments.lowerBound < e.fragments.count,
                  case .bulkData(let r) = e.fragments[entry.fragments.lowerBound], r.swapUnit == 1 else { return nil }
            if let length = entry.length, length < r.length { return nil }
            return r
        }
    }

    /// The 0-based fragment indices of frame `number`'s codestream.
    /// - Throws: as `codestream(frame:)`.
    public func fragmentIndices(frame number: Int) throws(CodecError) -> Range<Int> {
        try checkFrame(number)
        do { return try frameMap.get()[number - 1].fragments } catch {
            var e = error
            e.frame = number
            throw e
        }
    }

    private func checkFrame(_ number: Int) throws(CodecError) {
        guard number >= 1, number <= numberOfFrames else {
            throw CodecError(.noSuchFrame, "no frame \(number) (the object has \(numberOfFrames))", frame: number)
        }
    }

    /// Maps fragments to frames (PS3.5 §A.4): Extended Offset Table, else Basic Offset Table,
    /// else one fragment per frame when the counts agree, else everything for a single frame,
    /// else frame starts found from the codestreams' markers.
    static func mapFragments(_ e: EncapsulatedPixelData, frames: Int, dataSet: DataSet,
                             syntax: String) throws(CodecError) -> [FrameFragments] {
        let fragments = e.fragments
        guard !fragments.isEmpty else { throw CodecError(.corrupt, "encapsulated Pixel Data has no fragments") }
        // Each fragment's offset from the first fragment's item tag (PS3.5 §A.4, Table A.4-1).
        var starts: [UInt64] = []
        var position: UInt64 = 0
        for f in fragments {
            starts.append(position)
            position += 8 + f.length
        }
        func fragmentIndex(at offset: UInt64) -> Int? {
            var lo = 0, hi = starts.count - 1
            while lo <= hi {
                let mid = (lo + hi) / 2
                if starts[mid] == offset { return mid }
                if starts[mid] < offset { lo = mid + 1 } else { hi = mid - 1 }
            }
            return nil
        }
        func fromOffsets(_ offsets: [UInt64]) -> [Range<Int>]? {
            guard offsets.count == frames else { return nil }
            var firsts: [Int] = []
            for o in offsets {
                guard let i = fragmentIndex(at: o), firsts.last.map({ i > $0 }) ?? true else { return nil }
                firsts.append(i)
            }
            return (0..<frames).map { k in firsts[k]..<(k + 1 < frames ? firsts[k + 1] : fragments.count) }
        }
        // PS3.3 §C.7.6.3.1.8: Extended Offset Table (OV) and Extended Offset Table Lengths (OV).
        if let table = Self.uint64s(dataSet, .extendedOffsetTable), !table.isEmpty,
           let ranges = fromOffsets(table) {
            let lengths = Self.uint64s(dataSet, .extendedOffsetTableLengths)
            return ranges.enumerated().map { k, r in
                FrameFragments(fragments: r, length: lengths.flatMap { $0.count == frames ? $0[k] : nil })
            }
        }
        let basic = e.basicOffsets
        if !basic.isEmpty, let ranges = fromOffsets(basic.map(UInt64.init)) {
            return ranges.map { FrameFragments(fragments: $0) }
        }
        if fragments.count == frames {
            return (0..<frames).map { FrameFragments(fragments: $0..<($0 + 1)) }
        }
        if frames == 1 {
            return [FrameFragments(fragments: 0..<fragments.count)]
        }
        guard fragments.count > frames else {
            throw CodecError(.corrupt, "\(fragments.count) fragments for \(frames) frames and no offset table")
        }
        // No table and more fragments than frames: a frame starts at a fragment that begins with
        // the codestream's start marker (JPEG / JPEG-LS SOI FFD8, JPEG 2000 SOC FF4F).
        var firsts: [Int] = []
        for (i, f) in fragments.enumerated() {
            guard let head = try? Self.head(of: f, count: 2), head.count == 2 else { continue }
            if head[0] == 0xFF && (head[1] == 0xD8 || head[1] == 0x4F) { firsts.append(i) }
        }
        if firsts.count == frames, firsts.first == 0 {
            return (0..<frames).map { k in FrameFragments(fragments: firsts[k]..<(k + 1 < frames ? firsts[k + 1] : fragments.count)) }
        }
        // Else frames end at fragments whose last bytes (before any padding) are EOI FFD9.
        var ends: [Int] = []
        for (i, f) in fragments.enumerated() {
            guard let tail = try? Self.tail(of: f, count: 4) else { continue }
            var t = tail
            while t.last == 0x00 { t.removeLast() }
            if t.count >= 2, t[t.count - 2] == 0xFF, t[t.count - 1] == 0xD9 { ends.append(i) }
        }
        if ends.count == frames, ends.last == fragments.count - 1 {
            return (0..<frames).map { k in FrameFragments(fragments: (k == 0 ? 0 : ends[k - 1] + 1)..<(ends[k] + 1)) }
        }
        throw CodecError(.corrupt, "cannot tell which of \(fragments.count) fragments hold which of \(frames) frames")
    }

    private static func head(of f: EncapsulatedPixelData.Fragment, count: Int) throws(DicomReadError) -> [UInt8] {
        switch f {
        case .bytes(let b): return Array(b.prefix(count))
        case .bulkData(let r): return try r.loadRange(start: 0, count: Int(min(UInt64(count), r.length)))
        }
    }

    private static func tail(of f: EncapsulatedPixelData.Fragment, count: Int) throws(DicomReadError) -> [UInt8] {
        switch f {
        case .bytes(let b): return Array(b.suffix(count))
        case .bulkData(let r):
            let n = min(UInt64(count), r.length)
            return try r.loadRange(start: r.length - n, count: Int(n))
        }
    }

    /// An OV value as 64-bit numbers, loaded from the file when it was left there.
    private static func uint64s(_ dataSet: DataSet, _ tag: Tag) -> [UInt64]? {
        guard let element = dataSet[tag] else { return nil }
        let bytes: [UInt8]
        switch element.value {
        case .bytes(let b): bytes = b
        case .bulkData(let r):
            guard let b = try? r.load() else { return nil }
            bytes = b
        default: return nil
        }
        return stride(from: 0, to: bytes.count - 7, by: 8).map { i in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) }
        }
    }

    // MARK: - Native frames

    /// Frame `number`'s native bytes (PS3.5 §8.1.1), little endian: a slice of the Pixel Data.
    /// With Bits Allocated 1 frames are bit-packed back to back; the frame is returned starting
    /// at bit 0 of its first byte. Reads only that frame's bytes from the file.
    /// - Throws: `.noSuchFrame` for 0 or beyond Number of Frames; `.corrupt` when the Pixel Data
    ///   is too short for the frame; `.badDescriptor` for encapsulated data.
    public func nativeFrame(_ number: Int) throws(CodecError) -> [UInt8] {
        try checkFrame(number)
        guard case .native(let source) = storage else {
            throw CodecError(.badDescriptor, "Pixel Data is encapsulated, not native", frame: number)
        }
        let d = descriptor
        if d.bitsAllocated == 1 {
            let bitsPerFrame = UInt64(d.rows * d.columns * d.samplesPerPixel)
            let firstBit = UInt64(number - 1) * bitsPerFrame
            let firstByte = firstBit / 8
            let lastByte = (firstBit + bitsPerFrame + 7) / 8
            let raw = try read(source, from: firstByte, count: Int(lastByte - firstByte), frame: number)
            let shift = Int(firstBit % 8)
            let outCount = Int((bitsPerFrame + 7) / 8)
            if shift == 0 { return Array(raw.prefix(outCount)) }
            var out = [UInt8](repeating: 0, count: outCount)
            for i in 0..<outCount {
                let low = raw[i] >> UInt8(shift)
                let high = i + 1 < raw.count ? raw[i + 1] << UInt8(8 - shift) : 0
                out[i] = low | high
            }
            // Clear the bits past the frame's end in the last byte.
            let usedBits = Int(bitsPerFrame % 8)
            if usedBits != 0 { out[outCount - 1] &= UInt8((1 << usedBits) - 1) }
            return out
        }
        let length = UInt64(d.storedNativeFrameLength)
        return try read(source, from: UInt64(number - 1) * length, count: Int(length), frame: number)
    }

    private func read(_ source: NativeBytes, from start: UInt64, count: Int, frame: Int) throws(CodecError) -> [UInt8] {
        guard start + UInt64(count) <= source.length else {
            throw CodecError(.corrupt, "Pixel Data has \(source.length) bytes, frame \(frame) needs \(start + UInt64(count))", frame: frame)
        }
        switch source {
        case .memory(let b):
            return Array(b[Int(start)..<(Int(start) + count)])
        case .file(let r):
            do {
                guard r.swapUnit > 1 else { return try r.loadRange(start: start, count: count) }
                // Big endian in the file: swap whole values counted from the value's start.
                let unit = UInt64(r.swapUnit)
                let alignedStart = start / unit * unit
                let alignedEnd = min(r.length, (start + UInt64(count) + unit - 1) / unit * unit)
                var bytes = try r.loadRange(start: alignedStart, count: Int(alignedEnd - alignedStart))
                ByteOrder.swapInPlace(&bytes, unit: r.swapUnit)
                let from = Int(start - alignedStart)
                return Array(bytes[from..<(from + count)])
            } catch {
                throw CodecError(.corrupt, "Pixel Data cannot be read: \(error)", frame: frame)
            }
        }
    }

    // MARK: - Decoding

    /// Frame `number` in native encoding: native data sliced, encapsulated data decoded by the
    /// codec `CodecRegistry.decoder(for:_:)` finds for the transfer syntax.
    /// - Throws: `CodecError` with `frame` set: `.noSuchFrame`, `.unsupported` when no codec
    ///   decodes this syntax, `.corrupt` / `.badDescriptor` from the codec.
    public func decodedFrame(_ number: Int) throws(CodecError) -> DecodedFrame {
        if case .native = storage {
            return DecodedFrame(bytes: try nativeFrame(number), descriptor: descriptor)
        }
        let stream = try codestream(frame: number)
        guard let codec = CodecRegistry.decoder(for: transferSyntax.uid, descriptor) else {
            throw CodecError(.unsupported, "no decoder for \(transferSyntax.name) with \(descriptor.bitsAllocated) bits allocated",
                             frame: number)
        }
        do {
            return try codec.decode(stream, descriptor: descriptor, syntax: transferSyntax.uid)
        } catch {
            var e = error
            e.frame = number
            throw e
        }
    }
}
