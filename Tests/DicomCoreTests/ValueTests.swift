import Foundation
import Testing
@testable import DicomCore

/// Swift Testing has a `Tag` of its own.
private typealias Tag = DicomCore.Tag

/// pydicom's test files, found through the installed pydicom (see /tmp/common.md: never call
/// `pydicom.data.get_testdata_files()`, it tries the network).
private enum Pydicom {
    static let directory: URL? = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import pydicom,os;print(os.path.dirname(pydicom.__file__))"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : URL(fileURLWithPath: path).appendingPathComponent("data")
    }()

    static func read(_ folder: String, _ name: String) throws -> DataSet {
        let dir = try #require(directory, "pydicom is not installed")
        return try DicomFile.read(path: dir.appendingPathComponent(folder).appendingPathComponent(name).path).dataSet
    }
}

private func element(_ tag: Tag, _ vr: VR, _ text: String) -> DataElement {
    DataElement(tag, vr, bytes: Array(text.utf8))
}

private func le16(_ values: UInt16...) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

// MARK: - Reading strings

@Test("string values lose padding; leading spaces only where PS3.5 calls them insignificant")
func stringPadding() {
    let ds = DataSet([
        element(.imageType, .CS, " ORIGINAL\\PRIMARY \\AXIAL "),
        element(.patientID, .LO, "  id11111 "),
        element(.sopInstanceUID, .UI, "1.2.3\0"),
        element(.textValue, .UT, "  keep\\this  "),
        element(.patientName, .PN, "Doe^John "),
        element(.studyDescription, .LO, "    "),
        element(.seriesDescription, .LO, ""),
    ])
    #expect(ds.strings(.imageType) == ["ORIGINAL", "PRIMARY", "AXIAL"])
    #expect(ds.string(.imageType) == "ORIGINAL")
    #expect(ds.string(.patientID) == "id11111")
    #expect(ds.string(.sopInstanceUID) == "1.2.3")
    // UT holds one value: "\" is text, leading spaces are significant.
    #expect(ds.strings(.textValue) == ["  keep\\this"])
    #expect(ds.string(.patientName) == "Doe^John")
    #expect(ds.strings(.studyDescription) == [])
    #expect(ds.string(.seriesDescription) == nil)
    #expect(ds.string(.studyDate) == nil)
    #expect(ds.strings(.studyDate) == [])
}

@Test("empty values inside a multi-valued string are kept in place")
func emptyInnerValues() {
    let ds = DataSet([element(.imageType, .CS, "A\\\\C ")])
    #expect(ds.strings(.imageType) == ["A", "", "C"])
}

@Test("string accessors return nothing for binary and sequence elements")
func stringOfBinary() {
    var ds = DataSet([DataElement(.rows, .US, bytes: le16(512))])
    ds.set(.referencedSOPSequence, sequence: [DataSet()])
    #expect(ds.string(.rows) == nil)
    #expect(ds.string(.referencedSOPSequence) == nil)
    #expect(ds.int(.referencedSOPSequence) == nil)
}

@Test("ISO_IR 100 strings decode through the data set's character set")
func latin1Decoding() {
    let ds = DataSet([
        element(.specificCharacterSet, .CS, "ISO_IR 100"),
        DataElement(.patientName, .PN, bytes: Array("Buc^J".utf8) + [0xE9] + Array("r".utf8) + [0xF4] + Array("me".utf8)),
    ])
    #expect(ds.string(.patientName) == "Buc^Jérôme")
    #expect(ds.personName(.patientName)?.alphabetic.givenName == "Jérôme")
}

// MARK: - Reading numbers

@Test("IS values parse with signs and spaces; malformed values give nil")
func integerStrings() {
    let ds = DataSet([
        element(.instanceNumber, .IS, " 12\\-3\\+7 "),
        element(.seriesNumber, .IS, "12a "),
        element(.acquisitionNumber, .IS, "4.0 "),
        element(.numberOfFrames, .IS, "4.5 "),
        element(.numberOfSlices, .IS, ""),
        element(.imagesInAcquisition, .IS, "1\\\\2 "),
    ])
    #expect(ds.ints(.instanceNumber) == [12, -3, 7])
    #expect(ds.int(.instanceNumber) == 12)
    #expect(ds.int(.seriesNumber) == nil)
    #expect(ds.ints(.seriesNumber) == nil)
    #expect(ds.int(.acquisitionNumber) == 4)
    #expect(ds.int(.numberOfFrames) == nil)
    #expect(ds.ints(.numberOfSlices) == [])
    #expect(ds.int(.numberOfSlices) == nil)
    #expect(ds.ints(.imagesInAcquisition) == nil)
    for bad in ["", "+", "-", "1 2", "0x10", "1e3", "١٢", "--1", "1-"] {
        #expect(IntegerString.parse(bad) == nil, "\(bad)")
    }
}

@Test("DS values parse in every PS3.5 form; nan, hex and junk give nil")
func decimalStrings() {
    let ds = DataSet([
        element(.imagePositionPatient, .DS, "-158.135803\\ 1.5E+2\\.5 \\-7. "),
        element(.sliceThickness, .DS, "5.0a"),
        element(.pixelSpacing, .DS, "nan\\1"),
    ])
    #expect(ds.doubles(.imagePositionPatient) == [-158.135803, 150, 0.5, -7])
    #expect(ds.double(.imagePositionPatient) == -158.135803)
    #expect(ds.double(.sliceThickness) == nil)
    #expect(ds.doubles(.pixelSpacing) == nil)
    for bad in ["nan", "inf", "-infinity", "0x1p3", "1,5", ".", "e5", "1e", "1e+", "+-1", "1.2.3"] {
        #expect(DecimalString.parse(bad) == nil, "\(bad)")
    }
    #expect(DecimalString.parse("1e-6") == 1e-6)
}

