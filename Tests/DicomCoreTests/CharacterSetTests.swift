import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

/// PS3.5 §6.1 and PS3.3 §C.12.1.1.2: Specific Character Set (0008,0005).
@Suite("Specific Character Set")
struct CharacterSetTests {

    // MARK: - Reference decodings of real files

    /// One file of Tests/Fixtures/charsets/expected.json: every text element decoded by DCMTK
    /// (`dcmconv +U8`) or, for the Japanese sets this DCMTK cannot read, by pydicom.
    struct ReferenceFile: Decodable, Sendable, CustomTestStringConvertible {
        struct Element: Decodable, Sendable { var path: String; var vr: String; var value: String }
        var file: String
        var reference: String
        var elements: [Element]
        var testDescription: String { file }

        static let all: [ReferenceFile] = {
            let url = Fixtures.directory.appendingPathComponent("charsets/expected.json")
            guard let data = try? Data(contentsOf: url),
                  let files = try? JSONDecoder().decode([ReferenceFile].self, from: data) else { return [] }
            return files
        }()
    }

    /// (path, VR, raw bytes, decoded text) of every element affected by the character set, items included.
    static func textElements(of dataSet: DataSet, prefix: String = "") -> [(path: String, vr: VR, bytes: [UInt8], text: String)] {
        var out: [(path: String, vr: VR, bytes: [UInt8], text: String)] = []
        for element in dataSet {
            let path = prefix + element.tag.description
            if let items = element.items {
                for (index, item) in items.enumerated() {
                    out += textElements(of: item.dataSet, prefix: "\(path)[\(index)]")
                }
            } else if element.vr.usesSpecificCharacterSet, !element.tag.isPrivate || element.tag.isPrivateCreator {
                out.append((path, element.vr, element.bytes, dataSet.characterSet.decode(element.bytes, vr: element.vr)))
            }
        }
        return out
    }

    static func read(_ name: String) throws -> DicomFile {
        try DicomFile.read(path: Fixtures.directory.appendingPathComponent("charsets/\(name)").path)
    }

    static func trimmed(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
        return String(scalars)
    }

    @Test("the reference list covers pydicom's 17 charset files and the 4 Chinese fixtures")
    func referenceListIsComplete() {
        #expect(ReferenceFile.all.count == 21)
        #expect(ReferenceFile.all.contains { $0.file == "pydicom/chrH31.dcm" })
        #expect(ReferenceFile.all.contains { $0.file == "iso2022ir58.dcm" })
    }

