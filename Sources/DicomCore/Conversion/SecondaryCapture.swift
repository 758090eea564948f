import Foundation

/// Who and what a converted image or document belongs to: the Patient, General Study and series
/// attributes shared by every instance made in one conversion.
public struct ConversionContext: Sendable, Equatable {
    public var patientName: String = ""
    public var patientID: String = ""
    /// An existing study to join, else a new one.
    public var studyInstanceUID: String = GeneratedUID.make()
    public var seriesInstanceUID: String = GeneratedUID.make()
    public var accessionNumber: String = ""
    /// (0008,0060); nil: "OT" for images, "DOC" for documents (PS3.3 §C.24.1).
    public var modality: String?
    /// Document Title (0042,0010) of a PDF; Series Description (0008,103E) of images.
    public var title: String?
    public var seriesNumber: Int = 1
    /// Study Date/Time and Content Date/Time.
    public var date: Date = Date()

    public init() {}
}

/// Builds Secondary Capture Image (PS3.3 §A.8.1) and Encapsulated PDF (PS3.3 §A.45.1) instances
/// around existing JPEG and PDF bytes, without re-encoding them.
public enum SecondaryCapture {
    public static let secondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7"
    public static let encapsulatedPDFStorage = "1.2.840.10008.5.1.4.1.1.104.1"
    public static let jpegBaselineUID = "1.2.840.10008.1.2.4.50"
    public static let jpegExtendedUID = "1.2.840.10008.1.2.4.51"

    /// A Secondary Capture Image in JPEG Baseline (SOF0) or JPEG Extended (SOF1, 8-bit) holding
    /// `jpeg` as its single fragment.
    /// - Parameters:
    ///   - jpeg: a JFIF/JPEG interchange stream, 8-bit sequential, 1 or 3 components.
    ///   - instanceNumber: (0020,0013).
    ///   - context: patient, study and series attributes.
    /// - Throws: `ImageConversionError` when the stream is not one that can be wrapped;
    ///   `ValueError` when a given attribute cannot be encoded.
    public static func image(jpeg: [UInt8], instanceNumber: Int, context: ConversionContext) throws -> DicomFile {
        let header = try JPEGFrameHeader.parse(jpeg)
        guard jpeg.count < Int(UInt32.max) - 1 else { throw ImageConversionError.tooLarge(jpeg.count) }
        var ds = try commonAttributes(sopClassUID: secondaryCaptureImageStorage, modality: context.modality ?? "OT",
                                      instanceNumber: instanceNumber, context: context)
        // SC Equipment Module (PS3.3 §C.8.6.1): converted at a workstation.
        try ds.set(.conversionType, string: "WSD")
        if let title = context.title { try ds.set(.seriesDescription, string: title) }
        // General Series Module: Laterality is Type 2C (a paired body part); not known here, so present and empty.
        ds[.laterality] = DataElement(.laterality, .CS, bytes: [])
        // General Image Module (PS3.3 §C.7.6.1): Patient Orientation is Type 2C, empty here (not known).
        ds[.patientOrientation] = DataElement(.patientOrientation, .CS, bytes: [])
        // Image Pixel Module (PS3.3 §C.7.6.3) from the frame header; encapsulated colour is planar 0 (PS3.5 §8.2).
        try ds.set(.samplesPerPixel, int: header.components.count)
        try ds.set(.photometricInterpretation, string: header.photometricInterpretation)
        if header.components.count > 1 { try ds.set(.planarConfiguration, int: 0) }
        try ds.set(.rows, int: header.rows)
        try ds.set(.columns, int: header.columns)
        try ds.set(.bitsAllocated, int: 8)
        try ds.set(.bitsStored, int: 8)
        try ds.set(.highBit, int: 7)
        try ds.set(.pixelRepresentation, int: 0)
        // PS3.3 §C.7.6.1.1.5: the image has been lossy compressed, by ISO 10918-1.
        try ds.set(.lossyImageCompression, string: "01")
        try ds.set(.lossyImageCompressionMethod, string: "ISO_10918_1")
        // PS3.5 §A.4: empty Basic Offset Table item, one fragment of even length.
        var fragment = jpeg
        if fragment.count % 2 == 1 { fragment.append(0) }
        ds[.pixelData] = DataElement(tag: .pixelData, vr: .OB,
                                     value: .encapsulated(EncapsulatedPixelData(basicOffsetTable: [], fragments: [.bytes(fragment)])),
                                     undefinedLength: true)
        let syntax = header.marker == 0xC0 ? jpegBaselineUID : jpegExtendedUID
        return DicomFile(dataSet: ds, transferSyntax: TransferSyntax(uid: syntax))
    }