@Test("binary integers read little endian for every integer VR")
func binaryIntegers() {
    let ds = DataSet([
        DataElement(.rows, .US, bytes: le16(512, 0xFFFF)),
        DataElement(.smallestImagePixelValue, .SS, bytes: le16(0xFF38)),
        DataElement(.simpleFrameList, .UL, bytes: [0x01, 0x00, 0x00, 0x80]),
        DataElement(Tag(0x0018, 0x9219), .SS, bytes: [0x01]),  // odd length: malformed
        DataElement(Tag(0x0040, 0xA161), .FD, bytes: []),
    ])
    #expect(ds.ints(.rows) == [512, 65535])
    #expect(ds.uint16s(.rows) == [512, 65535])
    #expect(ds.int16s(.rows) == [512, -1])
    #expect(ds.int(.smallestImagePixelValue) == -200)
    #expect(ds.int(.simpleFrameList) == 0x8000_0001)
    #expect(ds.int32s(.simpleFrameList) == [Int32(bitPattern: 0x8000_0001)])
    #expect(ds.ints(Tag(0x0018, 0x9219)) == nil)
    #expect(ds.doubles(Tag(0x0040, 0xA161)) == [])
}

@Test("64-bit values: SV and UV, with UV beyond Int giving nil")
func sixtyFourBit() {
    let big: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    let ds = DataSet([
        DataElement(Tag(0x0009, 0x1001), .UV, bytes: big),
        DataElement(Tag(0x0009, 0x1002), .SV, bytes: big),
        DataElement(Tag(0x0009, 0x1003), .UV, bytes: [5, 0, 0, 0, 0, 0, 0, 0]),
    ])
    #expect(ds.ints(Tag(0x0009, 0x1001)) == nil)
    #expect(ds.uint64s(Tag(0x0009, 0x1001)) == [UInt64.max])
    #expect(ds.int(Tag(0x0009, 0x1002)) == -1)
    #expect(ds.int64s(Tag(0x0009, 0x1002)) == [-1])
    #expect(ds.int(Tag(0x0009, 0x1003)) == 5)
}

@Test("FL, FD, OF and OD read as IEEE little endian")
func floats() {
    let one: [UInt8] = [0x00, 0x00, 0x80, 0x3F]               // 1.0f
    let minusTwo: [UInt8] = [0, 0, 0, 0, 0, 0, 0x00, 0xC0]     // -2.0
    let ds = DataSet([
        DataElement(Tag(0x0018, 0x9087), .FD, bytes: minusTwo + minusTwo),
        DataElement(Tag(0x0018, 0x0013), .FL, bytes: one),
        DataElement(Tag(0x7FE0, 0x0008), .OF, bytes: one + one),
        DataElement(Tag(0x7FE0, 0x0009), .OD, bytes: minusTwo),
    ])
    #expect(ds.doubles(Tag(0x0018, 0x9087)) == [-2, -2])
    #expect(ds.float64s(Tag(0x0018, 0x9087)) == [-2, -2])
    #expect(ds.double(Tag(0x0018, 0x0013)) == 1)
    #expect(ds.float32s(Tag(0x0018, 0x0013)) == [1])
    #expect(ds.float32s(Tag(0x7FE0, 0x0008)) == [1, 1])
    #expect(ds.double(Tag(0x7FE0, 0x0009)) == -2)
    #expect(ds.float32s(Tag(0x7FE0, 0x0009))?.count == 2)   // 8 bytes read as 32-bit floats
    #expect(ds.float32s(.patientName) == nil)
}

@Test("AT values are group/element pairs")
func attributeTags() {
    let ds = DataSet([
        DataElement(.offendingElement, .AT, bytes: le16(0x0010, 0x0010, 0x3004, 0x000C)),
        DataElement(.frameIncrementPointer, .AT, bytes: le16(0x0028)),
    ])
    #expect(ds.tags(.offendingElement) == [.patientName, Tag(0x3004, 0x000C)])
    #expect(ds.tags(.frameIncrementPointer) == nil)
}

@Test("a UN element reads as its dictionary VR")
func unReadsAsDictionaryVR() {
    let ds = DataSet([
        DataElement(.rows, .UN, bytes: le16(256)),
        element(.studyDate, .UN, "20030903"),
        element(.imageType, .UN, "A\\B "),
    ])
    #expect(ds.int(.rows) == 256)
    #expect(ds.date(.studyDate)?.description == "20030903")
    #expect(ds.strings(.imageType) == ["A", "B"])
}

// MARK: - Writing

@Test("string setters pad to even length with the VR's padding byte")
func stringSetters() throws {
    var ds = DataSet()
    try ds.set(.sopInstanceUID, string: "1.2.3")
    try ds.set(.patientID, string: "abc")
    try ds.set(.imageType, strings: ["ORIGINAL", "PRIMARY"])
    try ds.set(Tag(0x0009, 0x1010), string: "x", vr: .SH)
    #expect(ds[.sopInstanceUID]?.vr == .UI)
    #expect(ds[.sopInstanceUID]?.bytes == Array("1.2.3".utf8) + [0])
    #expect(ds[.patientID]?.vr == .LO)
    #expect(ds[.patientID]?.bytes == Array("abc ".utf8))
    #expect(ds[.imageType]?.bytes == Array("ORIGINAL\\PRIMARY".utf8))
    #expect(ds[Tag(0x0009, 0x1010)]?.bytes == Array("x ".utf8))
    #expect(ds.strings(.imageType) == ["ORIGINAL", "PRIMARY"])
}

