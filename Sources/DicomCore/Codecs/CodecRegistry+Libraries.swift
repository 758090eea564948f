// Codecs around system libraries: libjpeg-turbo (JPEG Baseline/Extended 8-bit), CharLS (JPEG-LS),
// OpenJPEG (JPEG 2000, HTJ2K decode), OpenJPH (HTJ2K encode).
extension CodecRegistry {
    static let fromLibraries: [any PixelCodec] = [
        JPEGBaselineCodec(),
        JPEGLSCodec(),
        JPEG2000Codec(),
        HTJ2KCodec(),
    ]
}
