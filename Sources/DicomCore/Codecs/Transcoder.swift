// PS3.5 §8 and §A.4: changing the transfer syntax of a data set whose Pixel Data must be
// decompressed or compressed. Codecs are found through `CodecRegistry`, so every syntax a codec
// is registered for transcodes here.

/// Rewrites a file in another transfer syntax, decoding and encoding Pixel Data frame by frame.
///
/// What changes (PS3.5 §8.2, PS3.3 §C.7.6.3): Pixel Data (native: OB for 8 bits, OW above;
/// encapsulated: OB, undefined length, one fragment per frame with a Basic Offset Table),
/// Photometric Interpretation and Planar Configuration as the codec reports them, the Extended
/// Offset Table (dropped), and for a lossy encoding Lossy Image Compression (0028,2110) "01" with
/// its ratio and method appended (PS3.3 §C.7.6.1.1.5). A lossless transcode leaves the lossy
/// attributes as they were.
public enum Transcoder {
    /// `file` in `target`; `file` itself when nothing has to change.
    /// - Parameters:
    ///   - options: lossless unless a quality is given (for lossy syntaxes).
    /// - Throws: `CodecError` naming the frame that failed (`.unsupported` when no codec
    ///   decodes the source or encodes the target), or `.failed` when the result cannot be written.
    public static func transcode(_ file: DicomFile, to target: TransferSyntax,
                                 options: EncodeOptions = .lossless) throws(CodecError) -> DicomFile {
        let plan = try prepare(file, to: target, options: options)
        guard let native = plan.nativeFrames else { return plan.file }
        var out = plan.file
        out.dataSet[.pixelData] = DataElement(tag: .pixelData, vr: native.vr, value: .bytes(try native.joined()))
        return out
    }

    /// Writes `file` in `target` to `path` (atomically: a temporary file renamed when complete,
    /// fsync'd first when `durable`), the same bytes as `transcode(_:to:options:)` followed by
    /// `DicomFile.write(to:options: .normalized)`, without holding the output in memory: decoded
    /// frames go to the file one at a time, encoded fragments from their own arrays. Reading
    /// `file` with `ReadOptions(lazyPixelData: true)` keeps the input out of memory too.
    /// - Throws: `CodecError` as `transcode` does (nothing is left at `path` then), or
    ///   `DicomWriteError` when the output cannot be written.
    public static func write(_ file: DicomFile, to target: TransferSyntax, path: String,
                             options: EncodeOptions = .lossless, durable: Bool = false) throws {
        let plan = try prepare(file, to: target, options: options)
        guard let native = plan.nativeFrames, !target.isDeflated, !target.isBigEndian else {
            // Encapsulated (fragments in memory, written one by one), deflated (deflated whole)
            // or big endian (swapped whole): the in-memory result, written piecewise.
            var out = plan.file
            if let native = plan.nativeFrames {
                out.dataSet[.pixelData] = DataElement(tag: .pixelData, vr: native.vr, value: .bytes(try native.joined()))
            }
            try out.write(to: path, options: .normalized, durable: durable)
            return
        }
        // Native Pixel Data: everything before it, its header, each frame as decoded, what follows.
        let output = try AtomicFileWriter(path: path, durable: durable)
        let sink: DataSetWriter.Sink = { bytes throws(DicomWriteError) in try output.write(bytes) }
        var head = plan.file
        head.dataSet.removeAll { $0.tag >= .pixelData }
        try head.write(options: .normalized, to: sink)
        let writer = DataSetWriter(encoding: plan.file.dataSetEncoding, options: .normalized)
        let pad = native.length % 2  // PS3.5 §8.1.1: even length
        guard native.length + pad < 0xFFFF_FFFF else {
            throw DicomWriteError.valueTooLongForVR(.pixelData, native.vr, length: native.length + pad)
        }
        var header: [UInt8] = []
        try writer.writeHeader(tag: .pixelData, vr: native.vr, length: UInt32(native.length + pad), into: &header,
                               encoding: writer.encoding)
        try output.write(header)
        for n in 1...native.frames.numberOfFrames { try output.write(try native.frame(n)) }
        if pad == 1 { try output.write([0]) }
        var tail = plan.file.dataSet
        tail.removeAll { $0.tag <= .pixelData }
        try writer.write(tail, to: sink)
        try output.commit()
    }

