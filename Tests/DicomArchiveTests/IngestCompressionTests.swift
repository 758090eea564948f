import DicomCore
import DicomTestSupport
import Foundation
import Testing
@testable import DicomArchive

@Suite("Ingest compression policy")
struct IngestCompressionTests {
    /// A 4x2 12-bit image of `modality`.
    func image(sop: String, modality: String) -> DataSet {
        var ds = Sample.dataSet(sop: sop, modality: modality)
        ds[.samplesPerPixel] = DataElement(.samplesPerPixel, .US, bytes: TestBytes.le16([1]))
        ds[.photometricInterpretation] = .text(.photometricInterpretation, .CS, "MONOCHROME2")
        ds[.rows] = DataElement(.rows, .US, bytes: TestBytes.le16([2]))
        ds[.columns] = DataElement(.columns, .US, bytes: TestBytes.le16([4]))
        ds[.bitsAllocated] = DataElement(.bitsAllocated, .US, bytes: TestBytes.le16([16]))
        ds[.bitsStored] = DataElement(.bitsStored, .US, bytes: TestBytes.le16([12]))
        ds[.highBit] = DataElement(.highBit, .US, bytes: TestBytes.le16([11]))
        ds[.pixelRepresentation] = DataElement(.pixelRepresentation, .US, bytes: TestBytes.le16([0]))
        ds[.pixelData] = DataElement(.pixelData, .OW, bytes: TestBytes.le16([0, 1, 4095, 2048, 7, 300, 1000, 12]))
        return ds
    }

    @Test("CT is stored as JPEG-LS lossless with the same pixels; MR, not named, is stored as received")
    func perModality() async throws {
        let root = TemporaryRoot()
        var config = ArchiveConfiguration(root: root.path, durable: false)
        config.ingestCompression = ["CT": "1.2.840.10008.1.2.4.80"]
        let archive = try Archive(configuration: config)
        for (sop, modality) in [("1.2.3.1", "CT"), ("1.2.3.2", "MR")] {
            let staged = try Sample.stage(try Sample.partTen(image(sop: sop, modality: modality)), in: archive)
            _ = try await archive.ingest(staged, context: IngestContext())
        }
        let ct = try #require(try await archive.index.instance(sopInstanceUID: "1.2.3.1"))
        let mr = try #require(try await archive.index.instance(sopInstanceUID: "1.2.3.2"))
        #expect(ct.transferSyntaxUID == "1.2.840.10008.1.2.4.80")
        #expect(mr.transferSyntaxUID == "1.2.840.10008.1.2.1")
        let path = try #require(archive.store.localPath(ct.objectPath))
        let file = try DicomFile.read(path: path)
        #expect(file.transferSyntax.uid == "1.2.840.10008.1.2.4.80")
        #expect(ct.fileSize == Sample.read(path).count)
        let pixels = try PixelDataFrames(file).decodedFrame(1).bytes
        #expect(pixels == TestBytes.le16([0, 1, 4095, 2048, 7, 300, 1000, 12]))
        #expect(root.files(in: "incoming").isEmpty)
    }

    @Test("a \"*\" policy applies to every modality; an image the codec cannot take, and a lossy target, leave it as received")
    func wildcardAndFallback() async throws {
        let root = TemporaryRoot()
        var config = ArchiveConfiguration(root: root.path, durable: false)
        config.ingestCompression = ["*": "1.2.840.10008.1.2.5", "SC": "1.2.840.10008.1.2.4.50"]
        let archive = try Archive(configuration: config)
        // RLE does not encode native YBR_FULL_422 (PS3.3 §C.7.6.3.1.2 subsampled layout).
        var ybr = image(sop: "1.2.3.3", modality: "OT")
        ybr[.samplesPerPixel] = DataElement(.samplesPerPixel, .US, bytes: TestBytes.le16([3]))
        ybr[.photometricInterpretation] = .text(.photometricInterpretation, .CS, "YBR_FULL_422")
        ybr[.bitsAllocated] = DataElement(.bitsAllocated, .US, bytes: TestBytes.le16([8]))
        ybr[.bitsStored] = DataElement(.bitsStored, .US, bytes: TestBytes.le16([8]))
        ybr[.highBit] = DataElement(.highBit, .US, bytes: TestBytes.le16([7]))
        ybr[.pixelData] = DataElement(.pixelData, .OB, bytes: Array(0..<16))
        let sc = image(sop: "1.2.3.4", modality: "SC")
        let mr = image(sop: "1.2.3.5", modality: "MR")
        for ds in [ybr, sc, mr] {
            _ = try await archive.ingest(try Sample.stage(try Sample.partTen(ds), in: archive), context: IngestContext())
        }
        #expect(try await archive.index.instance(sopInstanceUID: "1.2.3.3")?.transferSyntaxUID == "1.2.840.10008.1.2.1")
        #expect(try await archive.index.instance(sopInstanceUID: "1.2.3.4")?.transferSyntaxUID == "1.2.840.10008.1.2.1")
        #expect(try await archive.index.instance(sopInstanceUID: "1.2.3.5")?.transferSyntaxUID == "1.2.840.10008.1.2.5")
    }
}

