import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// The JPEG frame-header reader and the Secondary Capture / Encapsulated PDF builders behind
/// `dicomnode img2dcm` (fixtures: Tests/Fixtures/img2dcm, made by Scripts/make-img2dcm-fixtures.py).
@Suite("Secondary Capture and Encapsulated PDF from JPEG and PDF files")
struct SecondaryCaptureTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = Fixtures.directory.appendingPathComponent("img2dcm/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    /// The first fragment of a pydicom test file's Pixel Data (a JPEG stream as written by a DICOM toolkit).
    static func pydicomJPEG(_ name: String) throws -> [UInt8]? {
        guard let url = PydicomCorpus.testFile(name) else { return nil }
        let file = try DicomFile.read(path: url.path)
        guard case .encapsulated(let e)? = file.dataSet[.pixelData]?.value, case .bytes(let b)? = e.fragments.first else {
            return nil
        }
        return b
    }

    @Test("frame headers of Pillow JPEGs: size, components, sampling and photometric interpretation",
          arguments: [("grey.jpg", 1, "MONOCHROME2"), ("colour420.jpg", 3, "YBR_FULL_422"),
                      ("colour422.jpg", 3, "YBR_FULL_422"), ("colour444.jpg", 3, "YBR_FULL")])
    func pillowFrameHeaders(name: String, components: Int, photometric: String) throws {
        let h = try JPEGFrameHeader.parse(Self.fixture(name))
        #expect(h.marker == 0xC0)
        #expect(h.precision == 8)
        #expect(h.rows == 24)
        #expect(h.columns == 33)
        #expect(h.components.count == components)
        #expect(h.hasJFIF)
        #expect(h.photometricInterpretation == photometric)
        if name == "colour420.jpg" {
            #expect(h.components.map { [$0.horizontalSampling, $0.verticalSampling] } == [[2, 2], [1, 1], [1, 1]])
        }
        if name == "colour422.jpg" {
            #expect(h.components.map { [$0.horizontalSampling, $0.verticalSampling] } == [[2, 1], [1, 1], [1, 1]])
        }
    }

    @Test("frame headers of pydicom's JPEG fragments: DCMTK's JFIF 4:4:4 is YBR_FULL, Adobe transform 0 is RGB")
    func pydicomFrameHeaders() throws {
        if let dcmtk = try Self.pydicomJPEG("SC_rgb_jpeg_dcmtk.dcm") {
            let h = try JPEGFrameHeader.parse(dcmtk)
            #expect(h.rows == 100 && h.columns == 100 && h.components.count == 3)
            #expect(h.photometricInterpretation == "YBR_FULL")
        }
        if let adobe = try Self.pydicomJPEG("SC_rgb_jpeg_app14_dcmd.dcm") {
            let h = try JPEGFrameHeader.parse(adobe)
            #expect(h.rows == 256 && h.columns == 256 && h.components.count == 3)
            #expect(h.adobeTransform == 0)
            #expect(h.photometricInterpretation == "RGB")
        }
        if let twelve = try Self.pydicomJPEG("JPEG-lossy.dcm") {
            #expect(throws: ImageConversionError.unsupportedPrecision(12)) { try JPEGFrameHeader.parse(twelve) }
        }
    }

    @Test("progressive JPEG, PNG, empty and truncated input are refused with their reason")
    func refusals() throws {
        #expect(throws: ImageConversionError.unsupportedProcess(marker: 0xC2)) {
            try JPEGFrameHeader.parse(Self.fixture("progressive.jpg"))
        }
        #expect(throws: ImageConversionError.notJPEG) { try JPEGFrameHeader.parse(Self.fixture("colour.png")) }
        #expect(throws: ImageConversionError.notJPEG) { try JPEGFrameHeader.parse([]) }
        let grey = try Self.fixture("grey.jpg")
        // Cut inside the segments before SOF: every prefix is refused, none crashes.
        for n in [2, 3, 4, 5, 10, 21, 40] {
            #expect(throws: ImageConversionError.self) { try JPEGFrameHeader.parse(Array(grey.prefix(n))) }
        }
        // SOS straight after SOI: no frame header.
        #expect(throws: ImageConversionError.noFrameHeader) {
            try JPEGFrameHeader.parse([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02])
        }
        #expect(throws: ImageConversionError.notPDF) {
            try SecondaryCapture.pdf(grey, instanceNumber: 1, context: ConversionContext())
        }
        #expect(throws: ImageConversionError.unsupportedProcess(marker: 0xC2)) {
            try SecondaryCapture.image(jpeg: Self.fixture("progressive.jpg"), instanceNumber: 1, context: ConversionContext())
        }
    }

    @Test("a JPEG becomes a Secondary Capture image holding the JPEG bytes as its one fragment")
    func wrapsJPEG() throws {
        let jpeg = try Self.fixture("colour420.jpg")
        var context = ConversionContext()
        context.patientName = "Doe^Jane"
        context.patientID = "P1"
        context.studyInstanceUID = "1.2.3.4"
        context.accessionNumber = "A7"
        let file = try SecondaryCapture.image(jpeg: jpeg, instanceNumber: 2, context: context)
        let ds = file.dataSet
        #expect(file.transferSyntax.uid == "1.2.840.10008.1.2.4.50")
        #expect(ds.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.7")
        #expect(ds.string(.studyInstanceUID) == "1.2.3.4")
        #expect(ds.string(.seriesInstanceUID) == context.seriesInstanceUID)
        #expect(ds.string(.sopInstanceUID)?.hasPrefix("2.25.") == true)
        #expect(ds.string(.patientName) == "Doe^Jane")
        #expect(ds.string(.accessionNumber) == "A7")
        #expect(ds.string(.modality) == "OT")
        #expect(ds.string(.conversionType) == "WSD")
        #expect(ds.int(.instanceNumber) == 2)
        #expect(ds.int(.rows) == 24 && ds.int(.columns) == 33 && ds.int(.samplesPerPixel) == 3)
        #expect(ds.int(.planarConfiguration) == 0)
        #expect(ds.string(.photometricInterpretation) == "YBR_FULL_422")
        #expect([ds.int(.bitsAllocated), ds.int(.bitsStored), ds.int(.highBit), ds.int(.pixelRepresentation)] == [8, 8, 7, 0])
        #expect(ds.string(.lossyImageCompression) == "01")
        #expect(ds.string(.lossyImageCompressionMethod) == "ISO_10918_1")
        #expect(ds[.specificCharacterSet] == nil)
        for t in [Tag.patientBirthDate, .patientSex, .referringPhysicianName, .studyID, .patientOrientation] {
            #expect(ds.contains(t), "Type 2 \(t) present")
        }
        guard case .encapsulated(let e)? = ds[.pixelData]?.value else {
            Issue.record("Pixel Data is not encapsulated")
            return
        }
        #expect(e.basicOffsetTable.isEmpty)
        #expect(e.fragments.count == 1)
        let padded = jpeg.count % 2 == 0 ? jpeg : jpeg + [0]
        #expect(e.fragments.first == .bytes(padded))

        // Written and read back: still the same bytes.
        let back = try DicomFile.read(bytes: file.encoded(options: .normalized))
        #expect(back.transferSyntax.uid == "1.2.840.10008.1.2.4.50")
        #expect(back.dataSet[.pixelData]?.value == ds[.pixelData]?.value)
    }

    @Test("a non-ASCII patient name switches Specific Character Set to ISO_IR 192")
    func utf8Names() throws {
        var context = ConversionContext()
        context.patientName = "Müller^Jürgen"
        let file = try SecondaryCapture.image(jpeg: Self.fixture("grey.jpg"), instanceNumber: 1, context: context)
        #expect(file.dataSet.string(.specificCharacterSet) == "ISO_IR 192")
        #expect(file.dataSet.string(.photometricInterpretation) == "MONOCHROME2")
        #expect(file.dataSet[.planarConfiguration] == nil)
        let back = try DicomFile.read(bytes: file.encoded(options: .normalized))
        #expect(back.dataSet.string(.patientName) == "Müller^Jürgen")
    }

    @Test("a PDF becomes an Encapsulated PDF whose document is the PDF bytes")
    func wrapsPDF() throws {
        let pdf = try Self.fixture("blank.pdf")
        var context = ConversionContext()
        context.title = "Letter"
        let file = try SecondaryCapture.pdf(pdf, instanceNumber: 1, context: context)
        let ds = file.dataSet
        #expect(file.transferSyntax.uid == "1.2.840.10008.1.2.1")
        #expect(ds.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.104.1")
        #expect(ds.string(.mimeTypeOfEncapsulatedDocument) == "application/pdf")
        #expect(ds.string(.modality) == "DOC")
        #expect(ds.string(.conversionType) == "SD")
        #expect(ds.string(.burnedInAnnotation) == "YES")
        #expect(ds.string(.documentTitle) == "Letter")
        #expect(ds[.conceptNameCodeSequence]?.items == [])
        #expect(ds.uint32s(.encapsulatedDocumentLength) == [UInt32(pdf.count)])
        let doc = ds[.encapsulatedDocument]?.bytes ?? []
        #expect(doc.count % 2 == 0)
        #expect(Array(doc.prefix(pdf.count)) == pdf)
    }
}
