import DicomArchive
import DicomCore
import Testing
@testable import DimseServer

/// C-FIND pending responses are encoded straight into bytes (ResponseBuilder.encodedResponse);
/// these bytes must be the ones the data set path (response(for:) then DimseDataSetCoding)
/// gives, for every kind of requested key, in both little endian syntaxes.
@Suite("C-FIND response identifiers encoded without a DataSet")
struct FindResponseEncodingTests {
    static let explicitLE = TransferSyntax(uid: "1.2.840.10008.1.2.1")
    static let implicitLE = TransferSyntax(uid: "1.2.840.10008.1.2")
    static let explicitBE = TransferSyntax(uid: "1.2.840.10008.1.2.2")

    static func key(_ group: UInt16, _ element: UInt16) throws -> QueryKey {
        try #require(QueryKey.byTag[Tag(group, element)])
    }

    /// A requested identifier: every key empty, as a SCU sends its return keys.
    static func requested(_ tags: [(UInt16, UInt16, VR)]) -> [DataElement] {
        var ds = DataSet()
        for (g, e, vr) in tags { ds[Tag(g, e)] = DataElement(tag: Tag(g, e), vr: vr, value: .bytes([])) }
        return ds.elements
    }

    static let studyKeys: [(UInt16, UInt16, VR)] = [
        (0x0008, 0x0020, .DA), (0x0008, 0x0030, .TM), (0x0008, 0x0050, .SH), (0x0008, 0x0054, .AE),
        (0x0008, 0x0056, .CS), (0x0008, 0x0061, .CS), (0x0008, 0x1030, .LO), (0x0010, 0x0010, .PN),
        (0x0010, 0x0020, .LO), (0x0020, 0x000D, .UI), (0x0020, 0x0010, .SH), (0x0020, 0x1208, .IS),
        (0x0032, 0x1060, .LO),   // not a key of ours: returned empty
    ]

    func match(name: String) throws -> QueryMatch {
        QueryMatch(values: [
            try Self.key(0x0010, 0x0010): name,
            try Self.key(0x0010, 0x0020): "PID-7",                    // odd length: padded with a space
            try Self.key(0x0008, 0x0020): "20240131",
            try Self.key(0x0008, 0x0030): "101500.5",                 // odd length
            try Self.key(0x0020, 0x000D): "1.2.840.99.1.23",          // odd length: padded with NUL
            try Self.key(0x0008, 0x0061): "CT\\MR",
            try Self.key(0x0020, 0x1208): "10",
            try Self.key(0x0008, 0x1030): "",                         // empty: zero-length
            // AccessionNumber and StudyID absent: zero-length
        ])
    }

    func reference(_ builder: ResponseBuilder, _ match: QueryMatch, _ ts: TransferSyntax) throws -> [UInt8] {
        try DimseDataSetCoding.encode(builder.response(for: match), transferSyntax: ts)
    }

    @Test("Default character set and ISO_IR 100: the same bytes as the data set path, explicit and implicit VR")
    func sameBytes() throws {
        for (terms, name) in [([String](), "SMITH^JOHN"), (["ISO_IR 100"], "Müller^Hans"), (["ISO_IR 192"], "山田^太郎")] {
            let builder = ResponseBuilder(requested: Self.requested(Self.studyKeys), level: .study,
                                          characterSet: SpecificCharacterSet(terms: terms), retrieveAETitle: "DICOMNODE")
            let m = try match(name: name)
            for ts in [Self.explicitLE, Self.implicitLE] {
                let fast = try #require(builder.encodedResponse(for: m, transferSyntax: ts))
                #expect(fast == (try reference(builder, m, ts)), "terms \(terms), \(ts.uid)")
                #expect(fast.count % 2 == 0)
            }
            // A match with no values at all: every key zero-length.
            let empty = QueryMatch(values: [:])
            #expect(builder.encodedResponse(for: empty, transferSyntax: Self.explicitLE) == (try reference(builder, empty, Self.explicitLE)))
        }
    }

    @Test("Cases the direct path leaves to the data set path: unencodable value, sequence key, big endian")
    func fallsBack() throws {
        // Latin-1 cannot hold the name: the data set path answers in UTF-8 (PS3.4 §C.4.1.1.3.2).
        let latin1 = ResponseBuilder(requested: Self.requested(Self.studyKeys), level: .study,
                                     characterSet: SpecificCharacterSet(terms: ["ISO_IR 100"]), retrieveAETitle: "DICOMNODE")
        let chinese = try match(name: "王^小明")
        #expect(latin1.encodedResponse(for: chinese, transferSyntax: Self.explicitLE) == nil)
        let utf8 = try DimseDataSetCoding.decode(try reference(latin1, chinese, Self.explicitLE), transferSyntax: Self.explicitLE.uid)
        #expect(utf8.strings(.specificCharacterSet) == ["ISO_IR 192"])

        // A DA value outside the default repertoire cannot be written as the data set path would.
        let plain = ResponseBuilder(requested: Self.requested(Self.studyKeys), level: .study,
                                    characterSet: .default, retrieveAETitle: "DICOMNODE")
        var odd = try match(name: "A^B")
        odd.values[try Self.key(0x0008, 0x0020)] = "2024é"
        #expect(plain.encodedResponse(for: odd, transferSyntax: Self.explicitLE) == nil)

        // A sequence among the requested keys.
        var withSequence = DataSet()
        for e in Self.requested(Self.studyKeys) { withSequence[e.tag] = e }
        withSequence.set(Tag(0x0008, 0x1110), sequence: [])
        let sq = ResponseBuilder(requested: withSequence.elements, level: .study, characterSet: .default, retrieveAETitle: "X")
        #expect(sq.encodedResponse(for: try match(name: "A^B"), transferSyntax: Self.explicitLE) == nil)

        // Explicit VR Big Endian.
        #expect(plain.encodedResponse(for: try match(name: "A^B"), transferSyntax: Self.explicitBE) == nil)
    }
}
