// libFuzzer target: JPEG Lossless decoding (ITU-T T.81 process 14, SOF3). The input is a
// codestream; the frame descriptor is taken from its SOF3 segment (when there is one) so that
// the decoder gets past the header checks. Decoding must return a frame of the right size or
// throw `CodecError`; a decoded frame must encode (selection value 1) and decode back to itself.
// Build and run with `Fuzz/run.sh FuzzJPEGLossless SECONDS`.
import DicomCore
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The SOF3 segment: FF C3, length, P, Y, X, Nf.
    var precision = 8, rows = 1, columns = 1, components = 1
    if let i = bytes.indices.first(where: { $0 + 9 < bytes.count && bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC3 }) {
        precision = Int(bytes[i + 4])
        rows = Int(bytes[i + 5]) << 8 | Int(bytes[i + 6])
        columns = Int(bytes[i + 7]) << 8 | Int(bytes[i + 8])
        components = Int(bytes[i + 9])
    }
    guard (1...4).contains(components), rows > 0, columns > 0, rows * columns <= 1 << 20 else { return 0 }
    let bits = precision > 8 ? 16 : 8
    let stored = min(max(precision, 2), 16)
    let d = FrameDescriptor(rows: rows, columns: columns, samplesPerPixel: components, bitsAllocated: bits,
                            bitsStored: stored, highBit: stored - 1, isSigned: false, planarConfiguration: 0,
                            photometricInterpretation: components == 3 ? "RGB" : "MONOCHROME2")
    let codec = JPEGLosslessCodec()
    let frame: DecodedFrame
    do {
        frame = try codec.decode(bytes, descriptor: d, syntax: JPEGLosslessCodec.process14UID)
    } catch {
        return 0
    }
    if frame.bytes.count != d.nativeFrameLength { finding("decoded \(frame.bytes.count) bytes, expected \(d.nativeFrameLength)") }
    guard components == 1 || components == 3 else { return 0 }
    // Samples above the precision cannot come out of a valid stream but can out of a corrupt one (mod 2^16).
    var masked = frame
    let mask = (1 << stored) - 1
    if bits == 8 {
        masked.bytes = frame.bytes.map { UInt8(Int($0) & mask) }
    } else {
        for i in stride(from: 0, to: masked.bytes.count - 1, by: 2) {
            let v = (Int(masked.bytes[i]) | Int(masked.bytes[i + 1]) << 8) & mask
            masked.bytes[i] = UInt8(v & 0xFF)
            masked.bytes[i + 1] = UInt8(v >> 8)
        }
    }
    do {
        let encoded = try codec.encode(masked, syntax: JPEGLosslessCodec.selectionValue1UID, options: .lossless)
        let again = try codec.decode(encoded.codestream, descriptor: d, syntax: JPEGLosslessCodec.selectionValue1UID)
        if again.bytes != masked.bytes { finding("encode → decode changed the frame") }
    } catch {
        finding("a decoded frame did not round-trip: \(error)")
    }
    return 0
}