    /// What a transcode produces: the output file, and for a native target the frames its Pixel
    /// Data is made of (the file then holds an empty placeholder Pixel Data of `vr`).
    struct Plan {
        var file: DicomFile
        var nativeFrames: NativeFrames?
    }

    /// The decoded frames of native Pixel Data being made: every frame as long as the first.
    struct NativeFrames {
        let frames: PixelDataFrames
        let first: DecodedFrame
        /// OB for 8 bits allocated, OW above (PS3.5 §8.1.1).
        let vr: VR
        var frameLength: Int { first.bytes.count }
        /// Bytes of all frames, before padding to even length.
        var length: Int { frameLength * frames.numberOfFrames }

        /// Frame `n` (from 1) decoded.
        /// - Throws: the codec's error, or `.badDescriptor` when it decodes to another length than frame 1.
        func frame(_ n: Int) throws(CodecError) -> [UInt8] {
            let bytes = n == 1 ? first.bytes : try frames.decodedFrame(n).bytes
            guard bytes.count == frameLength else {
                throw CodecError(.badDescriptor, "decodes to \(bytes.count) bytes, frame 1 to \(frameLength)", frame: n)
            }
            return bytes
        }

        /// All frames in one array, padded to even length (PS3.5 §8.1.1); not zero-filled first.
        func joined() throws(CodecError) -> [UInt8] {
            let total = length + length % 2
            var failure: CodecError?
            let bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                initialized = 0
                guard let base = buffer.baseAddress else { return }
                for n in 1...frames.numberOfFrames {
                    do throws(CodecError) {
                        let frame = try frame(n)
                        frame.withUnsafeBufferPointer { f in
                            if let src = f.baseAddress { (base + (n - 1) * frameLength).initialize(from: src, count: frameLength) }
                        }
                    } catch {
                        failure = error
                        return
                    }
                }
                if total > length { base[length] = 0 }
                initialized = total
            }
            if let failure { throw failure }
            return bytes
        }
    }

    static func prepare(_ file: DicomFile, to target: TransferSyntax, options: EncodeOptions) throws(CodecError) -> Plan {
        let source = file.transferSyntax
        let hasPixels = file.dataSet.contains(.pixelData)
        if !hasPixels || (!source.isEncapsulated && !target.isEncapsulated) || source.uid == target.uid {
            do { return Plan(file: try file.converted(to: target)) } catch {
                throw CodecError(.failed, "cannot convert to \(target.name): \(error)")
            }
        }
        if target.isEncapsulated && target.isBigEndian {
            throw CodecError(.unsupported, "\(target.name) cannot hold encapsulated Pixel Data")
        }
        let frames = try PixelDataFrames(file)
        var ds = file.dataSet
        // Frames are decoded one at a time: encoded into fragments, or kept for the caller to
        // join or write (nativeFrames).
        let first = try frames.decodedFrame(1)
        ds.remove(.extendedOffsetTable)
        ds.remove(.extendedOffsetTableLengths)
        var nativeFrames: NativeFrames?

        if !target.isEncapsulated {
            let d = first.descriptor
            let native = NativeFrames(frames: frames, first: first, vr: d.bitsAllocated > 8 ? .OW : .OB)
            ds[.pixelData] = DataElement(tag: .pixelData, vr: native.vr, value: .bytes([]))
            nativeFrames = native
            try setImageAttributes(&ds, photometric: d.photometricInterpretation,
                                   planar: d.samplesPerPixel > 1 ? d.planarConfiguration : nil)
        } else {
            var fragments: [EncapsulatedPixelData.Fragment] = []
            var offsets: [UInt8] = []
            var position: UInt32 = 0
            var photometric = first.descriptor.photometricInterpretation
            var lossyRatios: [Double] = []
            for k in 0..<frames.numberOfFrames {
                let frame = k == 0 ? first : try frames.decodedFrame(k + 1)
                guard let codec = CodecRegistry.encoder(for: target.uid, frame.descriptor) else {
                    let palette = CodecRegistry.paletteRefused(target.uid, frame.descriptor)
                    throw CodecError(.unsupported, "no encoder for \(target.name) with \(frame.descriptor.bitsAllocated) bits allocated, "
                                     + "\(frame.descriptor.samplesPerPixel) samples, \(frame.descriptor.photometricInterpretation)"
                                     + (palette ? " (PALETTE COLOR goes only into a lossless syntax, PS3.5 §8.2)" : ""),
                                     frame: k + 1)
                }
                var encoded: EncodedFrame
                do { encoded = try codec.encode(frame, syntax: target.uid, options: options) } catch {
                    var e = error
                    e.frame = k + 1
                    throw e
                }
                // PS3.5 §A.4: fragments have even length; JPEG family streams take a trailing 0x00.
                if encoded.codestream.count % 2 == 1 { encoded.codestream.append(0) }
                for s in [0, 8, 16, 24] { offsets.append(UInt8(truncatingIfNeeded: position >> UInt32(s))) }
                position &+= 8 + UInt32(truncatingIfNeeded: encoded.codestream.count)
                // A codec may hand back a buffer sized for the worst case (RLE: the whole frame);
                // kept as is, each would pin that much heap and push the next frame's buffers
                // onto fresh pages. An exact copy frees it for the next frame.
                if encoded.codestream.capacity > encoded.codestream.count + encoded.codestream.count / 2 {
                    encoded.codestream = Array(encoded.codestream[...])   // a new buffer of their size
                }
                fragments.append(.bytes(encoded.codestream))
                photometric = encoded.photometricInterpretation
                if let r = encoded.lossyRatio { lossyRatios.append(r) }
            }
            // A Basic Offset Table only when every offset fits in 32 bits (PS3.5 §A.4).
            let table = UInt64(position) == fragments.reduce(UInt64(0), { $0 + 8 + $1.length }) ? offsets : []
            ds[.pixelData] = DataElement(tag: .pixelData, vr: .OB,
                                         value: .encapsulated(EncapsulatedPixelData(basicOffsetTable: table, fragments: fragments)),
                                         undefinedLength: true)
            // PS3.5 §8.2: encapsulated colour data is recorded with Planar Configuration 0.
            try setImageAttributes(&ds, photometric: photometric, planar: first.descriptor.samplesPerPixel > 1 ? 0 : nil)
            if !lossyRatios.isEmpty {
                let ratio = lossyRatios.reduce(0, +) / Double(lossyRatios.count)
                try setLossy(&ds, ratio: ratio, method: lossyMethod(target.uid))
            }
        }

        var out = file
        out.dataSet = ds
        out.transferSyntax = target
        out.dataSetEncoding = DataSetEncoding(target)
        out.fileMetaInformation[.transferSyntaxUID] = .uid(.transferSyntaxUID, target.uid)
        do { return Plan(file: try out.normalized(), nativeFrames: nativeFrames) } catch {
            throw CodecError(.failed, "cannot write \(target.name): \(error)")
        }
    }

    private static func setImageAttributes(_ ds: inout DataSet, photometric: String, planar: Int?) throws(CodecError) {
        do {
            try ds.set(.photometricInterpretation, string: photometric)
            if let planar { try ds.set(.planarConfiguration, int: planar) }
        } catch {
            throw CodecError(.failed, "cannot set the Image Pixel Module: \(error)")
        }
    }

    /// PS3.3 §C.7.6.1.1.5: once lossy, always "01"; ratios and methods accumulate.
    private static func setLossy(_ ds: inout DataSet, ratio: Double, method: String) throws(CodecError) {
        do {
            try ds.set(.lossyImageCompression, string: "01")
            try ds.set(.lossyImageCompressionRatio, doubles: (ds.doubles(.lossyImageCompressionRatio) ?? []) + [ratio])
            try ds.set(.lossyImageCompressionMethod, strings: ds.strings(.lossyImageCompressionMethod) + [method])
        } catch {
            throw CodecError(.failed, "cannot set the lossy compression attributes: \(error)")
        }
    }

    /// Defined Terms of Lossy Image Compression Method (PS3.3 §C.7.6.1.1.5.1).
    static func lossyMethod(_ uid: String) -> String {
        if uid.hasPrefix("1.2.840.10008.1.2.4.8") { return "ISO_14495_1" }  // JPEG-LS
        if uid.hasPrefix("1.2.840.10008.1.2.4.9") || uid.hasPrefix("1.2.840.10008.1.2.4.20") { return "ISO_15444_1" }
        return "ISO_10918_1"
    }
}
