// libFuzzer target: RLE Lossless decoding (PS3.5 Annex G). The first 4 bytes choose the frame
// (rows, columns, samples, bits allocated); the rest is the codestream. Decoding must return a
// frame of the right size or throw `CodecError`; a decoded frame must encode and decode back to
// itself. Build and run with `Fuzz/run.sh FuzzRLE SECONDS`.
import DicomCore
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 4 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let bits = [8, 16, 32, 8][Int(bytes[2] & 3)]
    let samples = bytes[2] & 4 == 0 ? 1 : 3
    let d = FrameDescriptor(rows: Int(bytes[0]) % 64 + 1, columns: Int(bytes[1]) + 1, samplesPerPixel: samples,
                            bitsAllocated: bits, bitsStored: bits, highBit: bits - 1, isSigned: bytes[3] & 1 == 1,
                            planarConfiguration: Int(bytes[3] >> 1 & 1),
                            photometricInterpretation: samples == 3 ? "RGB" : "MONOCHROME2")
    let codec = RLECodec()
    let frame: DecodedFrame
    do {
        frame = try codec.decode(Array(bytes[4...]), descriptor: d, syntax: RLECodec.transferSyntaxUID)
    } catch {
        return 0
    }
    if frame.bytes.count != d.nativeFrameLength { finding("decoded \(frame.bytes.count) bytes, expected \(d.nativeFrameLength)") }
    do {
        let encoded = try codec.encode(frame, syntax: RLECodec.transferSyntaxUID, options: .lossless)
        let again = try codec.decode(encoded.codestream, descriptor: d, syntax: RLECodec.transferSyntaxUID)
        if again.bytes != frame.bytes { finding("encode → decode changed the frame") }
    } catch {
        finding("a decoded frame did not round-trip: \(error)")
    }
    return 0
}
