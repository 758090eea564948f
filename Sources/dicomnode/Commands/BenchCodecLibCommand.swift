import ArgumentParser
import DicomCore
import Foundation

/// `dicomnode bench-codec-lib FILE... --syntax UID [--encode] [--repeat N]`: hidden; times the codecs
/// around libjpeg-turbo, CharLS and OpenJPEG in process for bench/codecs-libs.sh.
///
/// Decode mode reads each file's frames (their own syntax must be `--syntax`) and decodes them; encode mode
/// takes each file's native frames (decoding first when the file is compressed) and encodes them into
/// `--syntax`. Prints one line: `decode|encode syntax=… frames=… native_bytes=… seconds=… mb_per_s=…`
/// (MB of native pixel data per second, 10^6 bytes).
struct BenchCodecLibCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-codec-lib",
        abstract: "Time the libjpeg-turbo, CharLS and OpenJPEG codecs on files (benchmark helper).",
        shouldDisplay: false
    )

    @Option(name: .customLong("syntax"), help: "Transfer syntax UID to decode from or encode into.")
    var syntax: String

    @Flag(name: .customLong("encode"), help: "Encode native frames into --syntax instead of decoding.")
    var encode = false

    @Option(name: .customLong("quality"), help: "Lossy quality 1–100 (JPEG, JPEG 2000 .91).")
    var quality: Int?

    @Option(name: .customLong("repeat"), help: "Times to run over all frames.")
    var repeatCount = 1

    @Argument(help: "DICOM files.")
    var paths: [String]

    func run() throws {
        var work: [(frame: [UInt8], descriptor: FrameDescriptor)] = []
        var natives: [DecodedFrame] = []
        for path in FileArguments.expand(paths) {
            let file = try DicomFile.read(path: path)
            let descriptor = try FrameDescriptor(file.dataSet)
            let frames = try Self.frames(of: file.dataSet, descriptor: descriptor)
            if encode {
                if file.transferSyntax.isEncapsulated {
                    guard let codec = CodecRegistry.decoder(for: file.transferSyntax.uid, descriptor) else {
                        throw ValidationError("\(path): no decoder for \(file.transferSyntax.uid)")
                    }
                    for f in frames { natives.append(try codec.decode(f, descriptor: descriptor, syntax: file.transferSyntax.uid)) }
                } else {
                    natives += frames.map { DecodedFrame(bytes: $0, descriptor: descriptor) }
                }
            } else {
                guard file.transferSyntax.uid == syntax else { throw ValidationError("\(path) is in \(file.transferSyntax.uid), not \(syntax)") }
                work += frames.map { ($0, descriptor) }
            }
        }
        var nativeBytes = 0, count = 0
        let options = EncodeOptions(quality: quality)
        let start = ContinuousClock.now
        for _ in 0..<max(1, repeatCount) {
            if encode {
                for n in natives {
                    guard let codec = CodecRegistry.encoder(for: syntax, n.descriptor) else { throw ValidationError("no encoder for \(syntax)") }
                    _ = try codec.encode(n, syntax: syntax, options: options)
                    nativeBytes += n.descriptor.nativeFrameLength; count += 1
                }
            } else {
                for w in work {
                    guard let codec = CodecRegistry.decoder(for: syntax, w.descriptor) else { throw ValidationError("no decoder for \(syntax)") }
                    let d = try codec.decode(w.frame, descriptor: w.descriptor, syntax: syntax)
                    nativeBytes += d.bytes.count; count += 1
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("\(encode ? "encode" : "decode") syntax=\(syntax) frames=\(count) native_bytes=\(nativeBytes) seconds=\(String(format: "%.4f", seconds)) mb_per_s=\(String(format: "%.1f", Double(nativeBytes) / 1e6 / max(seconds, 1e-9)))")
    }

    /// Each frame's bytes: native frames sliced from Pixel Data, or encapsulated frames (one fragment per
    /// frame, all fragments of a single frame, or grouped by the Basic Offset Table).
    static func frames(of dataSet: DataSet, descriptor: FrameDescriptor) throws -> [[UInt8]] {
        let count = max(1, dataSet.int(.numberOfFrames) ?? 1)
        switch dataSet[.pixelData]?.value {
        case .bytes(let b)?:
            let n = descriptor.nativeFrameLength
            guard b.count >= n * count else { throw ValidationError("Pixel Data holds \(b.count) bytes, \(count) frames need \(n * count)") }
            return (0..<count).map { Array(b[($0 * n)..<(($0 + 1) * n)]) }
        case .encapsulated(let pixels)?:
            var fragments: [[UInt8]] = []
            for f in pixels.fragments {
                guard case .bytes(let b) = f else { throw ValidationError("fragment not in memory") }
                fragments.append(b)
            }
            if count == 1 { return [fragments.flatMap { $0 }] }
            if fragments.count == count { return fragments }
            let offsets = pixels.basicOffsets
            guard offsets.count == count else { throw ValidationError("cannot tell which fragments make which frame") }
            var frames: [[UInt8]] = [], position = 0, current: [UInt8] = [], next = 1
            for f in fragments {
                if next < count, UInt32(position) == offsets[next] { frames.append(current); current = []; next += 1 }
                current += f
                position += f.count + 8
            }
            frames.append(current)
            guard frames.count == count else { throw ValidationError("Basic Offset Table does not match the fragments") }
            return frames
        default:
            throw ValidationError("no Pixel Data")
        }
    }
}
