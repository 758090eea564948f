// JPEG for WADO image/jpeg (PS3.18 §8.3.5.1): the JPEG Baseline encoder of the codec registry
// (PS3.5 §A.4.1, 1.2.840.10008.1.2.4.50), given the rendered 8-bit image as a native frame.

extension RenderedImage {
    /// JPEG Baseline (Process 1) transfer syntax UID.
    public static let jpegBaselineSyntax = "1.2.840.10008.1.2.4.50"

    /// The image as a JPEG file (image/jpeg), encoded by the registry's JPEG Baseline encoder.
    /// - Parameter quality: 1–100.
    /// - Throws: `CodecError.unsupported` when no JPEG Baseline encoder is registered; the encoder's errors.
    public func jpegData(quality: Int = 90) throws(CodecError) -> [UInt8] {
        let descriptor = FrameDescriptor(rows: height, columns: width, samplesPerPixel: components, bitsAllocated: 8,
                                         bitsStored: 8, highBit: 7, isSigned: false, planarConfiguration: 0,
                                         photometricInterpretation: components == 1 ? "MONOCHROME2" : "RGB")
        guard let codec = CodecRegistry.encoder(for: Self.jpegBaselineSyntax, descriptor) else {
            throw CodecError(.unsupported, "no JPEG Baseline encoder in the codec registry")
        }
        let encoded = try codec.encode(DecodedFrame(bytes: pixels, descriptor: descriptor), syntax: Self.jpegBaselineSyntax,
                                       options: EncodeOptions(quality: min(100, max(1, quality))))
        return Self.withJFIF(encoded.codestream, photometric: encoded.photometricInterpretation)
    }

    /// A DICOM JPEG codestream need not carry a JFIF APP0 marker; outside DICOM a 3-component
    /// stream without one is read as YCbCr only by convention. One is added (after SOI) when the
    /// stream has no APP0/APP14 and its components are YCbCr or grey; an RGB stream is left as it is.
    static func withJFIF(_ stream: [UInt8], photometric: String) -> [UInt8] {
        guard stream.count > 4, stream[0] == 0xFF, stream[1] == 0xD8, stream[2] == 0xFF,
              stream[3] != 0xE0, stream[3] != 0xEE, photometric.uppercased() != "RGB" else { return stream }
        // JFIF 1.01, no units, 1:1 pixel aspect, no thumbnail.
        let app0: [UInt8] = [0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        return [0xFF, 0xD8] + app0 + stream[2...]
    }
}
