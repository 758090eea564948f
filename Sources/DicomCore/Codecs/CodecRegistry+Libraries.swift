// Codecs around system libraries: libjpeg-turbo, CharLS, OpenJPEG, OpenJPH.
extension CodecRegistry {
    static let fromLibraries: [any PixelCodec] = []
}
