// PS3.5 §8 and Annex A.4: pixel data encodings. One protocol for every codec, one registry keyed
// by transfer syntax UID; the retrieve paths, WADO and the transcoder find codecs only through it.

/// What a codec needs to know about a frame: the Image Pixel Module attributes (PS3.3 §C.7.6.3).
public struct FrameDescriptor: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// (0028,0002): 1 for grey and palette, 3 for colour.
    public var samplesPerPixel: Int
    /// (0028,0100): 8, 16 or 32 (1 for bit-packed overlays, not handled by codecs).
    public var bitsAllocated: Int
    /// (0028,0101)
    public var bitsStored: Int
    /// (0028,0102)
    public var highBit: Int
    /// (0028,0103): true when samples are two's complement.
    public var isSigned: Bool
    /// (0028,0006): 0 colour-by-pixel (R1G1B1R2…), 1 colour-by-plane (R…G…B…).
    public var planarConfiguration: Int
    /// (0028,0004), e.g. "MONOCHROME2", "RGB", "YBR_FULL_422".
    public var photometricInterpretation: String

    public init(rows: Int, columns: Int, samplesPerPixel: Int, bitsAllocated: Int, bitsStored: Int, highBit: Int,
                isSigned: Bool, planarConfiguration: Int, photometricInterpretation: String) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.highBit = highBit
        self.isSigned = isSigned
        self.planarConfiguration = planarConfiguration
        self.photometricInterpretation = photometricInterpretation
    }

    /// Reads the Image Pixel Module of `dataSet`.
    /// - Throws: `CodecError.badDescriptor` when Rows, Columns or Bits Allocated are missing or out of range.
    public init(_ dataSet: DataSet) throws(CodecError) {
        guard let rows = dataSet.int(.rows), let columns = dataSet.int(.columns), rows > 0, columns > 0,
              let bitsAllocated = dataSet.int(.bitsAllocated), [1, 8, 16, 32, 64].contains(bitsAllocated) else {
            throw CodecError(.badDescriptor, "Rows, Columns or Bits Allocated missing or out of range")
        }
        let samples = dataSet.int(.samplesPerPixel) ?? 1
        guard (1...4).contains(samples) else { throw CodecError(.badDescriptor, "Samples per Pixel \(samples)") }
        let stored = dataSet.int(.bitsStored) ?? bitsAllocated
        guard stored >= 1, stored <= bitsAllocated else { throw CodecError(.badDescriptor, "Bits Stored \(stored)") }
        self.init(rows: rows, columns: columns, samplesPerPixel: samples, bitsAllocated: bitsAllocated,
                  bitsStored: stored, highBit: dataSet.int(.highBit) ?? stored - 1,
                  isSigned: (dataSet.int(.pixelRepresentation) ?? 0) == 1,
                  planarConfiguration: dataSet.int(.planarConfiguration) ?? 0,
                  photometricInterpretation: dataSet.string(.photometricInterpretation) ?? (samples == 1 ? "MONOCHROME2" : "RGB"))
    }

    /// Bytes of one frame of `samplesPerPixel` samples per pixel in native (uncompressed, little
    /// endian) encoding, PS3.5 §8.1.1: what codecs take and give.
    public var nativeFrameLength: Int {
        let bits = rows * columns * samplesPerPixel * bitsAllocated
        return bitsAllocated == 1 ? (bits + 7) / 8 : bits / 8
    }

    /// Bytes of one frame as native Pixel Data holds it: native YBR_FULL_422 stores two samples per
    /// pixel (Y1 Y2 Cb Cr, PS3.3 §C.7.6.3.1.2); every other layout is `nativeFrameLength`.
    public var storedNativeFrameLength: Int {
        guard photometricInterpretation == "YBR_FULL_422" && samplesPerPixel == 3 else { return nativeFrameLength }
        let bits = rows * columns * 2 * bitsAllocated
        return bitsAllocated == 1 ? (bits + 7) / 8 : bits / 8
    }
}

/// A frame in native encoding: little endian samples of `bitsAllocated` bits, exactly as the
/// frame would lie in uncompressed Pixel Data, with the photometric interpretation and planar
/// configuration the decoder produced (e.g. a JPEG Baseline YBR_FULL_422 frame may come out RGB).
public struct DecodedFrame: Sendable, Equatable {
    public var bytes: [UInt8]
    public var descriptor: FrameDescriptor
    public init(bytes: [UInt8], descriptor: FrameDescriptor) {
        self.bytes = bytes
        self.descriptor = descriptor
    }
}

