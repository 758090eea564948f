import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// Part 10 files (PS3.10 §7): preamble, File Meta, broken forms, conversion, lazy values.
@Suite("Part 10 files")
struct PartTenTests {
    func sampleFile(_ syntax: TransferSyntax) -> DicomFile {
        DicomFile(dataSet: TestBytes.sampleDataSet(), transferSyntax: syntax, sourceApplicationEntityTitle: "MODALITY1")
    }

    func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dicomnode-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    @Test("a new file has the File Meta group PS3.10 §7.1 requires, with a correct group length")
    func fileMetaIsComplete() throws {
        let file = sampleFile(.explicitVRLittleEndian)
        let bytes = try file.encoded()
        #expect(Array(bytes[128..<132]) == Array("DICM".utf8))
        let back = try DicomFile.read(bytes: bytes)
        let meta = back.fileMetaInformation
        #expect(meta[.fileMetaInformationVersion]?.bytes == [0, 1])
        #expect(meta[.mediaStorageSOPClassUID]?.bytes == Array("1.2.840.10008.5.1.4.1.1.2\0".utf8))
        #expect(meta[.mediaStorageSOPInstanceUID]?.bytes == Array("1.2.3.4.5.6.7\0".utf8))
        #expect(meta[.transferSyntaxUID]?.bytes == Array("1.2.840.10008.1.2.1\0".utf8))
        #expect(meta[.implementationClassUID] != nil)
        #expect(meta[.sourceApplicationEntityTitle]?.bytes == Array("MODALITY1 ".utf8))
        // Group length = bytes from after the group length element to the end of the group.
        let groupLength = meta[.fileMetaInformationGroupLength]!.bytes
        let declared = Int(groupLength[0]) | Int(groupLength[1]) << 8 | Int(groupLength[2]) << 16
        #expect(132 + 12 + declared == Int(back.dataSetOffset))
    }

    @Test("conversion between the four native syntaxes keeps every value", arguments: [0, 1, 2, 3])
    func conversions(_ target: Int) throws {
        let syntax = TransferSyntax.native[target]
        for source in TransferSyntax.native {
            let original = sampleFile(source)
            let converted = try DicomFile.read(bytes: original.encoded()).converted(to: syntax)
            let back = try DicomFile.read(bytes: converted.encoded(options: .normalized))
            #expect(back.transferSyntax == syntax)
            for e in original.dataSet.elements {
                #expect(back.dataSet[e.tag]?.value == e.value, "\(source.uid) → \(syntax.uid): \(e.tag)")
            }
            #expect(back.fileMetaInformation[.sourceApplicationEntityTitle] == original.fileMetaInformation[.sourceApplicationEntityTitle])
        }
    }

    @Test("deflated files inflate to the same data set and write back the same inflated bytes")
    func deflated() throws {
        let file = sampleFile(.deflatedExplicitVRLittleEndian)
        let bytes = try file.encoded()
        let plain = try sampleFile(.explicitVRLittleEndian).encoded()
        #expect(bytes.count < plain.count)
        let back = try DicomFile.read(bytes: bytes)
        #expect(back.dataSet == file.dataSet)
        #expect(try back.encodedDataSet() == file.encodedDataSet())
    }

    @Test("files without preamble, without meta, or with a wrong meta group length are read")
    func brokenForms() throws {
        let good = try sampleFile(.explicitVRLittleEndian).encoded()
        // No preamble, no "DICM": meta group first.
        let noPreamble = Array(good[132...])
        let a = try DicomFile.read(bytes: noPreamble)
        #expect(a.preamble == nil && a.hasPrefix == false)
        #expect(a.dataSet == sampleFile(.explicitVRLittleEndian).dataSet)
        #expect(try a.encoded() == noPreamble)
        // No meta at all: a raw Implicit VR data set.
        let raw = try DataSetWriter(encoding: .implicitLittle).encode(TestBytes.sampleDataSet())
        let b = try DicomFile.read(bytes: raw)
        #expect(b.transferSyntax == .implicitVRLittleEndian)
        #expect(b.dataSet.tags == TestBytes.sampleDataSet().tags)
        #expect(try b.encoded() == raw)
        // Raw Explicit VR Big Endian.
        let rawBig = try DataSetWriter(encoding: .explicitBig).encode(TestBytes.sampleDataSet())
        #expect(try DicomFile.read(bytes: rawBig).transferSyntax == .explicitVRBigEndian)
        // Meta group length that lies (says 4): the reader follows the group number, not the length.
        var lying = good
        lying[140] = 4; lying[141] = 0; lying[142] = 0; lying[143] = 0
        let c = try DicomFile.read(bytes: lying)
        #expect(c.dataSet == sampleFile(.explicitVRLittleEndian).dataSet)
        #expect(try c.encoded() == lying)
    }

    @Test("meta says Explicit VR but the data set is Implicit: the first element decides")
    func declaredSyntaxWrong() throws {
        var file = sampleFile(.explicitVRLittleEndian)
        file.dataSetEncoding = .implicitLittle
        let bytes = try file.encoded()
        let back = try DicomFile.read(bytes: bytes)
        #expect(back.dataSetEncoding == .implicitLittle)
        #expect(back.dataSet.tags == file.dataSet.tags)
        #expect(try back.encoded() == bytes)
    }