    @Test("every text element of every charset fixture decodes as DCMTK (or pydicom for JIS) does",
          arguments: ReferenceFile.all)
    func decodesLikeReference(_ reference: ReferenceFile) throws {
        let file = try Self.read(reference.file)
        let ours = Self.textElements(of: file.dataSet)
        #expect(ours.map(\.path) == reference.elements.map(\.path))
        let expected = Dictionary(uniqueKeysWithValues: reference.elements.map { ($0.path, $0.value) })
        for element in ours {
            #expect(Self.trimmed(element.text) == expected[element.path],
                    "\(reference.file) \(element.path) (\(reference.reference))")
        }
    }

    /// Files whose writers chose other, equally valid, escape sequences than ours; for them only
    /// the text must survive the round trip.
    static let otherEscapeChoices: [String: String] = [
        // ESC ( B after each KS X 1001 run although G0 never left ASCII (PS3.5 I.2 writes none).
        "pydicom/chrKoreanMulti.dcm": "redundant ESC ( B",
        // Back to G0 with ESC ( B (ASCII) where value 1, ISO 2022 IR 13, gives ESC ( J (PS3.5 H.3.2).
        "pydicom/chrSQEncoding.dcm": "ESC ( B for IR 13",
        "pydicom/chrSQEncoding1.dcm": "ESC ( B for IR 13",
    ]

    @Test("decoding then encoding every text element of every charset fixture gives back its bytes",
          arguments: ReferenceFile.all)
    func roundTripsFixtureBytes(_ reference: ReferenceFile) throws {
        let file = try Self.read(reference.file)
        let exact = Self.otherEscapeChoices[reference.file] == nil
        var checked = 0
        func check(_ dataSet: DataSet) throws {
            for element in dataSet {
                if let items = element.items { for item in items { try check(item.dataSet) } }
                guard element.vr.usesSpecificCharacterSet else { continue }
                let text = dataSet.characterSet.decode(element.bytes, vr: element.vr)
                let bytes = try dataSet.characterSet.encode(text, vr: element.vr)
                if exact {
                    #expect(bytes == element.bytes, "\(reference.file) \(element.tag)")
                } else {
                    #expect(dataSet.characterSet.decode(bytes, vr: element.vr) == text, "\(reference.file) \(element.tag)")
                }
                checked += 1
            }
        }
        try check(file.dataSet)
        #expect(checked >= 3)
    }

    @Test("GB18030 and UTF-8 (ISO_IR 192) copies of the same names convert into each other losslessly")
    func gb18030AndUTF8AreLossless() throws {
        let gb = try Self.read("gb18030.dcm").dataSet
        let utf8 = try Self.read("utf8.dcm").dataSet
        #expect(gb.characterSet.terms == ["GB18030"])
        #expect(utf8.characterSet.terms == ["ISO_IR 192"])
        let gbElements = Self.textElements(of: gb), utf8Elements = Self.textElements(of: utf8)
        #expect(gbElements.count == 4)
        #expect(gbElements.map(\.path) == utf8Elements.map(\.path))
        for (g, u) in zip(gbElements, utf8Elements) {
            #expect(g.text == u.text, "\(g.path)")
            #expect(try utf8.characterSet.encode(g.text, vr: g.vr) == u.bytes, "\(g.path)")
            #expect(try gb.characterSet.encode(u.text, vr: u.vr) == g.bytes, "\(g.path)")
        }
        // U+20BB7 and U+3402 are four-byte sequences in GB18030 (no GBK code).
        let ji = try #require(gbElements.first { $0.path == "(0008,0090)" })
        #expect(ji.text.unicodeScalars.contains("\u{20BB7}"))
        #expect(ji.bytes.starts(with: Array("Ji^Yejia=".utf8) + [0x95, 0x34, 0xB2, 0x35]))
    }

    @Test("a GBK trail byte 0x5C is part of its character, not a value delimiter")
    func gbkTrailByteIsNotADelimiter() throws {
        let gbk = try Self.read("gbk.dcm").dataSet
        let element = try #require(gbk[.otherPatientNames])
        #expect(element.bytes.contains([0x81, 0x5C]))
        #expect(gbk.characterSet.decodeValues(element.bytes, vr: .PN).map(Self.trimmed) == ["Wang^XiaoDong", "乗^王"])
    }

    // MARK: - Golden bytes from the standard's examples

    @Test("ISO 2022 IR 87 writes PS3.5 example H.3.1 byte for byte")
    func japaneseH31() throws {
        let cs = SpecificCharacterSet(definedTermsBytes: Array("\\ISO 2022 IR 87 ".utf8))
        #expect(cs.terms == ["", "ISO 2022 IR 87"])
        let bytes: [UInt8] = Array("Yamada^Tarou=".utf8)
            + [0x1B, 0x24, 0x42, 0x3B, 0x33, 0x45, 0x44, 0x1B, 0x28, 0x42, 0x5E]
            + [0x1B, 0x24, 0x42, 0x42, 0x40, 0x4F, 0x3A, 0x1B, 0x28, 0x42, 0x3D]
            + [0x1B, 0x24, 0x42, 0x24, 0x64, 0x24, 0x5E, 0x24, 0x40, 0x1B, 0x28, 0x42, 0x5E]
            + [0x1B, 0x24, 0x42, 0x24, 0x3F, 0x24, 0x6D, 0x24, 0x26, 0x1B, 0x28, 0x42]
        #expect(cs.decode(bytes, vr: .PN) == "Yamada^Tarou=山田^太郎=やまだ^たろう")
        #expect(try cs.encode("Yamada^Tarou=山田^太郎=やまだ^たろう", vr: .PN) == bytes)
    }

    @Test("ISO 2022 IR 13 with IR 87 writes PS3.5 example H.3.2 byte for byte (ESC ( J back to romaji)")
    func japaneseH32() throws {
        let cs = SpecificCharacterSet(terms: ["ISO 2022 IR 13", "ISO 2022 IR 87"])
        let bytes: [UInt8] = [0xD4, 0xCF, 0xC0, 0xDE, 0x5E, 0xC0, 0xDB, 0xB3, 0x3D]
            + [0x1B, 0x24, 0x42, 0x3B, 0x33, 0x45, 0x44, 0x1B, 0x28, 0x4A, 0x5E]
            + [0x1B, 0x24, 0x42, 0x42, 0x40, 0x4F, 0x3A, 0x1B, 0x28, 0x4A, 0x3D]
            + [0x1B, 0x24, 0x42, 0x24, 0x64, 0x24, 0x5E, 0x24, 0x40, 0x1B, 0x28, 0x4A, 0x5E]
            + [0x1B, 0x24, 0x42, 0x24, 0x3F, 0x24, 0x6D, 0x24, 0x26, 0x1B, 0x28, 0x4A]
        #expect(cs.decode(bytes, vr: .PN) == "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう")
        #expect(try cs.encode("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", vr: .PN) == bytes)
    }

    @Test("ISO 2022 IR 149 re-designates G1 after each PN delimiter as in PS3.5 example I.2")
    func koreanI2() throws {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 149"])
        let designate: [UInt8] = [0x1B, 0x24, 0x29, 0x43]
        let bytes: [UInt8] = Array("Hong^Gildong=".utf8)
            + designate + [0xFB, 0xF3, 0x5E] + designate + [0xD1, 0xCE, 0xD4, 0xD7, 0x3D]
            + designate + [0xC8, 0xAB, 0x5E] + designate + [0xB1, 0xE6, 0xB5, 0xBF]
        #expect(cs.decode(bytes, vr: .PN) == "Hong^Gildong=洪^吉洞=홍^길동")
        #expect(try cs.encode("Hong^Gildong=洪^吉洞=홍^길동", vr: .PN) == bytes)
    }

    @Test("ISO 2022 IR 58 writes PS3.5 example K.1 with ESC $ ) A in each component")
    func chineseK1() throws {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 58"])
        let designate: [UInt8] = [0x1B, 0x24, 0x29, 0x41]
        let bytes: [UInt8] = Array("Zhang^XiaoDong=".utf8)
            + designate + [0xD5, 0xC5, 0x5E] + designate + [0xD0, 0xA1, 0xB6, 0xAB, 0x3D]
        #expect(cs.decode(bytes, vr: .PN) == "Zhang^XiaoDong=张^小东=")
        #expect(try cs.encode("Zhang^XiaoDong=张^小东=", vr: .PN) == bytes)
    }

    @Test("ISO 2022 IR 159 designates JIS X 0212 with ESC $ ( D for characters JIS X 0208 lacks")
    func japaneseSupplementary() throws {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 87", "ISO 2022 IR 159"])
        // 丂 (U+4E02) is JIS X 0212 row 16 cell 1 (0x30 0x21); 山 is JIS X 0208 0x3B 0x33.
        let bytes: [UInt8] = [0x1B, 0x24, 0x42, 0x3B, 0x33, 0x1B, 0x24, 0x28, 0x44, 0x30, 0x21, 0x1B, 0x28, 0x42]
        #expect(try cs.encode("山丂", vr: .LO) == bytes)
        #expect(cs.decode(bytes, vr: .LO) == "山丂")
    }

    // MARK: - Round trips per defined term

    static let samples: [(terms: [String], text: String)] = [
        ([], "Smith^John"),
        (["ISO_IR 6"], "Smith^John"),
        (["ISO_IR 100"], "Buc^Jérôme"),
        (["ISO_IR 101"], "Dvořák^Antonín"),
        (["ISO_IR 109"], "Ħal^Għargħur"),
        (["ISO_IR 110"], "Šķēle^Ģirts"),
        (["ISO_IR 144"], "Иванов^Иван"),
        (["ISO_IR 127"], "قباني^لنزار"),
        (["ISO_IR 126"], "Διονυσιος"),
        (["ISO_IR 138"], "שרון^דבורה"),
        (["ISO_IR 148"], "Öztürk^Şükrü"),
        (["ISO_IR 203"], "Œuvre^Euro €"),
        (["ISO_IR 13"], "ﾔﾏﾀﾞ^ﾀﾛｳ"),
        (["ISO_IR 166"], "สมชาย^ใจดี"),
        (["ISO_IR 192"], "Wang^XiaoDong=王^小東=🙂"),
        (["GB18030"], "Wang^XiaoDong=王^小东=𠮷㐂"),
        (["GBK"], "Wang^XiaoDong=王^小東="),
        (["ISO 2022 IR 6"], "Smith^John"),
        (["ISO 2022 IR 100"], "Buc^Jérôme"),
        (["ISO 2022 IR 101"], "Dvořák^Antonín"),
        (["ISO 2022 IR 109"], "Ħal^Għargħur"),
        (["ISO 2022 IR 110"], "Šķēle^Ģirts"),
        (["ISO 2022 IR 144"], "Иванов^Иван"),
        (["ISO 2022 IR 127"], "قباني^لنزار"),
        (["ISO 2022 IR 126"], "Διονυσιος"),
        (["ISO 2022 IR 138"], "שרון^דבורה"),
        (["ISO 2022 IR 148"], "Öztürk^Şükrü"),
        (["ISO 2022 IR 203"], "Œuvre^Euro €"),
        (["ISO 2022 IR 13"], "ﾔﾏﾀﾞ^ﾀﾛｳ"),
        (["ISO 2022 IR 166"], "สมชาย^ใจดี"),
        (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        (["", "ISO 2022 IR 87", "ISO 2022 IR 159"], "Yamada^Tarou=山田^丂郎"),
        (["ISO 2022 IR 13", "ISO 2022 IR 87"], "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎"),
        (["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동"),
        (["", "ISO 2022 IR 58"], "Zhang^XiaoDong=张^小东="),
        (["ISO 2022 IR 6", "ISO 2022 IR 100", "ISO 2022 IR 126"], "Jérôme Διονυσιος Müller"),
        (["ISO 2022 IR 100", "ISO 2022 IR 144", "ISO 2022 IR 87"], "Zoë Иван 山田\\Zoë"),
    ]

    @Test("each defined term writes its sample as non-ASCII bytes and reads it back unchanged",
          arguments: samples.indices)
    func roundTripsSample(_ index: Int) throws {
        let (terms, text) = Self.samples[index]
        let cs = SpecificCharacterSet(terms: terms)
        #expect(terms.allSatisfy(SpecificCharacterSet.isKnown))
        for vr in [VR.PN, .LO, .SH, .UC, .LT, .ST, .UT] {
            let bytes = try cs.encode(text, vr: vr)
            #expect(cs.decode(bytes, vr: vr) == text, "\(terms) \(vr)")
            #expect(cs.decode(bytes + [0x20], vr: vr) == text + " ", "padding \(terms) \(vr)")
            if !text.unicodeScalars.allSatisfy(\.isASCII) && terms.first != "ISO_IR 192" {
                #expect(bytes != Array(text.utf8), "\(terms) should not write UTF-8")
            }
        }
    }

    @Test("single-byte sets agree with glibc iconv byte for byte", arguments: [
        ("ISO_IR 101", "ISO-8859-2"), ("ISO_IR 109", "ISO-8859-3"), ("ISO_IR 110", "ISO-8859-4"),
        ("ISO_IR 144", "ISO-8859-5"), ("ISO_IR 127", "ISO-8859-6"), ("ISO_IR 126", "ISO-8859-7"),
        ("ISO_IR 138", "ISO-8859-8"), ("ISO_IR 148", "ISO-8859-9"), ("ISO_IR 203", "ISO-8859-15"),
        ("ISO_IR 166", "TIS-620"),
    ])
    func singleByteMatchesIconv(_ term: String, _ iconvName: String) throws {
        let cs = SpecificCharacterSet(terms: [term])
        let bytes = (0xA0...0xFF).map { UInt8($0) }
        let utf8 = try #require(IconvConverter.with(from: iconvName, to: "UTF-8") {
            $0.convert(bytes, replacement: [0xEF, 0xBF, 0xBD])
        } ?? nil)
        #expect(cs.decode(bytes, vr: .LT) == String(decoding: utf8, as: UTF8.self))
    }

    // MARK: - Delimiters, errors, unknown terms

    @Test("value 1's sets come back at \\ for multi-valued VRs, ^ and = for PN, and at control characters")
    func delimitersResetToValueOne() {
        // Value 1 puts ISO 8859-1 in G1; ESC - F switches G1 to Greek; 0xC4 is Ä in one, Δ in the other.
        let cs = SpecificCharacterSet(terms: ["ISO 2022 IR 100", "ISO 2022 IR 126"])
        let greek: [UInt8] = [0x1B, 0x2D, 0x46, 0xC4]
        #expect(cs.decode(greek + [0x5E, 0xC4], vr: .PN) == "Δ^Ä")
        #expect(cs.decode(greek + [0x5E, 0xC4], vr: .LO) == "Δ^Δ")
        #expect(cs.decode(greek + [0x5C, 0xC4], vr: .LO) == "Δ\\Ä")
        #expect(cs.decode(greek + [0x5C, 0xC4], vr: .LT) == "Δ\\Δ")
        #expect(cs.decode(greek + [0x0D, 0x0A, 0xC4], vr: .LT) == "Δ\r\nÄ")
        #expect(cs.decode(greek + [0x09, 0xC4], vr: .ST) == "Δ\tÄ")
        #expect(cs.decode(greek + [0x3D, 0xC4], vr: .PN) == "Δ=Ä")
    }

    @Test("the encoder returns to value 1's G0 set before each delimiter and at the end")
    func encoderRestoresG0() throws {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"])
        let back: [UInt8] = [0x1B, 0x28, 0x42]
        let bytes = try cs.encode("山\\田", vr: .LO)
        #expect(bytes == [0x1B, 0x24, 0x42, 0x3B, 0x33] + back + [0x5C, 0x1B, 0x24, 0x42, 0x45, 0x44] + back)
        #expect(cs.decodeValues(bytes, vr: .LO) == ["山", "田"])
    }

    @Test("a character no set of the data set has throws unencodable")
    func unencodable() {
        let cases: [([String], String)] = [
            (["ISO_IR 100"], "王"), ([], "é"), (["GBK"], "𠮷"), (["", "ISO 2022 IR 87"], "한"),
            (["ISO_IR 144"], "é"), (["", "ISO 2022 IR 58"], "東"), (["ISO_IR 13"], "山"),
        ]
        for (terms, text) in cases {
            #expect(throws: CharacterSetError.unencodable(string: text, characterSet: terms)) {
                try SpecificCharacterSet(terms: terms).encode(text, vr: .LO)
            }
        }
    }

    @Test("only SH, LO, ST, LT, UC, UT and PN go through the character set")
    func onlyAffectedVRs() throws {
        let cs = SpecificCharacterSet(terms: ["ISO_IR 144"])
        #expect(cs.decode([0xBB], vr: .LO) == "Л")
        #expect(cs.decode([0xBB], vr: .CS) == "\u{FFFD}")
        #expect(try cs.encode("Л", vr: .LO) == [0xBB])
        #expect(try cs.encode("Л", vr: .CS) == Array("Л".utf8))
    }

    @Test("unknown defined terms are reported, and decoding falls back to UTF-8 or ISO 8859-1")
    func unknownTerms() throws {
        #expect(SpecificCharacterSet.isKnown("ISO_IR 100"))
        #expect(SpecificCharacterSet.isKnown("ISO 2022 IR 58"))
        #expect(SpecificCharacterSet.isKnown(""))
        #expect(!SpecificCharacterSet.isKnown("ISO_IR 999"))
        #expect(!SpecificCharacterSet.isKnown("ISO-IR 100"))
        let unknown = SpecificCharacterSet(terms: ["KOI8-R"])
        #expect(unknown.unknownTerms == ["KOI8-R"])
        #expect(unknown.decode([0x4A, 0xE9], vr: .LO) == "Jé")
        #expect(unknown.decode(Array("Jé".utf8), vr: .LO) == "Jé")
        #expect(throws: CharacterSetError.unknownTerm("KOI8-R")) { try unknown.encode("Jé", vr: .LO) }
        #expect(try unknown.encode("Jones", vr: .LO) == Array("Jones".utf8))
        // Misspellings seen in the wild still select the set.
        #expect(SpecificCharacterSet(terms: ["ISO-IR 144"]).decode([0xBB], vr: .LO) == "Л")
        #expect(SpecificCharacterSet(terms: ["ISO_IR144"]).decode([0xBB], vr: .LO) == "Л")
    }

    @Test("invalid bytes decode to U+FFFD without failing")
    func invalidBytes() {
        #expect(SpecificCharacterSet(terms: ["GB18030"]).decode([0x41, 0x81], vr: .LO) == "A\u{FFFD}")
        #expect(SpecificCharacterSet(terms: ["ISO_IR 166"]).decode([0xFC], vr: .LO) == "\u{FFFD}")
        #expect(SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"]).decode([0x1B, 0x24, 0x42, 0x3B], vr: .LO) == "\u{FFFD}")
        #expect(SpecificCharacterSet(terms: ["ISO_IR 192"]).decode([0xFF, 0x41], vr: .LO) == "\u{FFFD}A")
    }

    @Test("(0008,0005) with an empty first value reads as ISO 2022 IR 6 plus the others")
    func multiValuedTerms() {
        let cs = SpecificCharacterSet(definedTermsBytes: Array("\\ISO 2022 IR 149".utf8))
        #expect(cs.terms == ["", "ISO 2022 IR 149"])
        #expect(cs.usesCodeExtensions)
        #expect(SpecificCharacterSet(definedTermsBytes: Array("ISO_IR 100".utf8)).terms == ["ISO_IR 100"])
        #expect(SpecificCharacterSet(definedTermsBytes: []).terms == [])
        #expect(!SpecificCharacterSet(terms: ["ISO_IR 100"]).usesCodeExtensions)
        // Sets that allow no code extensions win when listed beside others.
        #expect(SpecificCharacterSet(terms: ["", "ISO_IR 192"]).decode(Array("Jé".utf8), vr: .LO) == "Jé")
        #expect(SpecificCharacterSet(terms: ["ISO_IR 100", "GB18030"]).decode([0xCD, 0xF5], vr: .LO) == "王")
    }

    @Test("concurrent decoding and encoding through iconv gives the same results")
    func concurrentUse() async throws {
        let cs = SpecificCharacterSet(terms: ["GB18030"])
        let text = "Wang^XiaoDong=王^小东=𠮷"
        let bytes = try cs.encode(text, vr: .PN)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    (0..<50).allSatisfy { _ in cs.decode(bytes, vr: .PN) == text && (try? cs.encode(text, vr: .PN)) == bytes }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 16))
    }
}
