import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import DicomCore

private typealias Tag = DicomCore.Tag

// Expected values marked "pydicom" were computed while writing these tests with pydicom 3.0.2:
//   pydicom.dcmread(path).to_json_dict(bulk_data_threshold=10**9)
// pydicom turns DS into Python floats, so DS values are compared as numbers, not as text.

/// pydicom's test data folder (data/test_files, data/charset_files), found without running Python.
private let pydicomData: URL? = {
    var candidates: [URL] = []
    if let env = ProcessInfo.processInfo.environment["PYDICOM_DATA"] { candidates.append(URL(fileURLWithPath: env)) }
    let fm = FileManager.default
    for root in ["/root/.pyenv/versions", "/usr/local/lib", "/usr/lib"] {
        for version in (try? fm.contentsOfDirectory(atPath: root)) ?? [] {
            let base = URL(fileURLWithPath: root).appendingPathComponent(version)
            for lib in ["lib", ""] {
                let dir = lib.isEmpty ? base : base.appendingPathComponent(lib)
                for py in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where py.hasPrefix("python3") {
                    for site in ["site-packages", "dist-packages"] {
                        candidates.append(dir.appendingPathComponent(py).appendingPathComponent(site).appendingPathComponent("pydicom/data"))
                    }
                }
            }
        }
    }
    return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("test_files/CT_small.dcm").path) }
}()

private func pydicomFile(_ name: String) throws -> DataSet {
    let dir = try #require(pydicomData, "pydicom's data folder not found (set PYDICOM_DATA)")
    return try DicomFile.read(path: dir.appendingPathComponent(name).path).dataSet
}

private func ascii(_ tag: Tag, _ vr: VR, _ text: String) -> DataElement {
    DataElement(tag, vr, bytes: Array(text.utf8))
}

private func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