    @Test("odd-length values and trailing padding are kept as read, and padded by normalization")
    func oddLengthsAndPadding() throws {
        var ds = TestBytes.sampleDataSet()
        ds[.patientID] = DataElement(.patientID, .LO, bytes: Array("ODD".utf8))
        ds[.dataSetTrailingPadding] = DataElement(.dataSetTrailingPadding, .OB, bytes: [0, 0, 0, 0])
        let file = DicomFile(dataSet: ds, transferSyntax: .explicitVRLittleEndian)
        let bytes = try file.encoded()
        let back = try DicomFile.read(bytes: bytes)
        #expect(back.dataSet[.patientID]?.bytes == Array("ODD".utf8))
        #expect(back.dataSet[.dataSetTrailingPadding]?.bytes.count == 4)
        #expect(try back.encoded() == bytes)
        let normalized = try DicomFile.read(bytes: back.normalized().encoded(options: .normalized))
        #expect(normalized.dataSet[.patientID]?.bytes == Array("ODD ".utf8))
    }

    @Test("headers-only reading stops before Pixel Data; lazy reading references it by offset")
    func headersOnlyAndLazy() throws {
        let path = temporaryPath("lazy.dcm")
        let file = sampleFile(.explicitVRLittleEndian)
        try file.write(to: path)
        let headers = try DicomFile.read(path: path, options: .headersOnly)
        #expect(headers.dataSet[.pixelData] == nil)
        #expect(headers.dataSet[.patientName] != nil)
        let lazy = try DicomFile.read(path: path, options: ReadOptions(lazyPixelData: true))
        guard case .bulkData(let ref) = lazy.dataSet[.pixelData]?.value else {
            Issue.record("pixel data was loaded")
            return
        }
        #expect(try ref.load() == file.dataSet[.pixelData]?.bytes)
        #expect(try ref.loadRange(start: 2, count: 2) == [2, 0])
        // A lazily read file writes the same bytes as the fully read one.
        #expect(try lazy.encoded() == file.encoded())
    }

    @Test("lazy reading of Big Endian pixel data swaps when loaded")
    func lazyBigEndian() throws {
        let path = temporaryPath("lazy-big.dcm")
        let file = sampleFile(.explicitVRBigEndian)
        try file.write(to: path)
        let lazy = try DicomFile.read(path: path, options: ReadOptions(lazyPixelData: true))
        guard case .bulkData(let ref) = lazy.dataSet[.pixelData]?.value else {
            Issue.record("pixel data was loaded")
            return
        }
        #expect(try ref.load() == file.dataSet[.pixelData]?.bytes)
    }

    @Test("a multi-frame file larger than the reader's buffers reads lazily without loading its pixels")
    func largeFileLazily() throws {
        let path = temporaryPath("large.dcm")
        var ds = TestBytes.sampleDataSet()
        let frame = [UInt8](repeating: 0x5A, count: 4 * 1024 * 1024)
        var pixels: [UInt8] = []
        for i in 0..<16 { pixels += frame; pixels[pixels.count - 1] = UInt8(i) }
        ds[.pixelData] = DataElement(.pixelData, .OB, bytes: pixels)
        try DicomFile(dataSet: ds, transferSyntax: .explicitVRLittleEndian).write(to: path)
        let lazy = try DicomFile.read(path: path, options: ReadOptions(lazyPixelData: true))
        guard case .bulkData(let ref) = lazy.dataSet[.pixelData]?.value else {
            Issue.record("pixel data was loaded")
            return
        }
        #expect(ref.length == UInt64(pixels.count))
        // The last byte of frame 15, read on its own.
        #expect(try ref.loadRange(start: UInt64(pixels.count - 1), count: 1) == [15])
    }

    @Test("a truncated file is an error naming the element whose value is cut")
    func truncatedFile() throws {
        let bytes = try sampleFile(.explicitVRLittleEndian).encoded()
        let cut = Array(bytes.dropLast(3))
        let error = #expect(throws: DicomReadError.self) { _ = try DicomFile.read(bytes: cut) }
        #expect(error?.tag == .pixelData)
    }

    @Test("converting encapsulated pixel data to a native syntax says a codec is needed")
    func needsCodec() throws {
        var ds = TestBytes.sampleDataSet()
        ds[.pixelData] = DataElement(tag: .pixelData, vr: .OB,
                                     value: .encapsulated(EncapsulatedPixelData(fragments: [.bytes([1, 2])])), undefinedLength: true)
        let jpeg = TransferSyntax(uid: "1.2.840.10008.1.2.4.50")
        let file = DicomFile(dataSet: ds, transferSyntax: jpeg)
        #expect(throws: DicomWriteError.needsCodec(from: jpeg.uid, to: TransferSyntax.explicitVRLittleEndian.uid)) {
            _ = try file.converted(to: .explicitVRLittleEndian)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite("Deflated output has even length")
struct DeflatedEvenLengthTests {
    @Test("A deflated file whose stream has odd length gets one NUL pad byte and reads back to the same data set")
    func padded() throws {
        // Find a data set whose deflated stream has odd length, then check the file carries a pad.
        for n in 1...64 {
            var ds = DataSet()
            ds[.sopClassUID] = .uid(.sopClassUID, "1.2.840.10008.5.1.4.1.1.7")
            ds[.sopInstanceUID] = .uid(.sopInstanceUID, "1.2.3.\(n)")
            ds[.patientName] = .text(.patientName, .PN, String(repeating: "AB^C", count: n))
            let body = try DataSetWriter(encoding: .explicitLittle).encode(ds)
            guard Deflate.deflate(body).count % 2 == 1 else { continue }
            let file = DicomFile(dataSet: ds, transferSyntax: .deflatedExplicitVRLittleEndian)
            let bytes = try file.encoded()
            #expect(bytes.count % 2 == 0)
            #expect(bytes.last == 0)
            #expect(try DicomFile.read(bytes: bytes).dataSet == ds)
            return
        }
        Issue.record("no data set with an odd deflated length was found")
    }
}
