// PS3.4 Annex N: the display pipelines, from a decoded frame to an 8-bit image for PNG or JPEG.
// Used by WADO-RS rendered and thumbnail resources and WADO-URI image/jpeg and image/png
// (PS3.18 §8.3.5.1, §9.1.2.4), and by `dicomnode render`.

/// Renders frames of an image for display.
public enum PixelRenderer {
    /// Renders `frame` (decoded, native little endian) of the image `dataSet` describes: the
    /// grayscale pipeline for MONOCHROME1/2, the palette for PALETTE COLOR, colour conversion for
    /// RGB and YBR; then the region is cut out and the result scaled to the viewport.
    /// - Parameters:
    ///   - frame: the frame's pixels and the descriptor the decoder produced (its Photometric Interpretation decides).
    ///   - dataSet: the image's attributes (Modality LUT, VOI LUT, Presentation LUT Shape, palettes).
    ///   - options: the window, region and viewport.
    /// - Throws: `CodecError` (.unsupported for pixel formats not rendered, .badDescriptor for inconsistent attributes).
    public static func render(_ frame: DecodedFrame, dataSet: DataSet, options: RenderOptions = RenderOptions()) throws(CodecError) -> RenderedImage {
        let pi = frame.descriptor.photometricInterpretation.uppercased()
        var image: RenderedImage
        if pi == "PALETTE COLOR" {
            image = try ColorPipeline.renderPalette(frame, dataSet: dataSet)
        } else if frame.descriptor.samplesPerPixel == 1 {
            // MONOCHROME1/2 (and a grey image without a valid interpretation): PS3.4 §N.2.
            image = try GrayscalePipeline(dataSet: dataSet, descriptor: frame.descriptor, window: options.window).render(frame)
        } else {
            image = try ColorPipeline.renderColor(frame)
        }
        if let region = options.region { image = image.cropped(to: region) }
        if let viewport = options.viewport { image = image.fitted(to: viewport) }
        return image
    }

    /// Renders a grey (MONOCHROME1/2) frame to 16-bit P-Values, for a 16-bit PNG
    /// (`PNGEncoder.encodeGrey16`): the same pipeline as `render`, with 65536 output levels instead of 256.
    /// Region and viewport are not applied.
    /// - Throws: `CodecError.unsupported` for colour and palette frames; those of `render`.
    public static func renderGrey16(_ frame: DecodedFrame, dataSet: DataSet, window: VOIWindow? = nil) throws(CodecError) -> (width: Int, height: Int, samples: [UInt16]) {
        let d = frame.descriptor
        guard d.samplesPerPixel == 1, d.photometricInterpretation.uppercased() != "PALETTE COLOR" else {
            throw CodecError(.unsupported, "16-bit rendering of \(d.photometricInterpretation)")
        }
        let samples = try GrayscalePipeline(dataSet: dataSet, descriptor: d, window: window).render16(frame)
        return (d.columns, d.rows, samples)
    }

    /// Renders frame `number` (1-based) of an image in a native (uncompressed) transfer syntax.
    /// - Throws: `CodecError` (.noSuchFrame, .unsupported for encapsulated Pixel Data, and those of `render`).
    public static func render(dataSet: DataSet, frame number: Int = 1, options: RenderOptions = RenderOptions()) throws(CodecError) -> RenderedImage {
        try render(NativeFrames.frame(number, of: dataSet), dataSet: dataSet, options: options)
    }

    /// Renders frame `number` of an image in any transfer syntax a codec decodes.
    public static func render(_ frames: PixelDataFrames, frame number: Int, dataSet: DataSet,
                              options: RenderOptions = RenderOptions()) throws(CodecError) -> RenderedImage {
        try render(NativeFrames.frame(number, of: frames), dataSet: dataSet, options: options)
    }
}

/// Frames of native (uncompressed) Pixel Data, PS3.5 §8.1.1 and §8.2 (frames follow each other
/// without padding; 1-bit frames need not start on a byte boundary).
public enum NativeFrames {
    /// Number of Frames (0028,0008), 1 when absent.
    public static func count(in dataSet: DataSet) -> Int {
        max(1, dataSet.int(.numberOfFrames) ?? 1)
    }

    /// Frame `number` (1-based) of the native Pixel Data of `dataSet` as a `DecodedFrame` for
    /// display: 1-bit frames come out as 8 bits per sample (Bits Stored 1), native YBR_FULL_422 as
    /// it lies (2 samples per pixel, Y1 Y2 Cb Cr). The bytes come from `PixelDataFrames`.
    /// - Throws: `CodecError` (.badDescriptor, .noSuchFrame, .corrupt when Pixel Data is too short,
    ///   .unsupported when it is encapsulated).
    public static func frame(_ number: Int, of dataSet: DataSet) throws(CodecError) -> DecodedFrame {
        try frame(number, of: PixelDataFrames(dataSet: dataSet, transferSyntax: .explicitVRLittleEndian))
    }

    /// Frame `number` of `frames` for display: native frames as above, encapsulated ones decoded
    /// through the codec registry.
    public static func frame(_ number: Int, of frames: PixelDataFrames) throws(CodecError) -> DecodedFrame {
        if frames.isEncapsulated { return try frames.decodedFrame(number) }
        let bytes = try frames.nativeFrame(number)
        if frames.descriptor.bitsAllocated == 1 { return unpackBits(bytes, descriptor: frames.descriptor) }
        return DecodedFrame(bytes: bytes, descriptor: frames.descriptor)
    }

    /// A 1-bit frame (starting at bit 0 of its first byte, as `PixelDataFrames.nativeFrame` gives
    /// it) unpacked to one byte per pixel (PS3.5 §8.1.1: the first pixel in the least significant bit).
    static func unpackBits(_ bytes: [UInt8], descriptor: FrameDescriptor) -> DecodedFrame {
        let pixels = descriptor.rows * descriptor.columns * descriptor.samplesPerPixel
        var out = [UInt8](repeating: 0, count: pixels)
        for i in 0..<min(pixels, bytes.count * 8) {
            out[i] = (bytes[i >> 3] >> UInt8(i & 7)) & 1
        }
        var d = descriptor
        d.bitsAllocated = 8
        d.bitsStored = 1
        d.highBit = 0
        d.isSigned = false
        return DecodedFrame(bytes: out, descriptor: d)
    }
}
