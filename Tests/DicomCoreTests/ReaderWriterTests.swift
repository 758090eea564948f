import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// Encoding and decoding data sets (PS3.5 §7) in the native transfer syntaxes.
@Suite("Data set reading and writing")
struct ReaderWriterTests {
    static let encodings: [(String, DataSetEncoding)] = [
        ("implicit LE", .implicitLittle), ("explicit LE", .explicitLittle), ("explicit BE", .explicitBig),
    ]

    @Test("a data set with every VR, nested sequences and private tags survives write → read in each encoding",
          arguments: [0, 1, 2])
    func roundTripEachEncoding(_ index: Int) throws {
        let (_, encoding) = Self.encodings[index]
        let ds = TestBytes.sampleDataSet()
        let bytes = try DataSetWriter(encoding: encoding).encode(ds)
        let back = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: encoding)
        #expect(back.tags == ds.tags)
        for e in ds.elements {
            let b = try #require(back[e.tag])
            #expect(b.value == e.value, "value of \(e.tag)")
            if encoding.explicitVR { #expect(b.vr == e.vr, "VR of \(e.tag)") }
        }
        // Writing what was read gives the same bytes again.
        #expect(try DataSetWriter(encoding: encoding).encode(back) == bytes)
    }

    @Test("Implicit VR takes VRs from the dictionary, US/SS from Pixel Representation, private from the creator")
    func implicitVRComesFromDictionary() throws {
        let ds = TestBytes.sampleDataSet()
        let bytes = try DataSetWriter(encoding: .implicitLittle).encode(ds)
        let back = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .implicitLittle)
        #expect(back[.patientName]?.vr == .PN)
        #expect(back[.smallestImagePixelValue]?.vr == .SS) // Pixel Representation 1 → signed
        #expect(back[.pixelData]?.vr == .OW)               // PS3.5 §A.1: OW in Implicit VR
        #expect(back[Tag(0x0029, 0x0010)]?.vr == .LO)      // private creator
        #expect(back[Tag(0x0029, 0x1001)]?.vr == .UN)      // unknown private element
        #expect(back[.anatomicRegionSequence]?.vr == .SQ)
    }

    @Test("Explicit VR Big Endian swaps each binary value by its size and leaves strings and OB alone")
    func bigEndianByteOrder() throws {
        var ds = DataSet()
        ds[.rows] = DataElement(.rows, .US, bytes: [0x00, 0x02])                          // 512
        ds[.frameIncrementPointer] = DataElement(.frameIncrementPointer, .AT, bytes: [0x18, 0x00, 0x63, 0x10])
        ds[Tag(0x0066, 0x0017)] = DataElement(Tag(0x0066, 0x0017), .FL, bytes: [0x00, 0x00, 0x80, 0x3F])
        ds[.patientID] = DataElement(.patientID, .LO, bytes: Array("AB".utf8))
        ds[Tag(0x0042, 0x0011)] = DataElement(Tag(0x0042, 0x0011), .OB, bytes: [1, 2])
        let bytes = try DataSetWriter(encoding: .explicitBig).encode(ds)
        // (0010,0020) LO "AB" — PS3.5 §7.3: tag, length big endian
        #expect(Array(bytes[0..<10]) == [0x00, 0x10, 0x00, 0x20, 0x4C, 0x4F, 0x00, 0x02, 0x41, 0x42])
        // (0028,0009) AT (0018,1063): each 16-bit half swapped
        #expect(Array(bytes[10..<22]) == [0x00, 0x28, 0x00, 0x09, 0x41, 0x54, 0x00, 0x04, 0x00, 0x18, 0x10, 0x63])
        // (0028,0010) US 512
        #expect(Array(bytes[22..<32]) == [0x00, 0x28, 0x00, 0x10, 0x55, 0x53, 0x00, 0x02, 0x02, 0x00])
        // (0042,0011) OB: long form, bytes unchanged
        #expect(Array(bytes[32..<46]) == [0x00, 0x42, 0x00, 0x11, 0x4F, 0x42, 0, 0, 0, 0, 0, 2, 1, 2])
        // (0066,0017) FL 1.0
        #expect(Array(bytes[46..<58]) == [0x00, 0x66, 0x00, 0x17, 0x46, 0x4C, 0x00, 0x04, 0x3F, 0x80, 0x00, 0x00])
        let back = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .explicitBig)
        #expect(back == ds)
    }

    @Test("encapsulated pixel data keeps its offset table and fragments")
    func encapsulatedPixelData() throws {
        var ds = DataSet()
        let pixels = EncapsulatedPixelData(basicOffsetTable: TestBytes.le32([0, 18]),
                                           fragments: [.bytes([0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9, 0, 9, 9]), .bytes([7, 7])])
        ds[.pixelData] = DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(pixels), undefinedLength: true)
        let bytes = try DataSetWriter(encoding: .explicitLittle).encode(ds)
        let back = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .explicitLittle)
        guard case .encapsulated(let p) = back[.pixelData]?.value else {
            Issue.record("not encapsulated")
            return
        }
        #expect(p == pixels)
        #expect(p.basicOffsets == [0, 18])
    }

    @Test("a UN element of undefined length is read as an Implicit VR LE sequence (PS3.5 §6.2.2) and written back the same")
    func undefinedLengthUN() throws {
        // Explicit VR LE: (0029,1010) UN, undefined length, one item with (0008,0100) in implicit VR, delimiters.
        let bytes: [UInt8] = [0x29, 0x00, 0x10, 0x10, 0x55, 0x4E, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                              0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,
                              0x08, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x41, 0x42,
                              0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0,
                              0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
        let ds = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .explicitLittle)
        let e = try #require(ds[Tag(0x0029, 0x1010)])
        #expect(e.vr == .UN)
        #expect(e.items?.first?.dataSet[.codeValue]?.bytes == [0x41, 0x42])
        #expect(e.items?.first?.dataSet[.codeValue]?.vr == .SH)
        #expect(try DataSetWriter(encoding: .explicitLittle).encode(ds) == bytes)
    }

    // MARK: - Bad input

    @Test("a value length beyond the end of the data is an error naming the element and offset, not an allocation")
    func hugeLengthIsAnError() throws {
        // (0010,0010) in Implicit VR with length 0xFFFFFFF0
        let bytes: [UInt8] = [0x08, 0x00, 0x16, 0x00, 0x02, 0, 0, 0, 0x31, 0x00,
                              0x10, 0x00, 0x10, 0x00, 0xF0, 0xFF, 0xFF, 0xFF, 0x41]
        #expect {
            _ = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .implicitLittle)
        } throws: { error in
            guard let e = error as? DicomReadError else { return false }
            return e.tag == .patientName && e.offset == 10 && e.reason == .valueTooLong(length: 0xFFFF_FFF0, remaining: 1)
        }
    }

    @Test("a truncated element header is an error at its offset")
    func truncatedHeader() throws {
        let bytes: [UInt8] = [0x08, 0x00, 0x16, 0x00, 0x02, 0, 0, 0, 0x31, 0x00, 0x10, 0x00, 0x10]
        let error = #expect(throws: DicomReadError.self) {
            _ = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .implicitLittle)
        }
        #expect(error?.offset == 10)
    }

    @Test("invalid explicit VR bytes are an error naming the element")
    func invalidVR() throws {
        // first element valid (so the encoding stays explicit), second with VR "zz"
        let bytes: [UInt8] = [0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0x02, 0x00, 0x31, 0x00,
                              0x10, 0x00, 0x10, 0x00, 0x7A, 0x7A, 0x02, 0x00, 0x41, 0x42]
        let error = #expect(throws: DicomReadError.self) {
            _ = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .explicitLittle)
        }
        #expect(error?.reason == .invalidVR(0x7A, 0x7A))
        #expect(error?.tag == .patientName)
    }

    @Test("sequences nested deeper than the limit are refused, not a stack overflow")
    func nestingLimit() throws {
        // 200 nested undefined-length sequences of (0008,1140) in Implicit VR
        var bytes: [UInt8] = []
        for _ in 0..<200 {
            bytes += [0x08, 0x00, 0x40, 0x11, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]
        }
        let error = #expect(throws: DicomReadError.self) {
            _ = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .implicitLittle)
        }
        #expect(error?.reason == .nestingTooDeep(64))
    }

    @Test("an item delimiter outside an item and garbage bytes are errors")
    func strayDelimiter() throws {
        let bytes: [UInt8] = [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]
        #expect(throws: DicomReadError.self) {
            _ = try DataSetReader(source: MemoryByteSource(bytes)).read(encoding: .implicitLittle)
        }
        #expect(throws: DicomReadError.self) {
            _ = try DicomFile.read(bytes: Array("this is not a DICOM file at all, honestly".utf8))
        }
    }
}

@Suite("Byte sources")
struct ByteSourceTests {
    @Test("a memory source asked for zero bytes, or past its end, answers 0 and does not trap")
    func emptyReads() throws {
        let source = MemoryByteSource([1, 2, 3])
        var empty: [UInt8] = []
        let n = try empty.withUnsafeMutableBytes { try source.read(at: 0, into: $0) }
        #expect(n == 0)
        var one: [UInt8] = [0]
        #expect(try one.withUnsafeMutableBytes { try source.read(at: 3, into: $0) } == 0)
        #expect(try one.withUnsafeMutableBytes { try source.read(at: 2, into: $0) } == 1 && one == [3])
        #expect(try source.bytes(at: 1, count: 0) == [])
    }
}