@Test("string setters refuse what the VR cannot hold")
func stringSetterErrors() {
    var ds = DataSet()
    #expect(throws: ValueError.unknownVR(Tag(0x0009, 0x1010))) { try ds.set(Tag(0x0009, 0x1010), string: "x") }
    #expect(throws: ValueError.vrMismatch(.rows, .US)) { try ds.set(.rows, string: "512") }
    #expect(throws: ValueError.invalidValue(.textValue, .UT, "2 values")) { try ds.set(.textValue, strings: ["a", "b"]) }
    #expect(throws: ValueError.invalidValue(.imageType, .CS, "A\\B")) { try ds.set(.imageType, strings: ["A\\B"]) }
    #expect(throws: ValueError.invalidValue(.modality, .CS, "ÇT")) { try ds.set(.modality, string: "ÇT") }
    #expect(ds.isEmpty)
}

@Test("ISO_IR 100 strings encode through the data set's character set")
func latin1Encoding() throws {
    var ds = DataSet()
    try ds.set(.specificCharacterSet, string: "ISO_IR 100")
    try ds.set(.patientName, personName: PersonName(alphabetic: .init(familyName: "Buc", givenName: "Jérôme")))
    #expect(ds[.patientName]?.bytes == Array("Buc^J".utf8) + [0xE9] + Array("r".utf8) + [0xF4] + Array("me".utf8))
    #expect(throws: ValueError.self) { try ds.set(.patientName, string: "王") }
}

@Test("the dictionary VR of a private tag comes from its creator's block")
func privateSetter() throws {
    var ds = DataSet()
    try ds.set(Tag(0x0029, 0x0010), string: "SIEMENS CSA HEADER")
    try ds.set(Tag(0x0029, 0x1008), string: "IMAGE NUM 4")
    #expect(ds[Tag(0x0029, 0x0010)]?.vr == .LO)
    #expect(ds[Tag(0x0029, 0x1008)]?.vr == .CS)
    #expect(ds.string(Tag(0x0029, 0x1008)) == "IMAGE NUM 4")
}

@Test("integer setters write IS text and binary values, checking ranges")
func integerSetters() throws {
    var ds = DataSet()
    try ds.set(.instanceNumber, ints: [1, -20])
    try ds.set(.rows, int: 512)
    try ds.set(.smallestImagePixelValue, int: -2, vr: .SS)
    try ds.set(.simpleFrameList, ints: [1, 0xFFFF_FFFF])
    #expect(ds[.instanceNumber]?.bytes == Array("1\\-20 ".utf8))
    #expect(ds[.rows]?.bytes == [0x00, 0x02])
    #expect(ds[.smallestImagePixelValue]?.bytes == [0xFE, 0xFF])
    #expect(ds.ints(.simpleFrameList) == [1, 0xFFFF_FFFF])
    #expect(throws: ValueError.invalidValue(.rows, .US, "65536")) { try ds.set(.rows, int: 65536) }
    #expect(throws: ValueError.invalidValue(.rows, .US, "-1")) { try ds.set(.rows, int: -1) }
    #expect(throws: ValueError.invalidValue(.instanceNumber, .IS, "2147483648")) { try ds.set(.instanceNumber, int: 1 << 31) }
    #expect(throws: ValueError.vrMismatch(.patientID, .LO)) { try ds.set(.patientID, int: 1) }
    #expect(ds.int(.rows) == 512)
}

@Test("DS values are written in at most 16 characters and read back")
func decimalSetters() throws {
    // Expected texts worked out by hand from PS3.5 Table 6.2-1's 16-character limit.
    let cases: [(Double, String)] = [
        (0.1, "0.1"), (100, "100"), (-0.0, "0"), (1e-20, "1e-20"), (-158.135803, "-158.135803"),
        (Double.pi, "3.14159265358979"), (1.0 / 3.0, "0.33333333333333"),
        (-1234567890.123456789, "-1234567890.1235"), (1.2345678901234568e17, "1.23456789012e17"),
    ]
    for (value, text) in cases {
        var ds = DataSet()
        try ds.set(.sliceThickness, double: value)
        #expect(ds.string(.sliceThickness) == text)
        let back = try #require(ds.double(.sliceThickness))
        #expect(abs(back - value) <= abs(value) * 1e-11)
        #expect((ds[.sliceThickness]?.bytes.count ?? 1) % 2 == 0)
    }
    var ds = DataSet()
    try ds.set(.pixelSpacing, doubles: [0.5, 0.25])
    #expect(ds[.pixelSpacing]?.bytes == Array("0.5\\0.25".utf8))
    #expect(throws: ValueError.invalidValue(.sliceThickness, .DS, "nan")) { try ds.set(.sliceThickness, double: .nan) }
    #expect(throws: ValueError.self) { try ds.set(.sliceThickness, double: .infinity) }
    try ds.set(Tag(0x0018, 0x0013), doubles: [1.5])       // Contrast/Bolus T1 Relaxivity, FL
    #expect(ds[Tag(0x0018, 0x0013)]?.vr == .FL)
    #expect(ds[Tag(0x0018, 0x0013)]?.bytes == [0x00, 0x00, 0xC0, 0x3F])
}

