import Foundation

/// Writes data sets in the DICOM JSON Model (PS3.18 §F.2).
///
/// Members are written in tag order, "vr" first, with no insignificant white space, so the
/// same data set always gives the same bytes. Per PS3.18 Table F.2.3-1:
/// - strings are decoded through the Specific Character Set in force (items inherit it) with
///   their padding removed; an empty value within a multi-valued attribute is `null`;
/// - DS and IS values whose text is a valid JSON number are written as that number, digit for
///   digit; any other text ("+5", ".5", "007") is written as a JSON String, which the table's
///   note allows "to preserve the original format";
/// - SV and UV values beyond ±2^53 are JSON Strings; FL/FD NaN and infinities are the strings
///   "NaN", "Infinity", "-Infinity" (JSON has no such numbers);
/// - AT values are "GGGGEEEE" strings; PN values are objects of component groups (§F.2.2);
/// - OB, OD, OF, OL, OV, OW and UN values are "InlineBinary" base64, or a "BulkDataURI".
///   Encapsulated Pixel Data inline is its items as encoded: the Basic Offset Table item and
///   the fragment items (PS3.5 §A.4), without the Sequence Delimitation Item (as pydicom 3).
/// - Group Length (gggg,0000) elements are left out unless asked for: they describe a binary
///   encoding the model does not have (PS3.19 §A.1.1 excludes them from the XML model).
public struct DicomJSONEncoder: Sendable {
    /// Values of OB/OD/OF/OL/OV/OW/UN longer than this many bytes, and all Pixel Data, are
    /// offered to `bulkDataURI`. nil: everything is inlined.
    public var bulkDataThreshold: Int?
    /// Makes the "BulkDataURI" of an element (given its path); nil from it inlines the value.
    public var bulkDataURI: (@Sendable (TagPath, DataElement) -> String?)?
    /// Re-read UN elements whose tag the dictionary knows with the dictionary's VR (PS3.5 §6.2.2).
    public var reinterpretKnownUN: Bool
    /// Write Group Length (gggg,0000) elements too.
    public var includeGroupLengths: Bool

    public init(bulkDataThreshold: Int? = nil,
                bulkDataURI: (@Sendable (TagPath, DataElement) -> String?)? = nil,
                reinterpretKnownUN: Bool = false,
                includeGroupLengths: Bool = false) {
        self.bulkDataThreshold = bulkDataThreshold
        self.bulkDataURI = bulkDataURI
        self.reinterpretKnownUN = reinterpretKnownUN
        self.includeGroupLengths = includeGroupLengths
    }

    /// Every value inline as "Value" or "InlineBinary", whatever its size; no BulkDataURI.
    public static var inlineEverything: DicomJSONEncoder { DicomJSONEncoder() }

    var builder: AttributeModelBuilder {
        AttributeModelBuilder(bulkDataThreshold: bulkDataThreshold, bulkDataURI: bulkDataURI)
    }

    /// The data set as one DICOM JSON object, UTF-8.
    /// - Throws: `DicomJSONError` naming the element (a binary value of the wrong length, bulk
    ///   data that could not be loaded).
    public func encode(_ dataSet: DataSet) throws(DicomJSONError) -> [UInt8] {
        var w = JSONWriter()
        try write(prepared(dataSet), characterSet: dataSet.characterSet, sequence: [], into: &w)
        return w.out
    }

    /// Several data sets as a JSON array of DICOM JSON objects (the body of a QIDO-RS response).
    public func encode(_ dataSets: [DataSet]) throws(DicomJSONError) -> [UInt8] {
        var w = JSONWriter()
        w.raw("[")
        for (i, ds) in dataSets.enumerated() {
            if i > 0 { w.raw(",") }
            try write(prepared(ds), characterSet: ds.characterSet, sequence: [], into: &w)
        }
        w.raw("]")
        return w.out
    }

    public func encodeString(_ dataSet: DataSet) throws(DicomJSONError) -> String {
        String(decoding: try encode(dataSet), as: UTF8.self)
    }

    func prepared(_ dataSet: DataSet) -> DataSet {
        reinterpretKnownUN ? dataSet.reinterpretingUN() : dataSet
    }

    func write(_ dataSet: DataSet, characterSet: SpecificCharacterSet, sequence: [TagPath.Step],
               into w: inout JSONWriter) throws(DicomJSONError) {
        let builder = self.builder
        w.raw("{")
        var first = true
        for element in dataSet.elements {
            if element.tag.isGroupLength && !includeGroupLengths { continue }
            let path = TagPath(element.tag, in: sequence)
            let model = try builder.model(of: element, path: path, characterSet: characterSet)
            if !first { w.raw(",") }
            first = false
            w.string(element.tag.jsonKey)
            w.raw(":{\"vr\":")
            w.string(element.vr.rawValue)
            switch model {
            case .empty:
                break
            case .values(let values):
                w.raw(",\"Value\":[")
                for (i, v) in values.enumerated() {
                    if i > 0 { w.raw(",") }
                    switch v {
                    case .null: w.raw("null")
                    case .string(let s): w.string(s)
                    case .number(let n): w.raw(n)
                    }
                }
                w.raw("]")
            case .personNames(let names):
                w.raw(",\"Value\":[")
                for (i, name) in names.enumerated() {
                    if i > 0 { w.raw(",") }
                    guard let name else { w.raw("null"); continue }
                    w.raw("{\"Alphabetic\":")
                    w.string(name.alphabetic)
                    if let s = name.ideographic { w.raw(",\"Ideographic\":"); w.string(s) }
                    if let s = name.phonetic { w.raw(",\"Phonetic\":"); w.string(s) }
                    w.raw("}")
                }
                w.raw("]")
            case .items(let items):
                w.raw(",\"Value\":[")
                for (i, item) in items.enumerated() {
                    if i > 0 { w.raw(",") }
                    try write(item.dataSet, characterSet: item.characterSet,
                              sequence: sequence + [TagPath.Step(tag: element.tag, item: i)], into: &w)
                }
                w.raw("]")
            case .inlineBinary(let bytes):
                w.raw(",\"InlineBinary\":\"")
                w.raw(Data(bytes).base64EncodedString())
                w.raw("\"")
            case .bulkDataURI(let uri):
                w.raw(",\"BulkDataURI\":")
                w.string(uri)
            }
            w.raw("}")
        }
        w.raw("}")
    }
}
