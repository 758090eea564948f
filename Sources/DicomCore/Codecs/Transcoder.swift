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
        let source = file.transferSyntax
        let hasPixels = file.dataSet.contains(.pixelData)
        if !hasPixels || (!source.isEncapsulated && !target.isEncapsulated) || source.uid == target.uid {
            do { return try file.converted(to: target) } catch {
                throw CodecError(.failed, "cannot convert to \(target.name): \(error)")
            }
        }
        if target.isEncapsulated && target.isBigEndian {
            throw CodecError(.unsupported, "\(target.name) cannot hold encapsulated Pixel Data")
        }
        let frames = try PixelDataFrames(file)
        var ds = file.dataSet
        // Frames are decoded one at a time and go straight into the output (no second copy of them all).
        let first = try frames.decodedFrame(1)
        ds.remove(.extendedOffsetTable)
        ds.remove(.extendedOffsetTableLengths)

        if !target.isEncapsulated {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(first.bytes.count * frames.numberOfFrames + 1)
            bytes += first.bytes
            if frames.numberOfFrames > 1 {
                for n in 2...frames.numberOfFrames { bytes += try frames.decodedFrame(n).bytes }
            }
            if bytes.count % 2 == 1 { bytes.append(0) }  // PS3.5 §8.1.1: even length
            let d = first.descriptor
            ds[.pixelData] = DataElement(tag: .pixelData, vr: d.bitsAllocated > 8 ? .OW : .OB, value: .bytes(bytes))
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
                    throw CodecError(.unsupported, "no encoder for \(target.name) with \(frame.descriptor.bitsAllocated) bits allocated, "
                                     + "\(frame.descriptor.samplesPerPixel) samples, \(frame.descriptor.photometricInterpretation)",
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
        do { return try out.normalized() } catch {
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
