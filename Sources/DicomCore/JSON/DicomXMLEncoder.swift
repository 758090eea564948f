import Foundation

/// Writes data sets as the Native DICOM Model XML (PS3.18 §F.3, PS3.19 §A.1), the form of
/// WADO-RS "application/dicom+xml" metadata.
///
/// Each attribute is a `DicomAttribute` with `tag`, `vr`, `keyword` (standard attributes, from
/// the PS3.6 dictionary) and `privateCreator` (private data elements); values are `Value
/// number="n"` (empty values within a multi-valued attribute are left out, the numbers keep
/// their positions), `PersonName number="n"` with `Alphabetic`/`Ideographic`/`Phonetic` and
/// their non-empty `FamilyName`…`NameSuffix` components, `Item number="n"`, `InlineBinary`
/// or `BulkData uri`. Values are the same as in the JSON model (see `DicomJSONEncoder`).
/// Group Length elements are not included (PS3.19 §A.1.1). Characters that XML 1.0 cannot
/// carry (C0 controls other than TAB, LF, CR) are replaced by U+FFFD.
public struct DicomXMLEncoder: Sendable {
    /// Values of OB/OD/OF/OL/OV/OW/UN longer than this many bytes, and all Pixel Data, are
    /// offered to `bulkDataURI`. nil: everything is inlined.
    public var bulkDataThreshold: Int?
    /// Makes the `BulkData uri` of an element (given its path); nil from it inlines the value.
    public var bulkDataURI: (@Sendable (TagPath, DataElement) -> String?)?
    /// Re-read UN elements whose tag the dictionary knows with the dictionary's VR (PS3.5 §6.2.2).
    public var reinterpretKnownUN: Bool

    public init(bulkDataThreshold: Int? = nil,
                bulkDataURI: (@Sendable (TagPath, DataElement) -> String?)? = nil,
                reinterpretKnownUN: Bool = false) {
        self.bulkDataThreshold = bulkDataThreshold
        self.bulkDataURI = bulkDataURI
        self.reinterpretKnownUN = reinterpretKnownUN
    }

    /// The Person Name components in the order of PS3.5 §6.2.1.1.
    static let nameComponents = ["FamilyName", "GivenName", "MiddleName", "NamePrefix", "NameSuffix"]

    /// The document, UTF-8, with its XML declaration.
    /// - Throws: `DicomJSONError` naming the element (a binary value of the wrong length, bulk
    ///   data that could not be loaded).
    public func encode(_ dataSet: DataSet) throws(DicomJSONError) -> [UInt8] {
        Array(try encodeString(dataSet).utf8)
    }

    public func encodeString(_ dataSet: DataSet) throws(DicomJSONError) -> String {
        let ds = reinterpretKnownUN ? dataSet.reinterpretingUN() : dataSet
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NativeDicomModel xml:space=\"preserve\">\n"
        try write(ds, characterSet: ds.characterSet, sequence: [], into: &out)
        out += "</NativeDicomModel>\n"
        return out
    }

    func write(_ dataSet: DataSet, characterSet: SpecificCharacterSet, sequence: [TagPath.Step],
               into out: inout String) throws(DicomJSONError) {
        let builder = AttributeModelBuilder(bulkDataThreshold: bulkDataThreshold, bulkDataURI: bulkDataURI)
        for element in dataSet.elements where !element.tag.isGroupLength {
            let tag = element.tag
            let path = TagPath(tag, in: sequence)
            let model = try builder.model(of: element, path: path, characterSet: characterSet)
            out += "<DicomAttribute tag=\"\(tag.jsonKey)\" vr=\"\(element.vr.rawValue)\""
            if tag.isPrivate {
                if !tag.isPrivateCreator, let creator = dataSet.privateCreator(of: tag) {
                    out += " privateCreator=\"\(Self.escaped(creator, attribute: true))\""
                }
            } else if let keyword = DataDictionary.keyword(for: tag) {
                out += " keyword=\"\(keyword)\""
            }
            out += ">\n"
            switch model {
            case .empty:
                break
            case .values(let values):
                for (i, v) in values.enumerated() {
                    switch v {
                    case .null: continue
                    case .string(let s), .number(let s):
                        out += "<Value number=\"\(i + 1)\">\(Self.escaped(s, attribute: false))</Value>\n"
                    }
                }
            case .personNames(let names):
                for (i, name) in names.enumerated() {
                    guard let name else { continue }
                    out += "<PersonName number=\"\(i + 1)\">\n"
                    for (groupName, group) in [("Alphabetic", name.alphabetic), ("Ideographic", name.ideographic ?? ""),
                                               ("Phonetic", name.phonetic ?? "")] where !group.isEmpty {
                        out += "<\(groupName)>\n"
                        let components = group.split(separator: "^", omittingEmptySubsequences: false)
                        for (c, component) in components.prefix(5).enumerated() where !component.isEmpty {
                            let n = Self.nameComponents[c]
                            out += "<\(n)>\(Self.escaped(String(component), attribute: false))</\(n)>\n"
                        }
                        out += "</\(groupName)>\n"
                    }
                    out += "</PersonName>\n"
                }
            case .items(let items):
                for (i, item) in items.enumerated() {
                    out += "<Item number=\"\(i + 1)\">\n"
                    try write(item.dataSet, characterSet: item.characterSet,
                              sequence: sequence + [TagPath.Step(tag: tag, item: i)], into: &out)
                    out += "</Item>\n"
                }
            case .inlineBinary(let bytes):
                out += "<InlineBinary>\(Data(bytes).base64EncodedString())</InlineBinary>\n"
            case .bulkDataURI(let uri):
                out += "<BulkData uri=\"\(Self.escaped(uri, attribute: true))\"/>\n"
            }
            out += "</DicomAttribute>\n"
        }
    }

    /// Text with &, <, > (and " in attributes) escaped, CR kept as a character reference, and
    /// characters outside XML 1.0's Char production (§2.2) replaced.
    static func escaped(_ s: String, attribute: Bool) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\r": out += "&#13;"
            case "\t" where attribute: out += "&#9;"
            case "\n" where attribute: out += "&#10;"
            case "\t", "\n": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}
