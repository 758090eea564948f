import ArgumentParser
import DicomCore
#if canImport(Glibc)
import Glibc
#endif

/// `dicomnode transcode IN OUT --transfer-syntax TS`: rewrite a file in another transfer syntax,
/// decompressing and compressing Pixel Data with the codec registry.
struct TranscodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcode",
        abstract: "Rewrite a DICOM file in another transfer syntax, compressing or decompressing Pixel Data.",
        discussion: """
        Native ↔ encapsulated goes through the codec registry (RLE Lossless and JPEG Lossless are written \
        here; other syntaxes as their codecs are registered). Photometric Interpretation, Planar \
        Configuration, the Pixel Data VR and the Basic Offset Table are updated (PS3.5 §8, §A.4); a lossless \
        transcode leaves the lossy compression attributes alone.
        """
    )

    @Option(name: [.customShort("t"), .customLong("transfer-syntax")],
            help: "rle | jpeg-lossless (.57) | jpeg-lossless-sv1 (.70) | implicit | explicit | deflated | big | a UID | a keyword.")
    var transferSyntax: String

    @Argument(help: "Input file.") var input: String
    @Argument(help: "Output file.") var output: String

    func run() throws {
        guard let target = TranscodeCommand.syntax(named: transferSyntax) else {
            throw ValidationError("unknown transfer syntax '\(transferSyntax)'")
        }
        MemorySetup.forLargeBuffers()
        do {
            // Pixel Data stays in the input file until each frame is read; the output is written
            // frame by frame to a temporary file renamed when complete (Transcoder.write).
            let file = try DicomFile.read(path: input, options: ReadOptions(lazyPixelData: true))
            try Transcoder.write(file, to: target, path: output)
        } catch let e as DicomReadError {
            printError("\(input): \(e)")
            throw ExitCode(1)
        } catch let e as CodecError {
            printError("\(input): \(e)")
            throw ExitCode(1)
        } catch let e as DicomWriteError {
            printError("\(output): \(e)")
            throw ExitCode(1)
        } catch {
            printError("\(output): \(error)")
            throw ExitCode(1)
        }
    }

    /// A syntax by UID, keyword or short name (TransferSyntaxArgument).
    static func syntax(named name: String) -> TransferSyntax? {
        TransferSyntaxArgument(argument: name)?.syntax
    }
}

/// `dicomnode bench-codec FILES... --transfer-syntax TS`: in-process decode and encode speed of a
/// codec over the frames of files (hidden; bench/codecs-native.sh uses it). Prints one line:
/// `decode_MBps=… encode_MBps=… frames=… native_bytes=…` (MB = 10^6 bytes of native pixels).
struct BenchCodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-codec",
        abstract: "Time in-process decode and encode of every frame of files (for bench/).",
        shouldDisplay: false
    )

    @Option(name: [.customShort("t"), .customLong("transfer-syntax")], help: "The syntax to encode to (rle, jpeg-lossless, ...).")
    var transferSyntax: String

    @Option(name: .customLong("seconds"), help: "Run each of decode and encode at least this long.")
    var seconds: Double = 2

    @Argument(help: "DICOM files (native or already in the syntax).") var paths: [String]

    func run() throws {
        guard let target = TranscodeCommand.syntax(named: transferSyntax) else {
            throw ValidationError("unknown transfer syntax '\(transferSyntax)'")
        }
        // Native frames and their encoded streams, prepared before timing.
        var natives: [DecodedFrame] = []
        var streams: [(stream: [UInt8], descriptor: FrameDescriptor)] = []
        for path in paths {
            let file = try DicomFile.read(path: path)
            let frames = try PixelDataFrames(file)
            for n in 1...frames.numberOfFrames {
                let frame = try frames.decodedFrame(n)
                natives.append(frame)
                guard let codec = CodecRegistry.encoder(for: target.uid, frame.descriptor) else {
                    throw ValidationError("no encoder for \(target.name) for \(path)")
                }
                streams.append((try codec.encode(frame, syntax: target.uid, options: .lossless).codestream, frames.descriptor))
            }
        }
        // A codec that skips work cannot win: every frame must decode back to its native bytes.
        var verified = true
        for (k, (stream, d)) in streams.enumerated() {
            guard let codec = CodecRegistry.decoder(for: target.uid, d) else { throw ValidationError("no decoder") }
            verified = try verified && codec.decode(stream, descriptor: d, syntax: target.uid).bytes == natives[k].bytes
        }
        let nativeBytes = natives.reduce(0) { $0 + $1.bytes.count }
        let encodedBytes = streams.reduce(0) { $0 + $1.stream.count }
        func clock(_ id: clockid_t) -> Double {
            var ts = timespec()
            clock_gettime(id, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        func now() -> Double { clock(CLOCK_MONOTONIC) }
        // CPU time of this thread too: on a shared machine the wall clock counts other processes' turns.
        func cpu() -> Double { clock(CLOCK_THREAD_CPUTIME_ID) }
        var checksum = 0
        var start = now(), startCPU = cpu(), rounds = 0
        repeat {
            for (stream, d) in streams {
                guard let codec = CodecRegistry.decoder(for: target.uid, d) else { throw ValidationError("no decoder") }
                checksum &+= try codec.decode(stream, descriptor: d, syntax: target.uid).bytes.count
            }
            rounds += 1
        } while now() - start < seconds
        let decodeRate = Double(nativeBytes * rounds) / (now() - start) / 1e6
        let decodeCPURate = Double(nativeBytes * rounds) / (cpu() - startCPU) / 1e6
        start = now(); startCPU = cpu(); rounds = 0
        repeat {
            for frame in natives {
                guard let codec = CodecRegistry.encoder(for: target.uid, frame.descriptor) else { throw ValidationError("no encoder") }
                checksum &+= try codec.encode(frame, syntax: target.uid, options: .lossless).codestream.count
            }
            rounds += 1
        } while now() - start < seconds
        let encodeRate = Double(nativeBytes * rounds) / (now() - start) / 1e6
        let encodeCPURate = Double(nativeBytes * rounds) / (cpu() - startCPU) / 1e6
        print(String(format: "decode_MBps=%.1f encode_MBps=%.1f decode_cpu_MBps=%.1f encode_cpu_MBps=%.1f ",
                     decodeRate, encodeRate, decodeCPURate, encodeCPURate)
              + "frames=\(natives.count) native_bytes=\(nativeBytes) encoded_bytes=\(encodedBytes) "
              + "verified=\(verified ? "yes" : "no") check=\(checksum & 1)")
    }
}