private func json(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

/// The JSON value at a path of keys and array indexes.
private func at(_ v: JSONValue, _ path: [Any]) -> JSONValue? {
    var cur: JSONValue? = v
    for p in path {
        if let k = p as? String { cur = cur?[k] } else if let i = p as? Int, case .array(let a)? = cur, i < a.count { cur = a[i] } else { return nil }
    }
    return cur
}

private func numbers(_ v: JSONValue?) -> [Double]? {
    guard case .array(let a)? = v?["Value"] else { return nil }
    return a.compactMap { if case .number(let n) = $0 { return Double(n) } else { return nil } }
}

/// One element of every VR class, with the padding and odd values the encoder must handle.
private func handBuiltDataSet() -> DataSet {
    let item1 = DataSet([ascii(Tag(0x0008, 0x0100), .SH, "T-1234")])
    return DataSet([
        ascii(.specificCharacterSet, .CS, "ISO_IR 192"),
        ascii(Tag(0x0008, 0x0008), .CS, "ORIGINAL\\PRIMARY "),
        ascii(Tag(0x0008, 0x0018), .UI, "1.2.3\0"),
        ascii(Tag(0x0008, 0x1030), .LO, "A\\\\B "),
        ascii(Tag(0x0009, 0x0010), .LO, "ACME 1.0"),
        DataElement(Tag(0x0009, 0x1001), .UL, bytes: le([UInt32(4_000_000_000)])),
        DataElement(Tag(0x0009, 0x1002), .SL, bytes: le([Int32(-2)])),
        DataElement(Tag(0x0009, 0x1003), .FL, bytes: le([Float(1.5).bitPattern, Float(0.1).bitPattern])),
        DataElement(Tag(0x0009, 0x1004), .FD, bytes: le([Double(-2.25).bitPattern, Double.nan.bitPattern, Double.infinity.bitPattern])),
        DataElement(Tag(0x0009, 0x1005), .SV, bytes: le([Int64(-9_007_199_254_740_993), 42])),
        DataElement(Tag(0x0009, 0x1006), .UV, bytes: le([UInt64.max, 9_007_199_254_740_992])),
        DataElement(Tag(0x0009, 0x1007), .AT, bytes: le([UInt16(0x0010), 0x0010, 0x7FE0, 0x0010])),
        DataElement(Tag(0x0009, 0x1008), .OB, bytes: [1, 2, 3]),
        DataElement(Tag(0x0009, 0x1009), .OW, bytes: le([UInt16(0x0201), 0x0403])),
        DataElement(Tag(0x0009, 0x100A), .UN, bytes: [0xFF, 0x00]),
        ascii(Tag(0x0009, 0x100B), .UT, "line 1\r\n\"quoted\" \\ back\ttab \u{1}  "),
        DataElement(Tag(0x0009, 0x100C), .SH, bytes: []),
        DataElement(tag: Tag(0x0009, 0x100D), vr: .SQ, value: .sequence([SequenceItem(item1), SequenceItem(DataSet())])),
        DataElement(tag: Tag(0x0009, 0x100E), vr: .SQ, value: .sequence([])),
        ascii(Tag(0x0010, 0x0010), .PN, "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        ascii(Tag(0x0010, 0x1001), .PN, "Doe^John\\=Smith\\Roe==\\"),
        ascii(Tag(0x0010, 0x1010), .AS, "045Y"),
        ascii(Tag(0x0018, 0x0050), .DS, " 1.50 "),
        ascii(Tag(0x0020, 0x0013), .IS, "  12 "),
        ascii(Tag(0x0020, 0x0032), .DS, "+5\\.5\\1e3 "),
        DataElement(Tag(0x0028, 0x0000), .UL, bytes: le([UInt32(20)])),
        DataElement(Tag(0x0028, 0x0010), .US, bytes: le([UInt16(512)])),
        DataElement(Tag(0x0028, 0x0106), .SS, bytes: le([Int16(-1)])),
    ])
}

// Written by hand from PS3.18 §F.2 and Table F.2.3-1 (and the encoder's documented choices:
// DS/IS text that is not a JSON number stays a string; |SV|,|UV| > 2^53 are strings; NaN/Infinity
// are strings; group lengths are left out).
private let handBuiltJSON = #"""
{"00080005":{"vr":"CS","Value":["ISO_IR 192"]},\#
"00080008":{"vr":"CS","Value":["ORIGINAL","PRIMARY"]},\#
"00080018":{"vr":"UI","Value":["1.2.3"]},\#
"00081030":{"vr":"LO","Value":["A",null,"B"]},\#
"00090010":{"vr":"LO","Value":["ACME 1.0"]},\#
"00091001":{"vr":"UL","Value":[4000000000]},\#
"00091002":{"vr":"SL","Value":[-2]},\#
"00091003":{"vr":"FL","Value":[1.5,0.1]},\#
"00091004":{"vr":"FD","Value":[-2.25,"NaN","Infinity"]},\#
"00091005":{"vr":"SV","Value":["-9007199254740993",42]},\#
"00091006":{"vr":"UV","Value":["18446744073709551615",9007199254740992]},\#
"00091007":{"vr":"AT","Value":["00100010","7FE00010"]},\#
"00091008":{"vr":"OB","InlineBinary":"AQID"},\#
"00091009":{"vr":"OW","InlineBinary":"AQIDBA=="},\#
"0009100A":{"vr":"UN","InlineBinary":"/wA="},\#
"0009100B":{"vr":"UT","Value":["line 1\r\n\"quoted\" \\ back\ttab \u0001"]},\#
"0009100C":{"vr":"SH"},\#
"0009100D":{"vr":"SQ","Value":[{"00080100":{"vr":"SH","Value":["T-1234"]}},{}]},\#
"0009100E":{"vr":"SQ"},\#
"00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}]},\#
"00101001":{"vr":"PN","Value":[{"Alphabetic":"Doe^John"},{"Alphabetic":"","Ideographic":"Smith"},{"Alphabetic":"Roe"},null]},\#
"00101010":{"vr":"AS","Value":["045Y"]},\#
"00180050":{"vr":"DS","Value":[1.50]},\#
"00200013":{"vr":"IS","Value":[12]},\#
"00200032":{"vr":"DS","Value":["+5",".5",1e3]},\#
"00280010":{"vr":"US","Value":[512]},\#
"00280106":{"vr":"SS","Value":[-1]}}
"""#

@Suite("DICOM JSON and XML models")
struct JSONTests {
    // MARK: - Encoder, hand-built

    @Test("every VR class encodes as PS3.18 Table F.2.3-1 says, byte for byte")
    func handBuiltEncoding() throws {
        let text = try DicomJSONEncoder.inlineEverything.encodeString(handBuiltDataSet())
        #expect(text == handBuiltJSON)
        // The output is JSON that Foundation accepts too.
        #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil)
    }

    @Test("Latin-1 strings are decoded through ISO_IR 100, and items inherit the character set")
    func latin1() throws {
        var item = DataSet([DataElement(Tag(0x0010, 0x0010), .PN, bytes: [0x42, 0xE9, 0x61])])  // "Béa"
        item.characterSet = .default
        let ds = DataSet([
            ascii(.specificCharacterSet, .CS, "ISO_IR 100"),
            DataElement(tag: Tag(0x0010, 0x1002), vr: .SQ, value: .sequence([SequenceItem(item)])),
            DataElement(Tag(0x0010, 0x2000), .LO, bytes: [0x4A, 0xE9, 0x72, 0xF4, 0x6D, 0x65]),  // "Jérôme"
        ])
        let v = try json(try DicomJSONEncoder().encodeString(ds))
        #expect(at(v, ["00102000", "Value", 0]) == .string("Jérôme"))
        #expect(at(v, ["00101002", "Value", 0, "00100010", "Value", 0, "Alphabetic"]) == .string("Béa"))
    }

    @Test("values over the threshold and all Pixel Data become BulkDataURIs with their paths")
    func bulkData() throws {
        let item = DataSet([DataElement(Tag(0x0042, 0x0011), .OB, bytes: Array(repeating: 7, count: 100))])
        let ds = DataSet([
            DataElement(Tag(0x0009, 0x1008), .OB, bytes: [1, 2, 3, 4]),
            DataElement(tag: Tag(0x0040, 0xA730), vr: .SQ, value: .sequence([SequenceItem(item)])),
            DataElement(Tag(0x7FE0, 0x0010), .OW, bytes: [0, 0]),
        ])
        let encoder = DicomJSONEncoder(bulkDataThreshold: 10, bulkDataURI: { path, element in
            "https://x/bulk/\(path.jsonPointer.dropFirst())?vr=\(element.vr.rawValue)"
        })
        let v = try json(try encoder.encodeString(ds))
        #expect(at(v, ["00091008", "InlineBinary"]) == .string("AQIDBA=="))
        #expect(at(v, ["0040A730", "Value", 0, "00420011", "BulkDataURI"]) == .string("https://x/bulk/0040A730/Value/0/00420011?vr=OB"))
        #expect(at(v, ["7FE00010", "BulkDataURI"]) == .string("https://x/bulk/7FE00010?vr=OW"))
        #expect(at(v, ["7FE00010", "InlineBinary"]) == nil)

        // A closure that declines inlines the value.
        let declining = DicomJSONEncoder(bulkDataThreshold: 0, bulkDataURI: { _, _ in nil })
        let w = try json(try declining.encodeString(ds))
        #expect(at(w, ["7FE00010", "InlineBinary"]) == .string("AAA="))
        #expect(TagPath(Tag(0x0042, 0x0011), in: [.init(tag: Tag(0x0040, 0xA730), item: 0)]).description == "(0040,A730)[0].(0042,0011)")
    }

    @Test("a binary value of the wrong length is an error naming its path")
    func badBinaryLength() throws {
        let item = DataSet([DataElement(Tag(0x0028, 0x0010), .US, bytes: [1, 2, 3])])
        let ds = DataSet([DataElement(tag: Tag(0x0008, 0x1115), vr: .SQ, value: .sequence([SequenceItem(item)]))])
        #expect(throws: DicomJSONError.invalidValueLength(path: "/00081115/Value/0/00280010", vr: .US, length: 3)) {
            try DicomJSONEncoder().encode(ds)
        }
    }

    // MARK: - Decoder

    @Test("decoding gives the PS3.5 bytes of every VR class, and encodes back to the same JSON")
    func handBuiltDecoding() throws {
        let result = try DicomJSONDecoder().decode(handBuiltJSON)
        let ds = result.dataSet
        #expect(result.bulkDataURIs.isEmpty)
        #expect(ds[Tag(0x0028, 0x0010)]?.bytes == [0x00, 0x02])
        #expect(ds[Tag(0x0028, 0x0106)]?.bytes == [0xFF, 0xFF])
        #expect(ds[Tag(0x0009, 0x1001)]?.bytes == le([UInt32(4_000_000_000)]))
        #expect(ds[Tag(0x0009, 0x1003)]?.bytes == le([Float(1.5).bitPattern, Float(0.1).bitPattern]))
        #expect(ds[Tag(0x0009, 0x1005)]?.bytes == le([Int64(-9_007_199_254_740_993), 42]))
        #expect(ds[Tag(0x0009, 0x1006)]?.bytes == le([UInt64.max, 9_007_199_254_740_992]))
        #expect(ds[Tag(0x0009, 0x1007)]?.bytes == [0x10, 0x00, 0x10, 0x00, 0xE0, 0x7F, 0x10, 0x00])
        #expect(ds[Tag(0x0009, 0x1008)]?.bytes == [1, 2, 3])  // binary stays odd (CP-1920)
        #expect(ds[Tag(0x0008, 0x0018)]?.bytes == Array("1.2.3\0".utf8))  // UI padded with NUL
        #expect(ds[Tag(0x0008, 0x1030)]?.bytes == Array("A\\\\B".utf8))
        #expect(ds[Tag(0x0018, 0x0050)]?.bytes == Array("1.50".utf8))
        #expect(ds[Tag(0x0020, 0x0032)]?.bytes == Array("+5\\.5\\1e3 ".utf8))
        #expect(ds[Tag(0x0010, 0x0010)]?.bytes == Array("Yamada^Tarou=山田^太郎=やまだ^たろう".utf8))
        #expect(ds[Tag(0x0010, 0x1001)]?.bytes == Array("Doe^John\\=Smith\\Roe\\".utf8))
        #expect(ds[Tag(0x0009, 0x100D)]?.items?.count == 2)
        #expect(ds[Tag(0x0009, 0x100C)]?.bytes == [])
        #expect(ds.characterSet.terms == ["ISO_IR 192"])
        let back = try DicomJSONEncoder.inlineEverything.encodeString(ds)
        #expect(back == handBuiltJSON)
    }

    @Test("JSON numbers become DS/IS text and binary values of the right width")
    func numbersToText() throws {
        let text = #"""
        {"00180050":{"vr":"DS","Value":[0.30000000000000004,-1.5E-7,null,2]},
         "00200013":{"vr":"IS","Value":[1e3,"007",-4.0]},
         "00280010":{"vr":"US","Value":[65535]},
         "00189219":{"vr":"FD","Value":[-0.0,"-Infinity"]}}
        """#
        let ds = try DicomJSONDecoder().decode(text).dataSet
        #expect(ds[Tag(0x0018, 0x0050)]?.bytes == Array("0.3\\-1.5E-7\\\\2".utf8))
        #expect(ds[Tag(0x0020, 0x0013)]?.bytes == Array("1000\\007\\-4 ".utf8))
        #expect(ds[Tag(0x0028, 0x0010)]?.bytes == [0xFF, 0xFF])
        #expect(ds[Tag(0x0018, 0x9219)]?.bytes == le([(-0.0 as Double).bitPattern, (-Double.infinity).bitPattern]))
    }

    @Test("non-ASCII strings without a character set get ISO_IR 192")
    func utf8ByDefault() throws {
        let r = try DicomJSONDecoder().decode(#"{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Müller^Jürgen"}]},"00100020":{"vr":"LO","Value":["X"]}}"#)
        #expect(r.dataSet[.specificCharacterSet]?.bytes == Array("ISO_IR 192".utf8))
        #expect(r.dataSet[Tag(0x0010, 0x0010)]?.bytes == Array("Müller^Jürgen ".utf8))
        let ascii = try DicomJSONDecoder().decode(#"{"00100020":{"vr":"LO","Value":["X"]}}"#)
        #expect(ascii.dataSet[.specificCharacterSet] == nil)
    }

    @Test("BulkDataURIs are returned by path and their elements kept empty")
    func bulkDataURIs() throws {
        let text = #"{"0040A730":{"vr":"SQ","Value":[{"00420011":{"vr":"OB","BulkDataURI":"http://a/b"}}]},"7FE00010":{"vr":"OW","BulkDataURI":"http://a/px"}}"#
        let r = try DicomJSONDecoder().decode(text)
        let inner = TagPath(Tag(0x0042, 0x0011), in: [.init(tag: Tag(0x0040, 0xA730), item: 0)])
        #expect(r.bulkDataURIs == [inner: "http://a/b", TagPath(.pixelData): "http://a/px"])
        #expect(r.dataSet[.pixelData]?.vr == .OW)
        #expect(r.dataSet[.pixelData]?.bytes == [])
        // Encoding back: Pixel Data is always offered for a URI, even empty; other empty values are not.
        let uris = r.bulkDataURIs
        let encoder = DicomJSONEncoder(bulkDataThreshold: 0, bulkDataURI: { path, _ in uris[path] })
        #expect(try encoder.encodeString(r.dataSet)
            == #"{"0040A730":{"vr":"SQ","Value":[{"00420011":{"vr":"OB"}}]},"7FE00010":{"vr":"OW","BulkDataURI":"http://a/px"}}"#)
    }

    @Test("malformed documents fail with the JSON Pointer of the offending member")
    func errors() throws {
        let d = DicomJSONDecoder()
        #expect(throws: DicomJSONError.syntax(offset: 15, reason: "unterminated object")) { try d.decode(#"{"00100010":{} "#) }
        #expect(throws: DicomJSONError.invalidStructure(path: "/0010001", reason: "a key must be a tag of 8 hexadecimal digits (PS3.18 §F.2.1)")) {
            try d.decode(#"{"0010001":{"vr":"PN"}}"#)
        }
        #expect(throws: DicomJSONError.invalidStructure(path: "/00081115/Value/0/00081150", reason: "missing \"vr\" (PS3.18 §F.2.3)")) {
            try d.decode(#"{"00081115":{"vr":"SQ","Value":[{"00081150":{"Value":["1.2"]}}]}}"#)
        }
        #expect(throws: DicomJSONError.invalidValue(path: "/00280010/Value/1", reason: "65536: outside the range of US")) {
            try d.decode(#"{"00280010":{"vr":"US","Value":[1,65536]}}"#)
        }
        #expect(throws: DicomJSONError.invalidValue(path: "/00091008/InlineBinary", reason: "not base64 (RFC 4648)")) {
            try d.decode(#"{"00091008":{"vr":"OB","InlineBinary":"A*=="}}"#)
        }
        #expect(throws: DicomJSONError.invalidValue(path: "/00280009/Value/0", reason: "0054001: an AT value is 8 hexadecimal digits")) {
            try d.decode(#"{"00280009":{"vr":"AT","Value":["0054001"]}}"#)
        }
        #expect(throws: DicomJSONError.invalidValue(path: "/00200013/Value/0", reason: "1.5 is not an IS integer")) {
            try d.decode(#"{"00200013":{"vr":"IS","Value":[1.5]}}"#)
        }
        #expect(throws: DicomJSONError.invalidStructure(path: "/00091008", reason: "more than one of \"Value\", \"InlineBinary\", \"BulkDataURI\" (PS3.18 §F.2.5)")) {
            try d.decode(#"{"00091008":{"vr":"OB","InlineBinary":"AA==","BulkDataURI":"x"}}"#)
        }
        // Deep nesting is refused, not a stack overflow.
        let deep = String(repeating: #"{"00081115":{"vr":"SQ","Value":["#, count: 200) + "{}" + String(repeating: "]}}", count: 200)
        #expect(throws: DicomJSONError.self) { try d.decode(deep) }
        #expect(throws: DicomJSONError.self) { try d.decode(String(repeating: "[", count: 100_000)) }
    }

    @Test("pydicom's test1.json and test_PN.json decode, and re-encode to a fixed point")
    func pydicomJSONFiles() throws {
        let dir = try #require(pydicomData)
        for name in ["test1.json", "test_PN.json"] {
            let bytes = try [UInt8](Data(contentsOf: dir.appendingPathComponent("test_files/\(name)")))
            let first = try DicomJSONDecoder().decode(bytes)
            let encoded = try DicomJSONEncoder().encode(first.dataSet)
            let second = try DicomJSONDecoder().decode(encoded)
            #expect(second.dataSet == first.dataSet)
            #expect(try DicomJSONEncoder().encode(second.dataSet) == encoded)
            if name == "test1.json" {
                let ds = first.dataSet
                #expect(first.bulkDataURIs == [TagPath(.pixelData): ""])
                #expect(ds[Tag(0x0020, 0x1002)]?.bytes == Array("714 ".utf8))  // IS 714
                #expect(ds[Tag(0x0010, 0x1030)]?.bytes == Array("87.09 ".utf8))  // DS 87.09
                #expect(ds[Tag(0x0028, 0x0107)]?.bytes == le([Int16(11776)]))  // SS
                #expect(ds[Tag(0x0025, 0x1007)]?.bytes == le([Int32(714)]))  // SL, private
                #expect(ds[Tag(0x0010, 0x0010)]?.bytes == Array("Prostate^Volunteer".utf8))
            } else {
                let inner = first.dataSet[Tag(0x0400, 0x0561)]?.items?.first?.dataSet[Tag(0x0400, 0x0550)]?.items?.first?.dataSet
                #expect(inner?[Tag(0x0010, 0x1010)]?.bytes == Array("051Y".utf8))
                #expect(inner?[Tag(0x0010, 0x0010)]?.bytes == [])
            }
        }
    }

    // MARK: - Real files against pydicom

    @Test("CT_small.dcm encodes to pydicom's values")
    func ctSmall() throws {
        let v = try json(try DicomJSONEncoder().encodeString(try pydicomFile("test_files/CT_small.dcm")))
        // pydicom
        #expect(at(v, ["00080008"]) == (try json(#"{"vr": "CS", "Value": ["ORIGINAL", "PRIMARY", "AXIAL"]}"#)))
        #expect(at(v, ["00100010"]) == (try json(#"{"vr": "PN", "Value": [{"Alphabetic": "CompressedSamples^CT1"}]}"#)))
        #expect(at(v, ["00101002"]) == (try json(#"{"vr": "SQ", "Value": [{"00100020": {"vr": "LO", "Value": ["ABCD1234"]}, "00100022": {"vr": "CS", "Value": ["TEXT"]}}, {"00100020": {"vr": "LO", "Value": ["1234ABCD"]}, "00100022": {"vr": "CS", "Value": ["TEXT"]}}]}"#)))
        #expect(at(v, ["00091027"]) == (try json(#"{"vr": "SL", "Value": [862399669]}"#)))
        #expect(at(v, ["00280010"]) == (try json(#"{"vr": "US", "Value": [128]}"#)))
        #expect(at(v, ["00080050"]) == (try json(#"{"vr": "SH"}"#)))
        #expect(numbers(at(v, ["00181100"])) == [338.6716])
        #expect(numbers(at(v, ["00280030"])) == [0.661468, 0.661468])
        #expect(numbers(at(v, ["00200032"])) == [-158.135803, -179.035797, -75.699997])
        #expect(numbers(at(v, ["00211092"])) == [0.0])  // FL
        #expect(numbers(at(v, ["00231070"])) == [862399761.111079])  // FD
        #expect(at(v, ["7FE00010", "vr"]) == .string("OW"))
        guard case .string(let b64)? = at(v, ["7FE00010", "InlineBinary"]) else { Issue.record("no pixel data"); return }
        #expect(Data(base64Encoded: b64)?.count == 128 * 128 * 2)
    }

    @Test("rtplan.dcm nested sequences encode to pydicom's values")
    func rtplan() throws {
        let v = try json(try DicomJSONEncoder().encodeString(try pydicomFile("test_files/rtplan.dcm")))
        // pydicom
        #expect(at(v, ["300C0060"]) == (try json(#"{"vr": "SQ", "Value": [{"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.481.3"]}, "00081155": {"vr": "UI", "Value": ["1.2.333.444.55.6.7777.88888"]}}]}"#)))
        #expect(at(v, ["300A00B0", "Value", 0, "300A00B6", "Value", 0, "300A00B8"]) == (try json(#"{"vr": "CS", "Value": ["X"]}"#)))
        #expect(numbers(at(v, ["300A00B0", "Value", 0, "300A0111", "Value", 0, "300A011A", "Value", 0, "300A011C"])) == [-100.0, 100.0])
        #expect(numbers(at(v, ["300A00B0", "Value", 0, "300A0111", "Value", 1, "300A0134"])) == [1.0])
    }

    @Test("MR_small.dcm, JPEG2000.dcm and chrFren.dcm encode to pydicom's values")
    func moreFiles() throws {
        let mr = try json(try DicomJSONEncoder().encodeString(try pydicomFile("test_files/MR_small.dcm")))
        // pydicom
        #expect(at(mr, ["00100010"]) == (try json(#"{"vr": "PN", "Value": [{"Alphabetic": "CompressedSamples^MR1"}]}"#)))
        #expect(at(mr, ["00180086"]) == (try json(#"{"vr": "IS", "Value": [1]}"#)))
        #expect(at(mr, ["00280106"]) == (try json(#"{"vr": "SS", "Value": [0]}"#)))
        #expect(numbers(at(mr, ["00280030"])) == [0.3125, 0.3125])

        let j2k = try json(try DicomJSONEncoder().encodeString(try pydicomFile("test_files/JPEG2000.dcm")))
        // pydicom
        #expect(at(j2k, ["00280009"]) == (try json(#"{"vr": "AT", "Value": ["00540010", "00540020"]}"#)))
        #expect(at(j2k, ["0009102E"]) == (try json(#"{"vr": "FD", "Value": [1.899999976158142]}"#)))
        // pydicom: 266 bytes = empty Basic Offset Table item, one 250-byte fragment item, no delimiter.
        guard case .string(let b64)? = at(j2k, ["7FE00010", "InlineBinary"]), let px = Data(base64Encoded: b64) else {
            Issue.record("no pixel data"); return
        }
        #expect(px.count == 266)
        #expect(Array(px.prefix(24)) == [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0x00, 0xE0, 0xFA, 0, 0, 0,
                                         0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00])
        #expect(Array(px.suffix(2)) == [0xFF, 0xD9])

        let fren = try json(try DicomJSONEncoder().encodeString(try pydicomFile("charset_files/chrFren.dcm")))
        // pydicom
        #expect(at(fren, ["00100010"]) == (try json(#"{"vr": "PN", "Value": [{"Alphabetic": "Buc^J\u00e9r\u00f4me"}]}"#)))

        let sr = try json(try DicomJSONEncoder().encodeString(try pydicomFile("test_files/reportsi_with_empty_number_tags.dcm")))
        // pydicom: empty FL and OF have only "vr"
        #expect(at(sr, ["00109431"]) == (try json(#"{"vr": "FL"}"#)))
        #expect(at(sr, ["00640009"]) == (try json(#"{"vr": "OF"}"#)))
    }

    @Test("chrH31.dcm Japanese person name encodes to pydicom's values")
    func japanese() throws {
        let v = try json(try DicomJSONEncoder().encodeString(try pydicomFile("charset_files/chrH31.dcm")))
        // pydicom (and DCMTK agree for this file)
        #expect(at(v, ["00100010"]) == (try json(#"{"vr": "PN", "Value": [{"Alphabetic": "Yamada^Tarou", "Ideographic": "\u5c71\u7530^\u592a\u90ce", "Phonetic": "\u3084\u307e\u3060^\u305f\u308d\u3046"}]}"#)))
        #expect(at(v, ["00080005"]) == (try json(#"{"vr": "CS", "Value": [null, "ISO 2022 IR 87"]}"#)))
    }

    @Test("real files round trip: JSON → data set → JSON is unchanged")
    func fileRoundTrip() throws {
        for name in ["test_files/CT_small.dcm", "test_files/rtplan.dcm", "test_files/MR_small.dcm", "test_files/JPEG2000.dcm",
                     "test_files/priv_SQ.dcm", "test_files/nested_priv_SQ.dcm", "test_files/liver_1frame.dcm",
                     "test_files/reportsi.dcm", "charset_files/chrFren.dcm", "test_files/waveform_ecg.dcm"] {
            let ds = try pydicomFile(name)
            let first = try DicomJSONEncoder().encode(ds)
            let decoded = try DicomJSONDecoder().decode(first)
            let again = try DicomJSONEncoder().encode(decoded.dataSet)
            #expect(again == first, "\(name)")
            if name.hasSuffix("JPEG2000.dcm") {
                guard case .encapsulated(let px)? = decoded.dataSet[.pixelData]?.value else {
                    Issue.record("Pixel Data not encapsulated after decoding"); continue
                }
                guard case .encapsulated(let orig)? = ds[.pixelData]?.value else { continue }
                #expect(px == orig)
            }
        }
    }

    // MARK: - XML

    @Test("Native DICOM Model XML is well-formed and carries tags, keywords, private creators, names and items")
    func xml() throws {
        let ds = try pydicomFile("test_files/CT_small.dcm")
        let bytes = try ds.nativeDicomModelXML()
        let collector = XMLCollector()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = collector
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        #expect(collector.root == "NativeDicomModel")
        // dcm2xml --native-format (DCMTK) gives the same attributes for these.
        #expect(collector.attributes.contains(["tag": "00100010", "vr": "PN", "keyword": "PatientName"]))
        #expect(collector.attributes.contains(["tag": "00091001", "vr": "LO", "privateCreator": "GEMS_IDEN_01"]))
        #expect(collector.attributes.contains(["tag": "00090010", "vr": "LO"]))
        #expect(collector.text["FamilyName"] == ["CompressedSamples"])
        #expect(collector.text["GivenName"] == ["CT1"])
        #expect(collector.items == ["1", "2"])
        #expect(collector.valuesOf["00080008"] == ["1:ORIGINAL", "2:PRIMARY", "3:AXIAL"])
        #expect(collector.valuesOf["00101002/00100020"] == ["1:ABCD1234", "1:1234ABCD"])
        #expect(collector.count(of: "InlineBinary") == ds.elements.count(where: { $0.vr.isBulk && !$0.bytes.isEmpty }))
        #expect(collector.count(of: "DicomAttribute") == ds.elements.count(where: { !$0.tag.isGroupLength }) + 4)
    }

    @Test("XML escapes markup, drops characters XML 1.0 cannot hold and writes BulkData uri")
    func xmlEscaping() throws {
        let ds = DataSet([
            ascii(Tag(0x0008, 0x1030), .LO, "a<b>&\"c\"\u{1}"),
            ascii(Tag(0x0010, 0x1001), .PN, "Doe^John^^Dr\\\\=X"),
            DataElement(Tag(0x7FE0, 0x0010), .OW, bytes: [0, 0]),
        ])
        let encoder = DicomXMLEncoder(bulkDataThreshold: 0, bulkDataURI: { _, _ in "http://h/p?a=1&b=\"2\"" })
        let text = try encoder.encodeString(ds)
        #expect(text.contains("<Value number=\"1\">a&lt;b&gt;&amp;\"c\"\u{FFFD}</Value>"))
        #expect(text.contains("<BulkData uri=\"http://h/p?a=1&amp;b=&quot;2&quot;\"/>"))
        #expect(text.contains("<PersonName number=\"1\">\n<Alphabetic>\n<FamilyName>Doe</FamilyName>\n<GivenName>John</GivenName>\n<NamePrefix>Dr</NamePrefix>\n</Alphabetic>\n</PersonName>"))
        #expect(text.contains("<PersonName number=\"3\">\n<Ideographic>\n<FamilyName>X</FamilyName>\n</Ideographic>\n</PersonName>"))
        #expect(!text.contains("PersonName number=\"2\""))
        let parser = XMLParser(data: Data(text.utf8))
        #expect(parser.parse())
    }
}

/// Collects what the XML tests look at.
private final class XMLCollector: NSObject, XMLParserDelegate {
    var root: String?
    var attributes: [[String: String]] = []
    var text: [String: [String]] = [:]
    var items: [String] = []
    var valuesOf: [String: [String]] = [:]
    var counts: [String: Int] = [:]
    private var tagStack: [String] = []
    private var current = ""
    private var valueNumber = ""

    func count(of name: String) -> Int { counts[name, default: 0] }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes attributeDict: [String: String] = [:]) {
        if root == nil { root = name }
        counts[name, default: 0] += 1
        current = ""
        switch name {
        case "DicomAttribute":
            attributes.append(attributeDict)
            tagStack.append(attributeDict["tag"] ?? "?")
        case "Item" where tagStack.last == "00101002":
            items.append(attributeDict["number"] ?? "?")
        case "Value":
            valueNumber = attributeDict["number"] ?? "?"
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "DicomAttribute": tagStack.removeLast()
        case "Value": valuesOf[tagStack.joined(separator: "/"), default: []].append("\(valueNumber):\(current)")
        case "FamilyName", "GivenName": if tagStack == ["00100010"] { text[name, default: []].append(current) }
        default: break
        }
        current = ""
    }
}
