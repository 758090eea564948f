import DicomArchive
import DicomCore
import Testing
@testable import WadoGateway

@Suite("DICOMweb request parsing")
struct ParsingTests {
    @Test("a multipart body fed one byte at a time gives the same parts as in one piece")
    func multipartDrip() throws {
        let body = "preamble\r\n--b1\r\nContent-Type: application/dicom\r\n\r\nAB\r\n--b2\r\n--b1\r\n"
            + "Content-Type: application/dicom\r\n\r\n\r\n--b\r\n--b1--\r\nepilogue"
        func parts(_ chunks: [[UInt8]]) throws -> [[UInt8]] {
            var reader = MultipartReader(boundary: "b1")
            var out: [[UInt8]] = []
            for c in chunks {
                for e in try reader.feed(c) {
                    switch e {
                    case .partStart(let h):
                        #expect(h["content-type"] == "application/dicom")
                        out.append([])
                    case .body(let b): out[out.count - 1] += b
                    default: break
                    }
                }
            }
            #expect(reader.isComplete)
            return out
        }
        let whole = try parts([Array(body.utf8)])
        let drip = try parts(Array(body.utf8).map { [$0] })
        #expect(whole == [Array("AB\r\n--b2".utf8), Array("\r\n--b".utf8)])
        #expect(drip == whole)
    }

    @Test("a body without its close delimiter is not complete")
    func multipartTruncated() throws {
        var reader = MultipartReader(boundary: "b")
        _ = try reader.feed(Array("--b\r\n\r\nDATA".utf8))
        #expect(!reader.isComplete)
    }

    @Test("Accept: quoted and unquoted type, q-values order, over-long header refused")
    func accept() throws {
        let ranges = try MediaRange.parseAccept(
            "multipart/related; type=application/octet-stream; transfer-syntax=*; q=0.5, multipart/related; type=\"image/jhc\"; transfer-syntax=1.2.840.10008.1.2.4.202")
        #expect(ranges.map(\.partType) == ["image/jphc", "application/octet-stream"])   // image/jhc is read as image/jphc
        #expect(ranges[0].transferSyntax == "1.2.840.10008.1.2.4.202")
        #expect(ranges[1].transferSyntax == "*")
        #expect(ranges[1].acceptsParts(of: "application/octet-stream"))
        #expect(!ranges[1].acceptsParts(of: "application/dicom"))
        #expect(throws: DicomWebError.self) { try MediaRange.parseAccept(String(repeating: "a", count: 1 << 20)) }
        #expect(throws: DicomWebError.self) { try MediaRange.parseAccept("notatype") }
    }

    @Test("UIDs in paths: traversal and malformed UIDs are refused", arguments: ["..", "%2e%2e", "/etc/passwd", "1.2.03", "1..2", "", "1.2.a"])
    func badUIDs(_ text: String) {
        #expect(throws: DicomWebError.self) { try validUID(text, "Study Instance UID") }
    }

    @Test("frame lists: 0, empty items and non-numbers are 400")
    func frameLists() throws {
        #expect(try FrameList.parse("1,3,5") == [1, 3, 5])
        for bad in ["0", "1,,3", "", "a", "-1", "99999999999"] {
            #expect(throws: DicomWebError.self) { try FrameList.parse(bad) }
        }
    }

    func qido(_ level: QueryLevel, _ params: [(String, String)], study: String? = nil) throws -> QIDORequest {
        try QIDORequest(level: level, study: study, series: nil,
                        parameters: params.map { (key: Substring($0.0), value: Substring($0.1)) },
                        personNameCaseInsensitive: true, maxResults: 100)
    }

    @Test("QIDO parameters become the C-FIND matching conditions")
    func qidoConditions() throws {
        let q = try qido(.study, [("PatientName", "Doe*"), ("00080020", "20250101-20250131"), ("limit", "500"), ("offset", "2"),
                                  ("StudyInstanceUID", "1.2.3,1.2.4"), ("includefield", "00081030,StudyID")])
        #expect(q.query.conditions[QueryKey.byTag[.patientName]!] == .wildcard("Doe*"))
        #expect(q.query.conditions[QueryKey.byTag[.studyDate]!] == .range(lower: "20250101", upper: "20250131"))
        #expect(q.query.conditions[QueryKey.studyInstanceUID] == .anyOf([.single("1.2.3"), .single("1.2.4")]))
        #expect(q.query.limit == 100)                      // lowered to max_results
        #expect(q.query.offset == 2)
        #expect(q.returnKeys.contains(QueryKey.byTag[.studyDescription]!))
        #expect(!q.warnings.isEmpty)
    }

    @Test("fuzzymatching turns a name into a prefix match, wherever it stands in the query")
    func fuzzy() throws {
        let q = try qido(.study, [("PatientName", "doe"), ("fuzzymatching", "true")])
        #expect(q.query.conditions[QueryKey.byTag[.patientName]!] == .wildcard("doe*"))
    }

    @Test("QIDO refuses unknown keys, bad values and keys below the level")
    func qidoRefusals() {
        #expect(throws: DicomWebError.self) { try qido(.study, [("NoSuchKeyword", "x")]) }
        #expect(throws: DicomWebError.self) { try qido(.study, [("StudyDate", "2025-01-01x")]) }
        #expect(throws: DicomWebError.self) { try qido(.study, [("SOPInstanceUID", "1.2")]) }
        #expect(throws: DicomWebError.self) { try qido(.study, [("limit", "-1")]) }
        #expect(throws: DicomWebError.self) { try qido(.study, [("fuzzymatching", "maybe")]) }
    }
}

@Suite("Range requests")
struct RangeTests {
    @Test("bytes=a-b, a-, -n; past the end 416; several ranges or garbage ignored")
    func parse() {
        #expect(ByteRange.parse("bytes=0-99", length: 1000) == .range(0, 99))
        #expect(ByteRange.parse("bytes=900-", length: 1000) == .range(900, 999))
        #expect(ByteRange.parse("bytes=-100", length: 1000) == .range(900, 999))
        #expect(ByteRange.parse("bytes=990-5000", length: 1000) == .range(990, 999))
        #expect(ByteRange.parse("bytes=1000-", length: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1,5-6", length: 1000) == .ignore)
        #expect(ByteRange.parse("items=0-1", length: 1000) == .ignore)
        #expect(ByteRange.parse("bytes=5-1", length: 1000) == .ignore)
        #expect(ByteRange.parse(nil, length: 1000) == .ignore)
    }
}
