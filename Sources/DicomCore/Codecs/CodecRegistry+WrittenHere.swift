// Codecs written in this package: RLE Lossless (PS3.5 Annex G) and JPEG Lossless (process 14,
// PS3.5 §8.2.1). They come first in `CodecRegistry.codecs`.
extension CodecRegistry {
    static let writtenHere: [any PixelCodec] = [RLECodec(), JPEGLosslessCodec()]
}
