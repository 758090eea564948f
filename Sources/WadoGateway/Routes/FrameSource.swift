// PS3.18 §10.4.1.1.4 frames: one frame's bytes read from the stored file, never the whole Pixel
// Data. Native Pixel Data is sliced (PS3.5 §8.1.1); encapsulated frames come as stored.
import DicomArchive
import DicomCore

struct FrameSource: Sendable {
    let instance: IndexedInstance
    let pixelData: DataElement
    let descriptor: FrameDescriptor
    let numberOfFrames: Int
    let syntax: TransferSyntax

    /// How frames go out: the part media type and whether the stored encoding is kept.
    struct Plan: Sendable {
        var mediaType: String
        var partContentType: String
    }

    init(file: DicomFile, instance: IndexedInstance) throws(DicomWebError) {
        guard let pixel = file.dataSet[.pixelData] else {
            throw .notFound("instance \(instance.sopInstanceUID) has no Pixel Data, so no frames")
        }
        do {
            descriptor = try FrameDescriptor(file.dataSet)
        } catch {
            throw DicomWebError(.internalServerError, "instance \(instance.sopInstanceUID): \(error)")
        }
        self.instance = instance
        self.pixelData = pixel
        self.numberOfFrames = max(1, file.dataSet.int(.numberOfFrames) ?? 1)
        self.syntax = file.transferSyntax
    }

    func check(_ numbers: [Int]) throws(DicomWebError) {
        if let bad = numbers.first(where: { $0 > numberOfFrames }) {
            throw .notFound("frame \(bad) is beyond the \(numberOfFrames) frame(s) of instance \(instance.sopInstanceUID)")
        }
    }

    var offeredTypes: [String] {
        guard syntax.isEncapsulated else {
            return ["multipart/related; type=\"application/octet-stream\"; transfer-syntax=\(TransferSyntaxNegotiation.explicitVRLittleEndian)"]
        }
        var types = ["multipart/related; type=\"application/octet-stream\"; transfer-syntax=\(syntax.uid)"]
        if let media = FrameMediaType.mediaType(of: syntax.uid) {
            types.append("multipart/related; type=\"\(media)\"; transfer-syntax=\(syntax.uid)")
        }
        return types
    }

    /// PS3.18 §8.7.3.5.3 (application/octet-stream defaults to Explicit VR Little Endian pixels)
    /// and §8.7.3.5.4 (image media types of the compressed syntaxes, with their default syntax).
    func plan(for ranges: [MediaRange]) -> Plan? {
        for range in ranges where range.quality > 0 {
            let wildcard = range.type.hasSuffix("*") || range.partType.hasSuffix("*")
            if syntax.isEncapsulated, let media = FrameMediaType.mediaType(of: syntax.uid), range.acceptsParts(of: media),
               !wildcard || range.partType == media {
                let wanted = range.transferSyntax ?? FrameMediaType.defaultSyntax(of: media)
                if wanted == "*" || wanted == syntax.uid {
                    return Plan(mediaType: media, partContentType: "\(media); transfer-syntax=\(syntax.uid)")
                }
            }
            guard range.acceptsParts(of: "application/octet-stream") else { continue }
            let wanted = range.transferSyntax ?? (wildcard ? "*" : TransferSyntaxNegotiation.explicitVRLittleEndian)
            if syntax.isEncapsulated {
                if wanted == "*" || wanted == syntax.uid {
                    return Plan(mediaType: "application/octet-stream",
                                partContentType: "application/octet-stream; transfer-syntax=\(syntax.uid)")
                }
            } else if wanted == "*" || TransferSyntax.native.contains(where: { $0.uid == wanted }) {
                // Native frames are little endian bytes whatever the file's syntax.
                return Plan(mediaType: "application/octet-stream",
                            partContentType: "application/octet-stream; transfer-syntax=\(TransferSyntaxNegotiation.explicitVRLittleEndian)")
            }
        }
        return nil
    }

    /// Frame `n` (1-based) as the plan sends it.
    func bytes(of n: Int, plan: Plan) async throws -> [UInt8] {
        let length = descriptor.nativeFrameLength
        let pixel = pixelData
        let uid = instance.sopInstanceUID
        return try await BlockingIO.run { () throws(ArchiveError) -> [UInt8] in
            switch pixel.value {
            case .bulkData(let ref):
                let start = UInt64(n - 1) * UInt64(length)
                guard start + UInt64(length) <= ref.length else {
                    throw ArchiveError.unreadable("instance \(uid): Pixel Data holds fewer frames than Number of Frames says")
                }
                do {
                    var bytes = try ref.loadRange(start: start, count: length)
                    if ref.swapUnit > 1 { ByteOrder.swapInPlace(&bytes, unit: ref.swapUnit) }
                    return bytes
                } catch {
                    throw ArchiveError.io("\(error)")
                }
            case .bytes(let all):
                let start = (n - 1) * length
                guard start + length <= all.count else {
                    throw ArchiveError.unreadable("instance \(uid): Pixel Data holds fewer frames than Number of Frames says")
                }
                return Array(all[start..<(start + length)])
            case .encapsulated(let pixels):
                // One fragment per frame (the common case); the general mapping comes with the codecs.
                guard pixels.fragments.count == numberOfFrames || numberOfFrames == 1 else {
                    throw ArchiveError.unreadable("instance \(uid): frames span several fragments")
                }
                let fragments = numberOfFrames == 1 ? pixels.fragments : [pixels.fragments[n - 1]]
                var out: [UInt8] = []
                for fragment in fragments {
                    switch fragment {
                    case .bytes(let b): out += b
                    case .bulkData(let ref):
                        do { out += try ref.load() } catch { throw ArchiveError.io("\(error)") }
                    }
                }
                return out
            case .sequence:
                throw ArchiveError.unreadable("instance \(uid): Pixel Data is a sequence")
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
        // "image/jhc" is seen in the field for HTJ2K; it means image/jphc.
        let type = mediaType == "image/jhc" ? "image/jphc" : mediaType
        return families.first { $0.0 == type }?.1.first
    }
}