@Test("binary setters store little endian values under a VR of the same unit")
func binarySetters() throws {
    var ds = DataSet()
    try ds.set(.lutData, uint16s: [1, 0x0203])
    try ds.set(.offendingElement, tags: [.patientName])
    try ds.set(Tag(0x7FE0, 0x0008), float32s: [1])
    try ds.set(Tag(0x7FE0, 0x0009), float64s: [-2])
    #expect(ds[.lutData]?.vr == .US)
    #expect(ds[.lutData]?.bytes == [0x01, 0x00, 0x03, 0x02])
    #expect(ds[.offendingElement]?.bytes == [0x10, 0x00, 0x10, 0x00])
    #expect(ds.tags(.offendingElement) == [.patientName])
    #expect(ds[Tag(0x7FE0, 0x0008)]?.vr == .OF)
    #expect(ds.float32s(Tag(0x7FE0, 0x0008)) == [1])
    #expect(ds.float64s(Tag(0x7FE0, 0x0009)) == [-2])
    #expect(throws: ValueError.vrMismatch(.simpleFrameList, .UL)) { try ds.set(.simpleFrameList, uint16s: [1]) }
    #expect(throws: ValueError.vrMismatch(.patientID, .LO)) { try ds.set(.patientID, uint16s: [1]) }
}

@Test("a sequence set on a data set gives its items the data set's character set")
func sequenceSetter() throws {
    var ds = DataSet()
    try ds.set(.specificCharacterSet, string: "ISO_IR 100")
    var item = DataSet()
    try item.set(.referencedSOPInstanceUID, string: "1.2.3")
    ds.set(.referencedSOPSequence, sequence: [item, item])
    let items = try #require(ds.sequence(.referencedSOPSequence))
    #expect(items.count == 2)
    #expect(items[1].string(.referencedSOPInstanceUID) == "1.2.3")
    #expect(items[0].characterSet == SpecificCharacterSet(terms: ["ISO_IR 100"]))
    #expect(ds.sequence(.patientName) == nil)
}

// MARK: - Person names

@Test("PN with three component groups parses and formats back")
func personNameThreeGroups() throws {
    let text = "Yamada^Tarou=山田^太郎=やまだ^たろう"
    let pn = try #require(PersonName(parsing: text))
    #expect(pn.alphabetic.familyName == "Yamada")
    #expect(pn.alphabetic.givenName == "Tarou")
    #expect(pn.ideographic.familyName == "山田")
    #expect(pn.ideographic.givenName == "太郎")
    #expect(pn.phonetic.familyName == "やまだ")
    #expect(pn.phonetic.givenName == "たろう")
    #expect(pn.description == text)
}

@Test("PN formatting drops trailing empty components and groups but keeps inner ones")
func personNameTrimming() throws {
    #expect(PersonName(parsing: "Doe^John^^^")?.description == "Doe^John")
    #expect(PersonName(parsing: "Wang^XiaoDong==")?.description == "Wang^XiaoDong")
    #expect(PersonName(parsing: "=山田^太郎")?.description == "=山田^太郎")
    #expect(PersonName(parsing: "A==B")?.description == "A==B")
    #expect(PersonName(parsing: "^^Middle")?.alphabetic.middleName == "Middle")
    let full = try #require(PersonName(parsing: "Adams^John Robert Quincy^^Rev.^B.A. M.Div."))
    #expect(full.alphabetic.namePrefix == "Rev.")
    #expect(full.alphabetic.nameSuffix == "B.A. M.Div.")
    #expect(PersonName(parsing: "")?.isEmpty == true)
    #expect(PersonName(parsing: "")?.description == "")
}

@Test("PN with too many groups or components is malformed")
func personNameMalformed() {
    #expect(PersonName(parsing: "a=b=c=d") == nil)
    #expect(PersonName(parsing: "a^b^c^d^e^f") == nil)
    let ds = DataSet([element(.patientName, .PN, "a^b^c^d^e^f ")])
    #expect(ds.personName(.patientName) == nil)
    #expect(ds.string(.patientName) == "a^b^c^d^e^f")
}

@Test("UTF-8 PN from pydicom's chrX1.dcm has alphabetic and ideographic groups")
func personNameUTF8File() throws {
    // Expected values read with pydicom 3.0.2: PatientName 'Wang^XiaoDong=王^小東'.
    let ds = try Pydicom.read("charset_files", "chrX1.dcm")
    let pn = try #require(ds.personName(.patientName))
    #expect(pn.alphabetic.description == "Wang^XiaoDong")
    #expect(pn.ideographic.description == "王^小東")
    #expect(pn.phonetic.isEmpty)
    #expect(pn.description == "Wang^XiaoDong=王^小東")
}

// MARK: - Dates and times

@Test("DA values: full, partial, ACR-NEMA form")
func dates() throws {
    let d = try #require(DicomDate(parsing: "20040119 "))
    #expect((d.year, d.month, d.day) == (2004, 1, 19))
    #expect(d.precision == .day)
    #expect(d.description == "20040119")
    #expect(d.date(in: TimeZone(identifier: "UTC")!)?.timeIntervalSince1970 == 1_074_470_400)
    #expect(d.dateComponents.day == 19)
    let acr = try #require(DicomDate(parsing: "2004.01.19"))
    #expect(acr == d)
    #expect(acr.description == "20040119")
    let month = try #require(DicomDate(parsing: "202401"))
    #expect(month.precision == .month)
    #expect(month.description == "202401")
    #expect(month.day == nil)
    #expect(month.date(in: TimeZone(identifier: "UTC")!)?.timeIntervalSince1970 == 1_704_067_200)
    #expect(DicomDate(parsing: "2024")?.precision == .year)
    #expect(DicomDate(parsing: "20240229") != nil)
    #expect(!(month < d))
    #expect(d < month)
}

