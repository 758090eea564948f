// PS3.18 §8.7.3.5: the transfer syntax of each instance sent, from the Accept header's ranges.
import DicomArchive
import DicomCore

enum TransferSyntaxNegotiation {
    /// PS3.18 §8.7.3.5.2: application/dicom without a transfer-syntax parameter means Explicit VR Little Endian.
    static let explicitVRLittleEndian = "1.2.840.10008.1.2.1"

    /// The syntax to send an instance stored as `stored` in, or nil when no range allows one we
    /// can produce. `transfer-syntax=*` (and `*/*`) keep what is stored.
    static func syntax(for stored: String, ranges: [MediaRange]) -> String? {
        for range in ranges where range.quality > 0 {
            guard range.acceptsParts(of: "application/dicom") || range.type == "application/*" else { continue }
            // A wildcard leaves the syntax to us: we keep what is stored.
            let wildcard = range.type.hasSuffix("*") || range.partType.hasSuffix("*")
            let wanted = range.transferSyntax ?? (wildcard ? "*" : explicitVRLittleEndian)
            if wanted == "*" || wanted == stored { return stored }
            if canConvert(from: stored, to: wanted) { return wanted }
        }
        return nil
    }

    /// Whether an instance can be re-encoded from `from` to `to`: between the uncompressed and
    /// deflated syntaxes (DicomCore converts them), and to or from a compressed syntax when the
    /// codec registry decodes the source and encodes the target (PS3.5 §8 / Annex A.4).
    static func canConvert(from: String, to: String) -> Bool {
        let source = TransferSyntax(uid: from), target = TransferSyntax(uid: to)
        let native = Set(TransferSyntax.native.map(\.uid))
        if native.contains(from) && native.contains(to) { return true }
        guard !target.isBigEndian else { return false }
        let decodes = !source.isEncapsulated || CodecRegistry.decodableSyntaxes.contains(from)
        let encodes = !target.isEncapsulated || CodecRegistry.codecs.contains { $0.transferSyntaxUIDs.contains(to) }
        return decodes && encodes && (native.contains(to) || target.isEncapsulated)
    }

    /// The whole instance re-encoded in `syntax` (PS3.10 file with its meta group rebuilt),
    /// through the transcoder (lossless unless the target syntax is lossy only).
    /// A preview made by the preview policy in that syntax is sent as it is.
    static func converted(_ instance: IndexedInstance, to syntax: String, in archive: Archive) async throws -> [UInt8] {
        try await BlockingIO.run { () throws(ArchiveError) -> [UInt8] in
            if let preview = archive.preview(of: instance, in: syntax) { return preview }
            let source = try archive.store.open(instance.objectPath)
            do {
                let file = try DicomFile.read(source: source)
                let target = TransferSyntax(uid: syntax)
                let options = lossyOnly.contains(syntax) ? EncodeOptions(quality: 90) : .lossless
                return try Transcoder.transcode(file, to: target, options: options).encoded()
            } catch {
                throw ArchiveError.unreadable("instance \(instance.sopInstanceUID) to \(syntax): \(error)")
            }
        }
    }

    /// Syntaxes that have no lossless mode (JPEG Baseline and Extended, PS3.5 §A.4.1).
    static let lossyOnly: Set<String> = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"]
}

/// PS3.18 §10.4.1.1.4 (frame list): "1", "1,3,5": 1-based frame numbers, comma separated.
enum FrameList {
    static let maxCount = 10_000

    static func parse(_ text: String) throws(DicomWebError) -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.isEmpty, parts.count <= maxCount else { throw .badRequest("a frame list is 1 to \(maxCount) frame numbers") }
        var numbers: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 10, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p) else {
                throw .badRequest("\"\(p.prefix(16))\" in frame list \"\(text.prefix(64))\" is not a frame number")
            }
            guard n >= 1 else { throw .badRequest("frame numbers start at 1 (PS3.18 §10.4.1.1.4)") }
            numbers.append(n)
        }
        return numbers
    }
}
