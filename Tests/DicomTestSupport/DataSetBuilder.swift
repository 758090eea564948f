import DicomCore

/// Small helpers to build data sets in tests without going through the code under test's accessors.
public enum TestBytes {
    public static func le16(_ values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
    public static func le32(_ values: [UInt32]) -> [UInt8] {
        values.flatMap { v in [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
    }
    public static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// A data set using one element of most VRs, a nested sequence (one defined-length, one
    /// undefined-length item) and a private block.
    public static func sampleDataSet() -> DataSet {
        var ds = DataSet()
        ds[.specificCharacterSet] = DataElement(.specificCharacterSet, .CS, bytes: ascii("ISO_IR 100"))
        ds[.sopClassUID] = .uid(.sopClassUID, "1.2.840.10008.5.1.4.1.1.2")
        ds[.sopInstanceUID] = .uid(.sopInstanceUID, "1.2.3.4.5.6.7")
        ds[.studyDate] = DataElement(.studyDate, .DA, bytes: ascii("20241231"))
        ds[.patientName] = DataElement(.patientName, .PN, bytes: ascii("Doe^John"))
        ds[.patientAge] = DataElement(.patientAge, .AS, bytes: ascii("042Y"))
        ds[.sliceThickness] = DataElement(.sliceThickness, .DS, bytes: ascii("1.25"))
        ds[.rows] = DataElement(.rows, .US, bytes: le16([4]))
        ds[.columns] = DataElement(.columns, .US, bytes: le16([2]))
        ds[.bitsAllocated] = DataElement(.bitsAllocated, .US, bytes: le16([16]))
        ds[.pixelRepresentation] = DataElement(.pixelRepresentation, .US, bytes: le16([1]))
        ds[.smallestImagePixelValue] = DataElement(.smallestImagePixelValue, .SS, bytes: le16([0xFFF6]))
        ds[.referencedFrameNumber] = DataElement(.referencedFrameNumber, .IS, bytes: ascii("1\\2 "))
        ds[.frameIncrementPointer] = DataElement(.frameIncrementPointer, .AT, bytes: le16([0x0018, 0x1063]))
        ds[.imagePositionPatient] = DataElement(.imagePositionPatient, .DS, bytes: ascii("-1\\2.5\\3 "))
        ds[.recommendedDisplayFrameRate] = DataElement(.recommendedDisplayFrameRate, .IS, bytes: ascii("25"))
        ds[Tag(0x0018, 0x9089)] = DataElement(Tag(0x0018, 0x9089), .FD, bytes: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0x40])
        ds[Tag(0x0018, 0x9087)] = DataElement(Tag(0x0018, 0x9087), .FD, bytes: [0, 0, 0, 0, 0, 0, 0x59, 0x40])
        ds[Tag(0x0040, 0xA30A)] = DataElement(Tag(0x0040, 0xA30A), .DS, bytes: ascii("3.14"))
        ds[Tag(0x0028, 0x0009)] = DataElement(Tag(0x0028, 0x0009), .AT, bytes: le16([0x0054, 0x0080]))
        ds[Tag(0x0054, 0x0081)] = DataElement(Tag(0x0054, 0x0081), .US, bytes: le16([1]))
        ds[Tag(0x0018, 0x6020)] = DataElement(Tag(0x0018, 0x6020), .SL, bytes: le32([0xFFFF_FFFE]))
        ds[Tag(0x0018, 0x6016)] = DataElement(Tag(0x0018, 0x6016), .UL, bytes: le32([7]))
        ds[Tag(0x0018, 0x1063)] = DataElement(Tag(0x0018, 0x1063), .DS, bytes: ascii("33.3"))
        ds[Tag(0x0070, 0x0080)] = DataElement(Tag(0x0070, 0x0080), .CS, bytes: ascii("LABEL "))
        ds[Tag(0x0066, 0x0040)] = DataElement(Tag(0x0066, 0x0040), .OL, bytes: le32([1, 2, 3]))
        ds[Tag(0x0066, 0x0016)] = DataElement(Tag(0x0066, 0x0016), .OF, bytes: le32([0x3F80_0000, 0x4000_0000]))
        ds[Tag(0x0066, 0x0017)] = DataElement(Tag(0x0066, 0x0017), .FL, bytes: le32([0x3F80_0000]))
        ds[Tag(0x0072, 0x0082)] = DataElement(Tag(0x0072, 0x0082), .SV, bytes: [1, 0, 0, 0, 0, 0, 0, 0x80])
        ds[Tag(0x0072, 0x0083)] = DataElement(Tag(0x0072, 0x0083), .UV, bytes: [2, 0, 0, 0, 0, 0, 0, 0])
        ds[Tag(0x0008, 0x0120)] = DataElement(Tag(0x0008, 0x0120), .UR, bytes: ascii("http://example.org/a "))
        ds[Tag(0x0008, 0x0119)] = DataElement(Tag(0x0008, 0x0119), .UC, bytes: ascii("code"))
        ds[Tag(0x0020, 0x4000)] = DataElement(Tag(0x0020, 0x4000), .LT, bytes: ascii("line one\\still one"))
        ds[Tag(0x0008, 0x0081)] = DataElement(Tag(0x0008, 0x0081), .ST, bytes: ascii("Street 1"))
        ds[Tag(0x0040, 0xA160)] = DataElement(Tag(0x0040, 0xA160), .UT, bytes: ascii("unlimited text"))
        ds[Tag(0x0008, 0x002A)] = DataElement(Tag(0x0008, 0x002A), .DT, bytes: ascii("20240102030405.123456+0100 "))
        ds[Tag(0x0008, 0x0013)] = DataElement(Tag(0x0008, 0x0013), .TM, bytes: ascii("101010.5 "))
        ds[Tag(0x0008, 0x0070)] = DataElement(Tag(0x0008, 0x0070), .LO, bytes: ascii("Maker"))
        ds[Tag(0x0008, 0x1010)] = DataElement(Tag(0x0008, 0x1010), .SH, bytes: ascii("ST1 "))
        ds[Tag(0x0008, 0x0054)] = DataElement(Tag(0x0008, 0x0054), .AE, bytes: ascii("AE_TITLE"))
        ds[Tag(0x0028, 0x1201)] = DataElement(Tag(0x0028, 0x1201), .OW, bytes: le16([1, 2, 0xABCD]))
        ds[Tag(0x0042, 0x0011)] = DataElement(Tag(0x0042, 0x0011), .OB, bytes: [1, 2, 3, 0])
        ds[Tag(0x0028, 0x7FE0)] = DataElement(Tag(0x0028, 0x7FE0), .UR, bytes: ascii("x "))
        ds[Tag(0x7FE0, 0x0009)] = DataElement(Tag(0x7FE0, 0x0009), .OD, bytes: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        ds[Tag(0x0029, 0x0010)] = DataElement(Tag(0x0029, 0x0010), .LO, bytes: ascii("ACME 1.0"))
        ds[Tag(0x0029, 0x1001)] = DataElement(Tag(0x0029, 0x1001), .UN, bytes: [9, 8, 7, 6])

        var inner = DataSet()
        inner[.codeValue] = DataElement(.codeValue, .SH, bytes: ascii("T-A0100 "))
        inner[.codingSchemeDesignator] = DataElement(.codingSchemeDesignator, .SH, bytes: ascii("SRT "))
        var nested = DataSet()
        nested[.referencedSOPInstanceUID] = .uid(.referencedSOPInstanceUID, "1.2.3")
        inner[.referencedImageSequence] = DataElement(tag: .referencedImageSequence, vr: .SQ,
                                                      value: .sequence([SequenceItem(nested, undefinedLength: true)]),
                                                      undefinedLength: true)
        ds[.anatomicRegionSequence] = DataElement(tag: .anatomicRegionSequence, vr: .SQ,
                                                  value: .sequence([SequenceItem(inner), SequenceItem(DataSet(), undefinedLength: true)]))
        ds[.pixelData] = DataElement(.pixelData, .OW, bytes: le16([1, 2, 3, 4, 5, 6, 7, 0xFFFF]))
        // PS3.5 §7.1.1: values have even length; pad the strings above with their VR's padding byte.
        for e in ds.elements {
            if case .bytes(let b) = e.value, b.count % 2 == 1 {
                ds[e.tag] = DataElement(e.tag, e.vr, bytes: b + [e.vr.paddingByte])
            }
        }
        return ds
    }
}