@Test("malformed DA values give nil")
func badDates() {
    for bad in ["20230229", "20231301", "20230100", "20230431", "2023-01-01", "2023011", "", "abcdefgh",
                "2004.1.19", "20040119123", "2004.01.1 ", "+2004011"] {
        #expect(DicomDate(parsing: bad) == nil, "\(bad)")
    }
}

@Test("TM values keep their precision and fraction digits")
func times() throws {
    let cases: [(String, DicomTime.Precision)] = [
        ("07", .hour), ("0730", .minute), ("073015", .second), ("073015.1", .fraction),
        ("073015.000100", .fraction), ("235960", .second),
    ]
    for (text, precision) in cases {
        let t = try #require(DicomTime(parsing: text), "\(text)")
        #expect(t.precision == precision)
        #expect(t.description == text)
    }
    let t = try #require(DicomTime(parsing: "073015.25 "))
    #expect((t.hour, t.minute, t.second, t.microsecond) == (7, 30, 15, 250_000))
    #expect(t.fractionDigits == 2)
    #expect(t.secondsSinceMidnight == 27015.25)
    #expect(t.dateComponents.nanosecond == 250_000_000)
    let legacy = try #require(DicomTime(parsing: "07:30:15.5"))
    #expect(legacy.description == "073015.5")
    #expect(DicomTime(parsing: "07:30")?.description == "0730")
    #expect(try #require(DicomTime(parsing: "07")) < t)
    #expect(try #require(DicomTime(parsing: "07")) < #require(DicomTime(parsing: "0700")))
}

@Test("malformed TM values give nil")
func badTimes() {
    for bad in ["24", "2400", "0760", "073061", "7", "073", "073015.", "073015.1234567", "0730.5", "07:3:15",
                "07:30:15:00", "ab", "", "07.5", "073015.12a"] {
        #expect(DicomTime(parsing: bad) == nil, "\(bad)")
    }
}

@Test("DT values: every partial precision and UTC offsets")
func dateTimes() throws {
    for text in ["2024", "202401", "20240131", "2024013112", "202401311230", "20240131123015",
                 "20240131123015.5", "20240131123015.123456+0100", "2024-0500", "20240131+1400"] {
        let dt = try #require(DicomDateTime(parsing: text), "\(text)")
        #expect(dt.description == text)
    }
    let dt = try #require(DicomDateTime(parsing: "20240131123015.5+0100"))
    #expect(dt.date.description == "20240131")
    #expect(dt.time?.microsecond == 500_000)
    #expect(dt.utcOffsetMinutes == 60)
    // The offset decides the instant, not the default zone: 11:30:15.5 UTC.
    #expect(dt.date(defaultTimeZone: TimeZone(identifier: "America/New_York")!)?.timeIntervalSince1970 == 1_706_700_615.5)
    #expect(dt.dateComponents.timeZone?.secondsFromGMT() == 3600)
    let noZone = try #require(DicomDateTime(parsing: "2024010100"))
    #expect(noZone.date(defaultTimeZone: TimeZone(secondsFromGMT: -5 * 3600)!)?.timeIntervalSince1970 == 1_704_085_200)
    #expect(DicomDateTime(parsing: "2024")?.date(defaultTimeZone: TimeZone(identifier: "UTC")!)?.timeIntervalSince1970
            == 1_704_067_200)
    let west = try #require(DicomDateTime(parsing: "2024-0530"))
    #expect(west.utcOffsetMinutes == -330)
}

@Test("malformed DT values give nil")
func badDateTimes() {
    for bad in ["20240131+1500", "20240131-1300", "2024013112+01", "20241301", "2024011", "202401311",
                "20240131 1230", "20240131T1230", "20240131123015.1234567", "20240131+0160", "+0100", "",
                "2024.01.31", "20240131-"] {
        #expect(DicomDateTime(parsing: bad) == nil, "\(bad)")
    }
}

@Test("Foundation dates convert to DA, TM and DT")
func fromFoundation() {
    let instant = Date(timeIntervalSince1970: 1_706_700_615.5)
    let utc = TimeZone(identifier: "UTC")!
    #expect(DicomDate(instant, timeZone: utc).description == "20240131")
    #expect(DicomTime(instant, timeZone: utc).description == "113015.500000")
    #expect(DicomDateTime(instant, timeZone: TimeZone(secondsFromGMT: 3600)!).description == "20240131123015.500000+0100")
    #expect(DicomDateTime(instant, timeZone: utc, includeOffset: false).description == "20240131113015.500000")
}

