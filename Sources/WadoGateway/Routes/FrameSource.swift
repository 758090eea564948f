// PS3.18 §10.4.1.1.4 frames: one frame's bytes read from the stored file, never the whole Pixel
// Data (PixelDataFrames maps fragments to frames through the Extended or Basic Offset Table).
// A frame goes out as stored when the client takes that syntax, else decoded (native, Explicit VR
// Little Endian) or re-encoded into the syntax the client names, through the codec registry.
import DicomArchive
import DicomCore

struct FrameSource: Sendable {
    let instance: IndexedInstance
    let frames: PixelDataFrames
    var numberOfFrames: Int { frames.numberOfFrames }
    var syntax: TransferSyntax { frames.transferSyntax }

    /// How frames go out: the part media type, its Content-Type, and what is done to the frame.
    struct Plan: Sendable {
        enum Action: Sendable, Equatable {
            /// The stored bytes: native slice or the frame's codestream.
            case stored
            /// Decoded to native little endian samples.
            case decode
            /// Decoded and encoded into this syntax.
            case encode(String)
        }
        var mediaType: String
        var partContentType: String
        var action: Action
    }

    init(file: DicomFile, instance: IndexedInstance) throws(DicomWebError) {
        guard file.dataSet[.pixelData] != nil else {
            throw .notFound("instance \(instance.sopInstanceUID) has no Pixel Data, so no frames")
        }
        do {
            frames = try PixelDataFrames(file)
        } catch {
            throw DicomWebError(.internalServerError, "instance \(instance.sopInstanceUID): \(error)")
        }
        self.instance = instance
    }

    func check(_ numbers: [Int]) throws(DicomWebError) {
        if let bad = numbers.first(where: { $0 > numberOfFrames }) {
            throw .notFound("frame \(bad) is beyond the \(numberOfFrames) frame(s) of instance \(instance.sopInstanceUID)")
        }
    }

    var offeredTypes: [String] {
        var types = ["multipart/related; type=\"application/octet-stream\"; transfer-syntax=\(syntax.isEncapsulated ? syntax.uid : TransferSyntaxNegotiation.explicitVRLittleEndian)"]
        if let media = FrameMediaType.mediaType(of: syntax.uid) {
            types.append("multipart/related; type=\"\(media)\"; transfer-syntax=\(syntax.uid)")
        }
        return types
    }

    var canDecode: Bool { !syntax.isEncapsulated || CodecRegistry.decoder(for: syntax.uid, frames.descriptor) != nil }

    /// PS3.18 §8.7.3.5.3 (application/octet-stream defaults to Explicit VR Little Endian pixels)
    /// and §8.7.3.5.4 (image media types of the compressed syntaxes, with their default syntax).
    func plan(for ranges: [MediaRange]) -> Plan? {
        let native = TransferSyntaxNegotiation.explicitVRLittleEndian
        for range in ranges where range.quality > 0 {
            let wildcard = range.type.hasSuffix("*") || range.partType.hasSuffix("*")
            // An image media type: the stored codestream, or the frame encoded into that family.
            if !wildcard, let media = FrameMediaType.families.first(where: { range.acceptsParts(of: $0.0) })?.0 {
                let wanted = range.transferSyntax ?? FrameMediaType.defaultSyntax(of: media)
                if wanted == "*" || wanted == syntax.uid, FrameMediaType.mediaType(of: syntax.uid) == media {
                    return Plan(mediaType: media, partContentType: "\(media); transfer-syntax=\(syntax.uid)", action: .stored)
                }
                if let target = wanted, target != "*", FrameMediaType.mediaType(of: target) == media, canDecode,
                   CodecRegistry.encoder(for: target, decodedDescriptor) != nil {
                    return Plan(mediaType: media, partContentType: "\(media); transfer-syntax=\(target)", action: .encode(target))
                }
                continue
            }
            guard range.acceptsParts(of: "application/octet-stream") else { continue }
            let wanted = range.transferSyntax ?? (wildcard ? "*" : native)
            let octet = "application/octet-stream"
            if wanted == "*" || wanted == syntax.uid {
                let ts = syntax.isEncapsulated ? syntax.uid : native
                return Plan(mediaType: octet, partContentType: "\(octet); transfer-syntax=\(ts)", action: .stored)
            }
            if TransferSyntax.native.contains(where: { $0.uid == wanted }) {
                if !syntax.isEncapsulated {
                    // Native frames are little endian bytes whatever the file's syntax.
                    return Plan(mediaType: octet, partContentType: "\(octet); transfer-syntax=\(native)", action: .stored)
                }
                if canDecode { return Plan(mediaType: octet, partContentType: "\(octet); transfer-syntax=\(native)", action: .decode) }
            }
        }
        return nil
    }

    /// What a decoded frame of this instance looks like (what encoders are asked about).
    var decodedDescriptor: FrameDescriptor {
        var d = frames.descriptor
        if d.photometricInterpretation.hasPrefix("YBR") && syntax.isEncapsulated { d.photometricInterpretation = "RGB" }
        return d
    }

    /// Frame `n` (1-based) as the plan sends it.
    func bytes(of n: Int, plan: Plan) async throws -> [UInt8] {
        let frames = self.frames
        let uid = instance.sopInstanceUID
        return try await BlockingIO.run { () throws(ArchiveError) -> [UInt8] in
            do throws(CodecError) {
                switch plan.action {
                case .stored:
                    return frames.isEncapsulated ? try frames.codestream(frame: n) : try frames.nativeFrame(n)
                case .decode:
                    return try frames.decodedFrame(n).bytes
                case .encode(let target):
                    let decoded = try frames.decodedFrame(n)
                    guard let codec = CodecRegistry.encoder(for: target, decoded.descriptor) else {
                        throw CodecError(.unsupported, "no encoder for \(target)", frame: n)
                    }
                    let options = TransferSyntaxNegotiation.lossyOnly.contains(target) ? EncodeOptions(quality: 90) : .lossless
                    return try codec.encode(decoded, syntax: target, options: options).codestream
                }
            } catch {
                throw ArchiveError.unreadable("instance \(uid): \(error)")
            }
        }
    }
}

/// PS3.18 Table 8.7.3-4 (media types of compressed pixel data), first syntax of each the default.
enum FrameMediaType {
    static let families: [(String, [String])] = [
        ("image/jpeg", ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"]),
        ("image/jls", ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"]),
        ("image/jp2", ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"]),
        ("image/jpx", ["1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93"]),
        ("image/jphc", ["1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"]),
        ("image/dicom-rle", ["1.2.840.10008.1.2.5"]),
    ]

    static func mediaType(of syntax: String) -> String? {
        families.first { $0.1.contains(syntax) }?.0
    }

    static func defaultSyntax(of mediaType: String) -> String? {
        families.first { $0.0 == mediaType }?.1.first
    }
}