/// A frame in a compressed transfer syntax: the codestream (one or more fragments' worth) and
/// what the encoding did to the image (PS3.3 §C.7.6.1.1.5: lossy compression attributes).
public struct EncodedFrame: Sendable, Equatable {
    public var codestream: [UInt8]
    /// The Photometric Interpretation to record for the compressed data (PS3.5 §8.2), e.g. "YBR_FULL_422" or "YBR_RCT".
    public var photometricInterpretation: String
    /// nil for lossless; the compression ratio for lossy encodings.
    public var lossyRatio: Double?
    public init(codestream: [UInt8], photometricInterpretation: String, lossyRatio: Double? = nil) {
        self.codestream = codestream
        self.photometricInterpretation = photometricInterpretation
        self.lossyRatio = lossyRatio
    }
}

/// How to encode: lossless unless a quality is given.
public struct EncodeOptions: Sendable, Equatable {
    /// 1–100 for lossy codecs (JPEG quality, J2K rate is derived from it); nil: lossless where the
    /// syntax allows it.
    public var quality: Int?
    /// JPEG-LS NEAR parameter (0: lossless).
    public var nearLossless: Int
    public init(quality: Int? = nil, nearLossless: Int = 0) {
        self.quality = quality
        self.nearLossless = nearLossless
    }
    public static let lossless = EncodeOptions()
}

/// Why a frame could not be decoded or encoded. The caller adds the instance and frame.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No codec for this transfer syntax, or not for this bit depth / photometric interpretation.
        case unsupported
        /// The codestream is corrupt or truncated.
        case corrupt
        /// The image attributes disagree with the codestream or with each other.
        case badDescriptor
        /// The frame number is not in the object.
        case noSuchFrame
        /// The library reported an error or ran out of memory.
        case failed
    }
    public var kind: Kind
    public var message: String
    /// 1-based frame number, when known.
    public var frame: Int?
    public init(_ kind: Kind, _ message: String, frame: Int? = nil) {
        self.kind = kind
        self.message = message
        self.frame = frame
    }
    public var description: String {
        (frame.map { "frame \($0): " } ?? "") + message
    }
}

/// One codec: decodes and/or encodes the frames of one or more transfer syntaxes.
public protocol PixelCodec: Sendable {
    /// The transfer syntaxes this codec handles.
    var transferSyntaxUIDs: Set<String> { get }
    /// Whether `decode` handles frames like `descriptor` in `syntax`.
    func canDecode(_ descriptor: FrameDescriptor, syntax: String) -> Bool
    /// Whether `encode` handles frames like `descriptor` into `syntax`.
    func canEncode(_ descriptor: FrameDescriptor, syntax: String) -> Bool
    /// Decodes one frame's codestream (its fragments concatenated) to native pixels.
    /// - Throws: `CodecError` (.corrupt for a bad stream, .badDescriptor when it disagrees with `descriptor`).
    func decode(_ codestream: [UInt8], descriptor: FrameDescriptor, syntax: String) throws(CodecError) -> DecodedFrame
    /// Encodes one native frame into `syntax`.
    func encode(_ frame: DecodedFrame, syntax: String, options: EncodeOptions) throws(CodecError) -> EncodedFrame
}

/// Every codec of the node, found by transfer syntax UID.
public enum CodecRegistry {
    /// The codecs written in this package (`CodecRegistry+WrittenHere.swift`) and those around
    /// system libraries (`CodecRegistry+Libraries.swift`).
    public static let codecs: [any PixelCodec] = writtenHere + fromLibraries

    /// The first codec that decodes `descriptor` frames of `syntax`.
    public static func decoder(for syntax: String, _ descriptor: FrameDescriptor) -> (any PixelCodec)? {
        codecs.first { $0.transferSyntaxUIDs.contains(syntax) && $0.canDecode(descriptor, syntax: syntax) }
    }

    /// The first codec that encodes `descriptor` frames into `syntax`; none for a palette image in
    /// a syntax that may be lossy (`paletteRefused`).
    public static func encoder(for syntax: String, _ descriptor: FrameDescriptor) -> (any PixelCodec)? {
        if paletteRefused(syntax, descriptor) { return nil }
        return codecs.first { $0.transferSyntaxUIDs.contains(syntax) && $0.canEncode(descriptor, syntax: syntax) }
    }

    /// PS3.5 §8.2.3, §8.2.4: PALETTE COLOR only in a lossless syntax. A palette image's values are
    /// indices into its colour tables, so `descriptor` frames are not written in `syntax` when it
    /// may be lossy.
    public static func paletteRefused(_ syntax: String, _ descriptor: FrameDescriptor) -> Bool {
        descriptor.photometricInterpretation.uppercased() == "PALETTE COLOR" && TransferSyntax(uid: syntax).permitsLossy
    }

    /// Every transfer syntax some codec decodes.
    public static var decodableSyntaxes: Set<String> {
        codecs.reduce(into: Set<String>()) { $0.formUnion($1.transferSyntaxUIDs) }
    }
}