@Suite("Preview policy")
struct PreviewPolicyTests {
    /// Waits (at most 20 s) for the background worker's preview of `sop` in `syntax`.
    func awaitPreview(_ archive: Archive, sop: String, syntax: String) async throws -> [UInt8]? {
        let instance = try #require(try await archive.index.instance(sopInstanceUID: sop))
        for _ in 0..<200 {
            if let p = archive.preview(of: instance, in: syntax) { return p }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    @Test("CT gets a lossy JPEG 2000 preview beside its untouched original; MR, not named, gets none")
    func previewPerModality() async throws {
        let root = TemporaryRoot()
        var config = ArchiveConfiguration(root: root.path, durable: false)
        config.previewOnIngest = ["CT": "1.2.840.10008.1.2.4.91"]
        let archive = try Archive(configuration: config)
        let source = IngestCompressionTests()
        for (sop, modality) in [("1.2.3.21", "MR"), ("1.2.3.20", "CT")] {
            let staged = try Sample.stage(try Sample.partTen(source.image(sop: sop, modality: modality)), in: archive)
            _ = try await archive.ingest(staged, context: IngestContext())
        }
        let bytes = try #require(try await awaitPreview(archive, sop: "1.2.3.20", syntax: "1.2.840.10008.1.2.4.91"))
        let preview = try DicomFile.read(bytes: bytes)
        #expect(preview.transferSyntax.uid == "1.2.840.10008.1.2.4.91")
        #expect(preview.dataSet.string(.sopInstanceUID) == "1.2.3.20")
        #expect(preview.dataSet.string(.lossyImageCompression) == "01")
        let frame = try PixelDataFrames(preview).decodedFrame(1)
        #expect(frame.bytes.count == 16)
        // The original is as received.
        let ct = try #require(try await archive.index.instance(sopInstanceUID: "1.2.3.20"))
        #expect(ct.transferSyntaxUID == "1.2.840.10008.1.2.1")
        let original = try DicomFile.read(path: try #require(archive.store.localPath(ct.objectPath)))
        #expect(original.dataSet[.pixelData]?.bytes == TestBytes.le16([0, 1, 4095, 2048, 7, 300, 1000, 12]))
        // The MR was queued before the CT: had it been given a preview, it would exist by now.
        let mr = try #require(try await archive.index.instance(sopInstanceUID: "1.2.3.21"))
        #expect(archive.preview(of: mr, in: "1.2.840.10008.1.2.4.91") == nil)
        #expect(archive.store.openPreview(for: mr.objectPath) == nil)
        // Asked in another syntax, the preview is not offered.
        #expect(archive.preview(of: ct, in: "1.2.840.10008.1.2.4.50") == nil)
    }

    @Test("a preview the codec cannot make (12-bit to 8-bit JPEG Baseline) is an error, and nothing is written")
    func previewRefused() async throws {
        let root = TemporaryRoot()
        let archive = try Archive(configuration: ArchiveConfiguration(root: root.path, durable: false))
        let staged = try Sample.stage(try Sample.partTen(IngestCompressionTests().image(sop: "1.2.3.22", modality: "CT")), in: archive)
        _ = try await archive.ingest(staged, context: IngestContext())
        let ct = try #require(try await archive.index.instance(sopInstanceUID: "1.2.3.22"))
        #expect(throws: ArchiveError.self) { try archive.makePreview(key: ct.objectPath, syntax: "1.2.840.10008.1.2.4.50") }
        #expect(archive.store.openPreview(for: ct.objectPath) == nil)
    }
}

