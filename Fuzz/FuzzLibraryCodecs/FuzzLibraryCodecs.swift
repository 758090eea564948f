// libFuzzer target: a codestream handed to the codecs around libjpeg-turbo, CharLS and OpenJPEG.
// Byte 0 picks the transfer syntax, byte 1 the frame shape (samples, bits, signedness), bytes 2–3 the
// rows and columns (1–64); the rest is the codestream. A decode must throw a CodecError or return
// exactly one native frame of the descriptor's size; it must never trap, overrun or hang.
// Build and run with `Fuzz/run.sh FuzzLibraryCodecs SECONDS` (see docs/fuzzing.md).
import DicomCore
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

/// FUZZ_CODECS=jpeg,jls limits the run to some codecs (OpenJPEG 2.5.0 has a known 2-byte over-read inside
/// opj_decode that ASan stops at; see docs/fuzzing.md).
let only: Set<String>? = getenv("FUZZ_CODECS").map { Set(String(cString: $0).split(separator: ",").map(String.init)) }
func family(_ syntax: String) -> String {
    switch syntax {
    case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51": return "jpeg"
    case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81": return "jls"
    default: return "j2k"
    }
}

let syntaxes = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",
                "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202"]
let shapes: [(samples: Int, bits: Int, stored: Int, signed: Bool, photometric: String)] = [
    (1, 8, 8, false, "MONOCHROME2"), (3, 8, 8, false, "RGB"), (3, 8, 8, false, "YBR_FULL_422"), (1, 16, 12, false, "MONOCHROME2"),
    (1, 16, 16, true, "MONOCHROME2"), (1, 16, 12, true, "MONOCHROME1"), (3, 8, 8, false, "YBR_RCT"), (1, 8, 6, false, "MONOCHROME2"),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 4 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let syntax = syntaxes[Int(bytes[0]) % syntaxes.count]
    if let only, !only.contains(family(syntax)) { return 0 }
    let shape = shapes[Int(bytes[1]) % shapes.count]
    let descriptor = FrameDescriptor(rows: 1 + Int(bytes[2]) % 64, columns: 1 + Int(bytes[3]) % 64, samplesPerPixel: shape.samples,
                                     bitsAllocated: shape.bits, bitsStored: shape.stored, highBit: shape.stored - 1,
                                     isSigned: shape.signed, planarConfiguration: 0, photometricInterpretation: shape.photometric)
    guard let codec = CodecRegistry.decoder(for: syntax, descriptor) else { return 0 }
    do {
        let frame = try codec.decode(Array(bytes[4...]), descriptor: descriptor, syntax: syntax)
        if frame.bytes.count != frame.descriptor.nativeFrameLength || frame.descriptor.rows != descriptor.rows
            || frame.descriptor.columns != descriptor.columns {
            finding("\(syntax): decoded \(frame.bytes.count) bytes for \(frame.descriptor)")
        }
    } catch {
        // A CodecError: the stream is corrupt or disagrees with the descriptor.
    }
    return 0
}
