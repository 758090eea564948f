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
}

/// Frames of native (uncompressed) Pixel Data, PS3.5 §8.1.1 and §8.2 (frames follow each other
/// without padding; 1-bit frames need not start on a byte boundary).
public enum NativeFrames {
    /// Number of Frames (0028,0008), 1 when absent.
    public static func count(in dataSet: DataSet) -> Int {
        max(1, dataSet.int(.numberOfFrames) ?? 1)
    }

    /// Frame `number` (1-based) of the native Pixel Data of `dataSet` as a `DecodedFrame`. 1-bit
    /// frames come out as 8 bits per sample (Bits Stored 1), native YBR_FULL_422 as it lies
    /// (2 samples per pixel, Y1 Y2 Cb Cr).
    /// - Throws: `CodecError` (.badDescriptor, .noSuchFrame, .corrupt when Pixel Data is too short,
    ///   .unsupported when it is encapsulated).
    public static func frame(_ number: Int, of dataSet: DataSet) throws(CodecError) -> DecodedFrame {
        let descriptor = try FrameDescriptor(dataSet)
        let frames = count(in: dataSet)
        guard number >= 1, number <= frames else {
            throw CodecError(.noSuchFrame, "frame \(number) of \(frames)", frame: number)
        }
        guard let element = dataSet[.pixelData] else { throw CodecError(.badDescriptor, "no Pixel Data (7FE0,0010)") }
        let bytes: [UInt8]
        switch element.value {
        case .bytes(let b): bytes = b
        case .encapsulated: throw CodecError(.unsupported, "encapsulated Pixel Data: decode the frame with the codec registry", frame: number)
        case .sequence: throw CodecError(.badDescriptor, "Pixel Data is a sequence")
        case .bulkData(let ref):
            guard ref.swapUnit <= 1 else { throw CodecError(.unsupported, "big endian Pixel Data left in the file") }
            do {
                bytes = try FileByteSource(path: ref.path).bytes(at: ref.offset, count: Int(ref.length))
            } catch {
                throw CodecError(.failed, "reading Pixel Data: \(error)")
            }
        }
        if descriptor.bitsAllocated == 1 {
            return try bitFrame(number, bytes: bytes, descriptor: descriptor)
        }
        let subsampled = descriptor.photometricInterpretation.uppercased() == "YBR_FULL_422" && descriptor.samplesPerPixel == 3
        let length = subsampled ? descriptor.rows * descriptor.columns * 2 * descriptor.bitsAllocated / 8 : descriptor.nativeFrameLength
        let start = (number - 1) * length
        guard start + length <= bytes.count else {
            throw CodecError(.corrupt, "Pixel Data holds \(bytes.count) bytes, frame \(number) ends at \(start + length)", frame: number)
        }
        return DecodedFrame(bytes: Array(bytes[start..<(start + length)]), descriptor: descriptor)
    }

    /// A 1-bit frame unpacked to one byte per pixel (PS3.5 §8.1.1: the first pixel in the least significant bit).
    static func bitFrame(_ number: Int, bytes: [UInt8], descriptor: FrameDescriptor) throws(CodecError) -> DecodedFrame {
        let pixels = descriptor.rows * descriptor.columns * descriptor.samplesPerPixel
        let firstBit = (number - 1) * pixels
        guard (firstBit + pixels + 7) / 8 <= bytes.count else {
            throw CodecError(.corrupt, "Pixel Data too short for 1-bit frame \(number)", frame: number)
        }
        var out = [UInt8](repeating: 0, count: pixels)
        for i in 0..<pixels {
            let bit = firstBit + i
            out[i] = (bytes[bit >> 3] >> UInt8(bit & 7)) & 1
        }
        var d = descriptor
        d.bitsAllocated = 8
        d.bitsStored = 1
        d.highBit = 0
        d.isSigned = false
        return DecodedFrame(bytes: out, descriptor: d)
    }
}