    /// An Encapsulated PDF instance (PS3.3 §A.45.1) in Explicit VR Little Endian.
    /// - Parameters:
    ///   - pdf: the document, starting with "%PDF-".
    ///   - instanceNumber: (0020,0013), Type 1 here.
    ///   - context: patient, study and series attributes; `title` is the Document Title.
    /// - Throws: `ImageConversionError.notPDF`; `ValueError` when a given attribute cannot be encoded.
    public static func pdf(_ pdf: [UInt8], instanceNumber: Int, context: ConversionContext) throws -> DicomFile {
        guard pdf.count >= 5, Array(pdf[0..<5]) == Array("%PDF-".utf8) else { throw ImageConversionError.notPDF }
        guard pdf.count < Int(UInt32.max) - 1 else { throw ImageConversionError.tooLarge(pdf.count) }
        var ds = try commonAttributes(sopClassUID: encapsulatedPDFStorage, modality: context.modality ?? "DOC",
                                      instanceNumber: instanceNumber, context: context)
        // SC Equipment Module: a scanned or converted document (PS3.3 §C.8.6.1, Defined Term "SD").
        try ds.set(.conversionType, string: "SD")
        // General Equipment Module (M in A.45.1): Manufacturer is Type 2.
        ds[.manufacturer] = DataElement(.manufacturer, .LO, bytes: [])
        // Encapsulated Document Module (PS3.3 §C.24.2).
        let stamp = dateTime(context.date)
        try ds.set(.acquisitionDateTime, string: stamp.date + stamp.time)
        try ds.set(.burnedInAnnotation, string: "YES")
        try ds.set(.documentTitle, string: context.title ?? "")
        ds[.conceptNameCodeSequence] = DataElement(tag: .conceptNameCodeSequence, vr: .SQ, value: .sequence([]))
        try ds.set(.mimeTypeOfEncapsulatedDocument, string: "application/pdf")
        // PS3.5 §7.1: OB values have even length; a trailing NUL after %%EOF is what PS3.3
        // §C.24.2.1 expects readers to tolerate (Encapsulated Document Length gives the true size).
        var bytes = pdf
        if bytes.count % 2 == 1 { bytes.append(0) }
        ds[.encapsulatedDocument] = DataElement(.encapsulatedDocument, .OB, bytes: bytes)
        try ds.set(.encapsulatedDocumentLength, uint32s: [UInt32(pdf.count)])
        return DicomFile(dataSet: ds, transferSyntax: .explicitVRLittleEndian)
    }

    /// SOP Common, Patient, General Study, General Series and the dates every instance carries.
    static func commonAttributes(sopClassUID: String, modality: String, instanceNumber: Int,
                                 context: ConversionContext) throws -> DataSet {
        var ds = DataSet()
        // PS3.3 §C.12.1.1.2: Specific Character Set is required when a value is outside the
        // default repertoire; UTF-8 (ISO_IR 192) then, set first so that the strings below use it.
        let texts = [context.patientName, context.patientID, context.accessionNumber, context.title ?? ""]
        if texts.contains(where: { !$0.unicodeScalars.allSatisfy(\.isASCII) }) {
            try ds.set(.specificCharacterSet, string: "ISO_IR 192")
        }
        let stamp = dateTime(context.date)
        // SOP Common (PS3.3 §C.12.1).
        ds[.sopClassUID] = .uid(.sopClassUID, sopClassUID)
        ds[.sopInstanceUID] = .uid(.sopInstanceUID, GeneratedUID.make())
        try ds.set(.instanceCreationDate, string: stamp.date)
        try ds.set(.instanceCreationTime, string: stamp.time)
        // Patient Module (PS3.3 §C.7.1.1): Type 2 attributes present, empty when not known.
        try ds.set(.patientName, string: context.patientName)
        try ds.set(.patientID, string: context.patientID)
        ds[.patientBirthDate] = DataElement(.patientBirthDate, .DA, bytes: [])
        ds[.patientSex] = DataElement(.patientSex, .CS, bytes: [])
        // General Study Module (PS3.3 §C.7.2.1).
        ds[.studyInstanceUID] = .uid(.studyInstanceUID, context.studyInstanceUID)
        try ds.set(.studyDate, string: stamp.date)
        try ds.set(.studyTime, string: stamp.time)
        ds[.referringPhysicianName] = DataElement(.referringPhysicianName, .PN, bytes: [])
        ds[.studyID] = DataElement(.studyID, .SH, bytes: [])
        try ds.set(.accessionNumber, string: context.accessionNumber)
        // General Series Module (PS3.3 §C.7.3.1) / Encapsulated Document Series (§C.24.1).
        try ds.set(.modality, string: modality)
        ds[.seriesInstanceUID] = .uid(.seriesInstanceUID, context.seriesInstanceUID)
        try ds.set(.seriesNumber, int: context.seriesNumber)
        // General Image / Encapsulated Document Module.
        try ds.set(.instanceNumber, int: instanceNumber)
        try ds.set(.contentDate, string: stamp.date)
        try ds.set(.contentTime, string: stamp.time)
        return ds
    }

    /// DA and TM values of a moment in local time (PS3.5 §6.2).
    static func dateTime(_ date: Date) -> (date: String, time: String) {
        let c = Calendar(identifier: .gregorian).dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String { let n = v ?? 0; return n < 10 ? "0\(n)" : "\(n)" }
        return ("\(c.year ?? 1970)\(two(c.month))\(two(c.day))", "\(two(c.hour))\(two(c.minute))\(two(c.second))")
    }
}