@Test("date, time and date-time accessors and setters round-trip")
func dateAccessors() throws {
    var ds = DataSet()
    try ds.set(.studyDate, date: try #require(DicomDate(parsing: "20040119")))
    try ds.set(.contentTime, time: try #require(DicomTime(parsing: "072730.5")))
    try ds.set(.acquisitionDateTime, dateTime: try #require(DicomDateTime(parsing: "2004011907-0500")))
    try ds.set(.patientAge, age: try #require(AgeString(parsing: "018M")))
    #expect(ds[.contentTime]?.bytes == Array("072730.5".utf8))
    #expect(ds[.acquisitionDateTime]?.bytes == Array("2004011907-0500 ".utf8))
    #expect(ds.date(.studyDate)?.day == 19)
    #expect(ds.time(.contentTime)?.microsecond == 500_000)
    #expect(ds.dateTime(.acquisitionDateTime)?.utcOffsetMinutes == -300)
    #expect(ds.age(.patientAge) == AgeString(value: 18, unit: .months))
}

// MARK: - Ranges

@Test("query ranges: A-B, -B, A- for DA, TM and DT (PS3.4 §C.2.2.2.5)")
func ranges() throws {
    let both = try #require(DicomDateRange(parsing: "20240101-20240131"))
    #expect(both.lower?.description == "20240101")
    #expect(both.upper?.description == "20240131")
    let upTo = try #require(DicomDateRange(parsing: "-20240131"))
    #expect(upTo.lower == nil)
    #expect(upTo.upper?.description == "20240131")
    let from = try #require(DicomDateRange(parsing: "20240101-"))
    #expect(from.upper == nil)
    #expect(from.lower?.description == "20240101")
    #expect(DicomTimeRange(parsing: "0700-123000.5")?.upper?.description == "123000.5")
    let dt = try #require(DicomDateTimeRange(parsing: "20240101-0500-20240102-0500"))
    #expect(dt.lower?.description == "20240101-0500")
    #expect(dt.upper?.description == "20240102-0500")
    #expect(DicomDateTimeRange(parsing: "-2024")?.upper?.description == "2024")
    #expect(DicomDateTimeRange(parsing: "2024+0100-")?.lower?.utcOffsetMinutes == 60)
}

@Test("single values and malformed ranges are not ranges")
func badRanges() {
    for bad in ["20240101", "-", "", "2024013-20240131", "20240101-2024013", "20240101--20240131", "a-b"] {
        #expect(DicomDateRange(parsing: bad) == nil, "\(bad)")
    }
    #expect(DicomDateTimeRange(parsing: "20240101-0500") == nil)   // one DT with a UTC offset
    #expect(DicomTimeRange(parsing: "0700") == nil)
}

// MARK: - AS

@Test("AS values: three digits and a unit")
func ageStrings() {
    #expect(AgeString(parsing: "018Y") == AgeString(value: 18, unit: .years))
    #expect(AgeString(parsing: "005D")?.description == "005D")
    #expect(AgeString(value: 7, unit: .weeks)?.description == "007W")
    for bad in ["18Y", "0018Y", "018X", "01aY", "", "Y018", "-01Y"] {
        #expect(AgeString(parsing: bad) == nil, "\(bad)")
    }
    #expect(AgeString(value: 1000, unit: .days) == nil)
}

// MARK: - Real files (expected values read with pydicom 3.0.2)

@Test("CT_small.dcm values match pydicom")
func ctSmall() throws {
    // Expected values read with pydicom 3.0.2 from pydicom's data/test_files/CT_small.dcm.
    let ds = try Pydicom.read("test_files", "CT_small.dcm")
    #expect(ds.string(.patientName) == "CompressedSamples^CT1")
    #expect(ds.personName(.patientName)?.alphabetic.givenName == "CT1")
    #expect(ds.string(.patientID) == "1CT1")
    #expect(ds.date(.studyDate)?.description == "20040119")
    #expect(ds.time(.studyTime)?.description == "072730")
    #expect(ds.strings(.imageType) == ["ORIGINAL", "PRIMARY", "AXIAL"])
    #expect(ds.double(.sliceThickness) == 5.0)
    #expect(ds.doubles(.imagePositionPatient) == [-158.135803, -179.035797, -75.699997])
    #expect(ds.doubles(.imageOrientationPatient) == [1, 0, 0, 0, 1, 0])
    #expect(ds.int(.rows) == 128)
    #expect(ds.int(.columns) == 128)
    #expect(ds.int(.instanceNumber) == 1)
    #expect(ds.int(.acquisitionNumber) == 2)
    #expect(ds.double(.rescaleIntercept) == -1024)
    #expect(ds.string(.sopInstanceUID) == "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322")
    #expect(ds.age(.patientAge)?.description == "000Y")
    #expect(ds.int(Tag(0x0028, 0x0120)) == -2000)                       // Pixel Padding Value, SS
    #expect(ds.ints(Tag(0x0043, 0x1025)) == [1, 2, 3, 748, 749, 750])   // private SS, VM 6
    #expect(ds.int(Tag(0x0009, 0x1027)) == 862399669)                   // private SL
    #expect(ds.int(Tag(0x0009, 0x10E7)) == 973283917)                   // private UL
    #expect(ds.double(Tag(0x0023, 0x1070)) == 862399761.111079)         // private FD
    #expect(ds.float32s(Tag(0x0027, 0x1041)) == [-77.20406341552734])   // private FL
    #expect(ds.sequence(Tag(0x0010, 0x1002))?.count == 2)               // Other Patient IDs Sequence
}

@Test("MR_small.dcm values match pydicom")
func mrSmall() throws {
    // Expected values read with pydicom 3.0.2 from pydicom's data/test_files/MR_small.dcm.
    let ds = try Pydicom.read("test_files", "MR_small.dcm")
    #expect(ds.string(.patientName) == "CompressedSamples^MR1")
    #expect(ds.date(.studyDate)?.description == "20040826")
    #expect(ds.string(.seriesTime) == nil)                              // empty TM
    #expect(ds.time(.seriesTime) == nil)
    #expect(ds.double(.echoTime) == 240)
    #expect(ds.doubles(.imagePositionPatient) == [-83.9063, -91.2, 6.6406])
    #expect(ds.doubles(.pixelSpacing) == [0.3125, 0.3125])
    #expect(ds.strings(.imageType) == ["DERIVED", "SECONDARY", "OTHER"])
    #expect(ds.int(.smallestImagePixelValue) == 0)
    #expect(ds.int(.largestImagePixelValue) == 4000)
    #expect(ds.double(.windowCenter) == 600)
    #expect(ds.time(.instanceCreationTime)?.description == "185434")
    #expect(ds.string(Tag(0x0020, 0x4000)) == "Uncompressed")           // Image Comments, LT
}

@Test("rtplan.dcm values in nested sequences match pydicom")
func rtPlan() throws {
    // Expected values read with pydicom 3.0.2 from pydicom's data/test_files/rtplan.dcm.
    let ds = try Pydicom.read("test_files", "rtplan.dcm")
    let pn = try #require(ds.personName(.patientName))
    #expect(pn.alphabetic.components == ["Last", "First", "mid", "pre", ""])
    #expect(pn.description == "Last^First^mid^pre")
    #expect(ds.string(.rtPlanLabel) == "Plan1")
    #expect(ds.date(.rtPlanDate)?.description == "20030903")
    #expect(ds.time(.rtPlanTime)?.description == "150023")
    #expect(ds.string(.operatorsName) == "operator")
    #expect(ds.personName(.referringPhysicianName) == nil)              // empty PN
    let beams = try #require(ds.sequence(.beamSequence))
    #expect(beams.count == 1)
    #expect(beams[0].string(.beamName) == "Field 1")
    let cp = try #require(beams[0].sequence(.controlPointSequence)?.first)
    #expect(cp.double(.gantryAngle) == 0)
    #expect(cp.double(.nominalBeamEnergy) == 6)
    let jaws = try #require(cp.sequence(.beamLimitingDevicePositionSequence)?.first)
    #expect(jaws.doubles(.leafJawPositions) == [-100, 100])
    let fg = try #require(ds.sequence(.fractionGroupSequence)?.first)
    #expect(fg.int(.numberOfFractionsPlanned) == 30)
    #expect(fg.sequence(.referencedBeamSequence)?.first?.double(.beamMeterset) == 116.0036697)
}

// MARK: - UN

@Test("reinterpretingUN gives UN elements of rtdose_rle_1frame.dcm their dictionary VRs, sequence included")
func unFromFile() throws {
    // Expected values read with pydicom 3.0.2 (replace_un_with_known_vr on, its default) from
    // pydicom's data/test_files/rtdose_rle_1frame.dcm, whose data set is Explicit VR with UN elements.
    let raw = try Pydicom.read("test_files", "rtdose_rle_1frame.dcm")
    #expect(raw[.instanceCreationDate]?.vr == .UN)
    #expect(raw[.referencedRTPlanSequence]?.vr == .UN)
    #expect(raw.sequence(.referencedRTPlanSequence) == nil)
    let ds = raw.reinterpretingUN()
    #expect(ds[.instanceCreationDate]?.vr == .DA)
    #expect(ds[.sopClassUID]?.vr == .UI)
    #expect(ds[.frameIncrementPointer]?.vr == .AT)
    #expect(!ds.contains { $0.vr == .UN })
    #expect(ds.date(.instanceCreationDate)?.description == "20030903")
    #expect(ds.time(.instanceCreationTime)?.description == "150031")
    #expect(ds.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.481.2")
    #expect(ds.string(.patientName) == "Lastname^Firstname")
    #expect(ds.string(.patientID) == "id11111")
    #expect(ds.string(.patientSex) == "O")
    #expect(ds.doubles(.imagePositionPatient) == [189.43125, 199.43125, -761.87])
    #expect(ds.doubles(.imageOrientationPatient) == [1, 0, 0, 0, 1, 0])
    #expect(ds.tags(.frameIncrementPointer) == [Tag(0x3004, 0x000C)])
    #expect(ds.doubles(.gridFrameOffsetVector) == stride(from: 0.0, through: 70, by: 5).map { $0 })
    #expect(ds.double(.doseGridScaling) == 1e-6)
    #expect(ds.int(.seriesNumber) == 1)
    #expect(ds.int(.instanceNumber) == nil)
    #expect(ds.date(.patientBirthDate) == nil)
    let plan = try #require(ds.sequence(.referencedRTPlanSequence))
    #expect(ds[.referencedRTPlanSequence]?.vr == .SQ)
    #expect(plan.count == 1)
    #expect(plan[0].string(.referencedSOPClassUID) == "1.2.840.10008.5.1.4.1.1.481.5")
    #expect(plan[0].string(.referencedSOPInstanceUID) == "1.2.123.456.78.9.0123.4567.89012345678901")
    let fg = try #require(plan[0].sequence(.referencedFractionGroupSequence)?.first)
    #expect(fg.int(.referencedFractionGroupNumber) == 1)
    #expect(fg.sequence(.referencedBeamSequence)?.first?.int(.referencedBeamNumber) == 1)
    // Elements that were not UN are left alone.
    #expect(ds[.pixelData] == raw[.pixelData])
}

@Test("a UN of undefined length read as a sequence becomes SQ (UN_sequence.dcm)")
func unUndefinedLengthSequence() throws {
    // pydicom 3.0.2 reads (4453,100C) as a sequence of one item holding Referenced Series Sequence.
    let raw = try Pydicom.read("test_files", "UN_sequence.dcm")
    #expect(raw[Tag(0x4453, 0x100C)]?.vr == .UN)
    let ds = raw.reinterpretingUN()
    #expect(ds[Tag(0x4453, 0x100C)]?.vr == .SQ)
    let item = try #require(ds.sequence(Tag(0x4453, 0x100C))?.first)
    #expect(item.string(.studyInstanceUID) == "1.2.840.113619.2.327.3.185221411.476.1398588725.795")
    let series = try #require(item.sequence(.referencedSeriesSequence)?.first)
    #expect(series.string(.seriesInstanceUID) == "1.2.840.113619.2.327.3.185221411.476.1398588726.276")
}

@Test("a defined-length UN holding an Implicit VR LE sequence is parsed, and nested UN reinterpreted")
func unHandBuiltSequence() throws {
    var item = DataSet()
    try item.set(.referencedSOPClassUID, string: "1.2.840.10008.5.1.4.1.1.2")
    try item.set(.referencedSOPInstanceUID, string: "1.2.3.4")
    var inner = DataSet()
    inner.set(.referencedSOPSequence, sequence: [item])
    let encoded = try DataSetWriter(encoding: .implicitLittle).encode(inner)
    let sequenceBytes = Array(encoded.dropFirst(8))   // tag and 32-bit length of the implicit header

    var nested = DataSet([
        element(.studyDate, .UN, "20240131"),
        element(Tag(0x0029, 0x0010), .LO, "SIEMENS CSA HEADER"),
        element(Tag(0x0029, 0x1008), .UN, "IMAGE NUM 4 "),
        element(Tag(0x0029, 0x1108), .UN, "NO CREATOR"),            // block 11 has no creator
    ])
    nested.set(.referencedImageSequence, sequence: [DataSet([DataElement(.rows, .UN, bytes: le16(64))])])
    var ds = DataSet([
        DataElement(.referencedSOPSequence, .UN, bytes: sequenceBytes),
        DataElement(.referencedStudySequence, .UN, bytes: [0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0x00, 0x00, 0x00]),
    ])
    ds.set(.referencedSeriesSequence, sequence: [nested])

    let out = ds.reinterpretingUN()
    #expect(out[.referencedSOPSequence]?.vr == .SQ)
    let items = try #require(out.sequence(.referencedSOPSequence))
    #expect(items.count == 1)
    #expect(items[0].string(.referencedSOPInstanceUID) == "1.2.3.4")
    #expect(items[0][.referencedSOPClassUID]?.vr == .UI)
    // Bytes that are not a sequence stay UN.
    #expect(out[.referencedStudySequence]?.vr == .UN)
    let n = try #require(out.sequence(.referencedSeriesSequence)?.first)
    #expect(n[.studyDate]?.vr == .DA)
    #expect(n[Tag(0x0029, 0x1008)]?.vr == .CS)
    #expect(n[Tag(0x0029, 0x1108)]?.vr == .UN)
    #expect(n.sequence(.referencedImageSequence)?.first?[.rows]?.vr == .US)
    #expect(n.sequence(.referencedImageSequence)?.first?.int(.rows) == 64)
}

// MARK: - Robustness

/// SplitMix64: a small seeded generator so that the random inputs are the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test("random text never crashes a parser, and whatever parses formats back to the same value")
func parsersOnRandomText() {
    var rng = SplitMix64(state: 0xD1C0_4D0E)
    let alphabet = Array("0123456789012345678901234567890123456789.:+- ^=\\eEYMDWa山")
    var parsed = (date: 0, time: 0, dateTime: 0, decimal: 0)
    for _ in 0..<20_000 {
        let length = Int.random(in: 0...22, using: &rng)
        let text = String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
        if let v = DicomDate(parsing: text) { parsed.date += 1; #expect(DicomDate(parsing: v.description) == v, "\(text)") }
        if let v = DicomTime(parsing: text) { parsed.time += 1; #expect(DicomTime(parsing: v.description) == v, "\(text)") }
        if let v = DicomDateTime(parsing: text) { parsed.dateTime += 1; #expect(DicomDateTime(parsing: v.description) == v, "\(text)") }
        if let v = AgeString(parsing: text) { #expect(AgeString(parsing: v.description) == v, "\(text)") }
        if let v = PersonName(parsing: text) { #expect(PersonName(parsing: v.description) == v, "\(text)") }
        if let v = IntegerString.parse(text) { #expect(IntegerString.parse(IntegerString.format(v)) == v, "\(text)") }
        if let v = DecimalString.parse(text), let f = DecimalString.format(v) {
            parsed.decimal += 1
            #expect(f.count <= 16)
            let back = DecimalString.parse(f) ?? .nan
            #expect(abs(back - v) <= abs(v) * 1e-11, "\(text)")
        }
        _ = DicomDateRange(parsing: text)
        _ = DicomTimeRange(parsing: text)
        _ = DicomDateTimeRange(parsing: text)
        let ds = DataSet([
            DataElement(.instanceNumber, .IS, bytes: Array(text.utf8)),
            DataElement(.pixelSpacing, .DS, bytes: Array(text.utf8)),
            DataElement(.patientName, .PN, bytes: Array(text.utf8)),
            DataElement(.rows, .US, bytes: Array(text.utf8)),
            DataElement(.offendingElement, .AT, bytes: Array(text.utf8)),
        ])
        _ = (ds.ints(.instanceNumber), ds.doubles(.pixelSpacing), ds.personNames(.patientName), ds.ints(.rows),
             ds.tags(.offendingElement), ds.float64s(.rows))
    }
    // The property above was checked on real parses, not only on rejections.
    #expect(parsed.date > 10 && parsed.time > 10 && parsed.dateTime > 10 && parsed.decimal > 100, "\(parsed)")
}
