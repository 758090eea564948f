import Foundation

/// Reads the DICOM JSON Model (PS3.18 §F.2) into data sets.
///
/// - Strings are encoded through the data set's Specific Character Set (0008,0005); items
///   inherit it. When the top-level object has none and some string of a VR that the character
///   set affects is not ASCII, (0008,0005) is set to "ISO_IR 192" (UTF-8, PS3.3 §C.12.1.1.2).
/// - String values are padded to even length (PS3.5 §6.2: space, NUL for UI), so the data set
///   can be written as it is. Binary values ("InlineBinary") are kept exactly as sent: odd
///   lengths stay odd (CP-1920); `WriteOptions.normalized` pads them when writing.
/// - DS/IS accept JSON Numbers or Strings; a DS number longer than 16 characters is written
///   anew in at most 16. US/SS/UL/SL/SV/UV accept integral numbers or their text; FL/FD accept
///   numbers and "NaN", "Infinity", "-Infinity". A null among binary numbers is left out (it
///   has no PS3.5 encoding).
/// - "BulkDataURI" values are not fetched: the element is stored with an empty value and the
///   URI is returned in `Result.bulkDataURIs` under the element's path.
/// - "InlineBinary" OB Pixel Data made of items (FFFE,E000) becomes encapsulated Pixel Data
///   (PS3.5 §A.4).
public struct DicomJSONDecoder: Sendable {
    /// A decoded data set and the BulkDataURIs of the elements whose values it does not hold.
    public struct Result: Sendable, Equatable {
        public var dataSet: DataSet
        /// Element path → "BulkDataURI". Each such element is in `dataSet` with an empty value.
        public var bulkDataURIs: [TagPath: String]

        public init(dataSet: DataSet, bulkDataURIs: [TagPath: String] = [:]) {
            self.dataSet = dataSet
            self.bulkDataURIs = bulkDataURIs
        }
    }

    /// Sequences nested deeper than this are refused.
    public var maxSequenceDepth: Int

    public init(maxSequenceDepth: Int = 64) {
        self.maxSequenceDepth = maxSequenceDepth
    }

    var maxJSONDepth: Int { 4 * maxSequenceDepth + 4 }

    /// Decodes one DICOM JSON object.
    /// - Throws: `DicomJSONError` with the JSON Pointer of the offending member.
    public func decode(_ json: [UInt8]) throws(DicomJSONError) -> Result {
        let root = try JSONParser.parse(json, maxDepth: maxJSONDepth)
        var uris: [TagPath: String] = [:]
        let ds = try dataSet(from: root, pointer: "", sequence: [], inherited: nil, uris: &uris)
        return Result(dataSet: ds, bulkDataURIs: uris)
    }

    public func decode(_ json: String) throws(DicomJSONError) -> Result {
        try decode(Array(json.utf8))
    }

    /// Decodes a JSON array of DICOM JSON objects (a QIDO-RS response body).
    public func decodeArray(_ json: [UInt8]) throws(DicomJSONError) -> [Result] {
        let root = try JSONParser.parse(json, maxDepth: maxJSONDepth + 1)
        guard case .array(let objects) = root else {
            throw .invalidStructure(path: "", reason: "expected an array of DICOM JSON objects, found \(root.typeName)")
        }
        var results: [Result] = []
        for (i, object) in objects.enumerated() {
            var uris: [TagPath: String] = [:]
            let ds = try dataSet(from: object, pointer: "/\(i)", sequence: [], inherited: nil, uris: &uris)
            results.append(Result(dataSet: ds, bulkDataURIs: uris))
        }
        return results
    }

    // MARK: - Data sets

    static func isHexKey(_ key: String) -> Bool {
        key.utf8.count == 8 && key.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    func dataSet(from value: JSONValue, pointer: String, sequence: [TagPath.Step],
                 inherited: SpecificCharacterSet?, uris: inout [TagPath: String]) throws(DicomJSONError) -> DataSet {
        guard case .object(let members) = value else {
            throw .invalidStructure(path: pointer, reason: "expected a DICOM JSON object, found \(value.typeName)")
        }
        guard sequence.count <= maxSequenceDepth else {
            throw .invalidStructure(path: pointer, reason: "sequences nested deeper than \(maxSequenceDepth)")
        }
        // The character set for this object's strings: its own, the enclosing one, or for a
        // top-level object without one, UTF-8 when needed.
        var characterSet = inherited ?? .default
        var addUTF8 = false
        if let own = members.first(where: { $0.key == "00080005" }) {
            characterSet = SpecificCharacterSet(terms: try Self.characterSetTerms(own.value, pointer: pointer + "/00080005"))
        } else if inherited == nil, Self.needsNonASCII(value) {
            characterSet = SpecificCharacterSet(terms: ["ISO_IR 192"])
            addUTF8 = true
        }

        var ds = DataSet()
        for (key, member) in members {
            let memberPointer = pointer + "/" + key
            guard Self.isHexKey(key), let raw = UInt32(key, radix: 16) else {
                throw .invalidStructure(path: memberPointer, reason: "a key must be a tag of 8 hexadecimal digits (PS3.18 §F.2.1)")
            }
            let tag = Tag(rawValue: raw)
            guard !ds.contains(tag) else {
                throw .invalidStructure(path: memberPointer, reason: "the tag appears twice")
            }
            let path = TagPath(tag, in: sequence)
            ds.append(try element(tag, member, pointer: memberPointer, path: path, characterSet: characterSet, uris: &uris))
        }
        if addUTF8 {
            ds[.specificCharacterSet] = DataElement(.specificCharacterSet, .CS, bytes: Array("ISO_IR 192".utf8))
        }
        ds.characterSet = characterSet
        return ds
    }

    static func characterSetTerms(_ element: JSONValue, pointer: String) throws(DicomJSONError) -> [String] {
        guard let value = element["Value"] else { return [] }
        guard case .array(let values) = value else {
            throw .invalidStructure(path: pointer + "/Value", reason: "expected an array, found \(value.typeName)")
        }
        var terms: [String] = []
        for v in values {
            switch v {
            case .null: terms.append("")
            case .string(let s): terms.append(s.trimmingCharacters(in: .whitespaces))
            default: throw .invalidStructure(path: pointer + "/Value", reason: "expected strings, found \(v.typeName)")
            }
        }
        return terms
    }

    /// True when a string value of a VR that the character set affects is not ASCII.
    static func needsNonASCII(_ object: JSONValue) -> Bool {
        guard case .object(let members) = object else { return false }
        for (key, element) in members where key != "00080005" {
            guard case .string(let vrText)? = element["vr"], let vr = VR(rawValue: vrText),
                  case .array(let values)? = element["Value"] else { continue }
            if vr == .SQ {
                if values.contains(where: { needsNonASCII($0) }) { return true }
                continue
            }
            guard vr.usesSpecificCharacterSet else { continue }
            for v in values {
                switch v {
                case .string(let s) where !s.utf8.allSatisfy({ $0 < 0x80 }): return true
                case .object(let groups):
                    for (_, g) in groups {
                        if case .string(let s) = g, !s.utf8.allSatisfy({ $0 < 0x80 }) { return true }
                    }
                default: continue
                }
            }
        }
        return false
    }

    // MARK: - Elements

    func element(_ tag: Tag, _ object: JSONValue, pointer: String, path: TagPath,
                 characterSet: SpecificCharacterSet, uris: inout [TagPath: String]) throws(DicomJSONError) -> DataElement {
        guard case .object = object else {
            throw .invalidStructure(path: pointer, reason: "expected an attribute object, found \(object.typeName)")
        }
        guard let vrValue = object["vr"] else {
            throw .invalidStructure(path: pointer, reason: "missing \"vr\" (PS3.18 §F.2.3)")
        }
        guard case .string(let vrText) = vrValue, let vr = VR(rawValue: vrText) else {
            throw .invalidValue(path: pointer + "/vr", reason: "not a DICOM VR")
        }
        let value = object["Value"], inline = object["InlineBinary"], bulk = object["BulkDataURI"]
        guard [value, inline, bulk].compactMap({ $0 }).count <= 1 else {
            throw .invalidStructure(path: pointer, reason: "more than one of \"Value\", \"InlineBinary\", \"BulkDataURI\" (PS3.18 §F.2.5)")
        }

        if let bulk {
            guard case .string(let uri) = bulk else {
                throw .invalidStructure(path: pointer + "/BulkDataURI", reason: "expected a string, found \(bulk.typeName)")
            }
            uris[path] = uri
            return DataElement(tag: tag, vr: vr, value: .bytes([]))
        }
        if let inline {
            guard case .string(let base64) = inline else {
                throw .invalidStructure(path: pointer + "/InlineBinary", reason: "expected a string, found \(inline.typeName)")
            }
            guard let data = Data(base64Encoded: base64) else {
                throw .invalidValue(path: pointer + "/InlineBinary", reason: "not base64 (RFC 4648)")
            }
            let bytes = [UInt8](data)
            if vr == .SQ {
                throw .invalidStructure(path: pointer + "/InlineBinary", reason: "a sequence has no binary value")
            }
            if tag == .pixelData, vr == .OB, let pixels = Self.encapsulatedPixelData(bytes) {
                return DataElement(tag: tag, vr: vr, value: .encapsulated(pixels), undefinedLength: true)
            }
            return DataElement(tag: tag, vr: vr, value: .bytes(bytes))
        }
        guard let value else {
            return DataElement(tag: tag, vr: vr, value: vr == .SQ ? .sequence([]) : .bytes([]))
        }
        let valuePointer = pointer + "/Value"
        guard case .array(let values) = value else {
            throw .invalidStructure(path: valuePointer, reason: "expected an array, found \(value.typeName)")
        }

        if vr == .SQ {
            var items: [SequenceItem] = []
            for (i, v) in values.enumerated() {
                let itemPointer = valuePointer + "/\(i)"
                if case .null = v {
                    var empty = DataSet()
                    empty.characterSet = characterSet
                    items.append(SequenceItem(empty))
                    continue
                }
                let step = TagPath.Step(tag: tag, item: i)
                items.append(SequenceItem(try dataSet(from: v, pointer: itemPointer, sequence: path.sequence + [step],
                                                      inherited: characterSet, uris: &uris)))
            }
            return DataElement(tag: tag, vr: .SQ, value: .sequence(items))
        }
        if vr.isBulk {
            throw .invalidStructure(path: valuePointer, reason: "\(vr.rawValue) values are InlineBinary or BulkDataURI, not Value")
        }
        if vr.isString {
            var texts: [String] = []
            for (i, v) in values.enumerated() {
                texts.append(try Self.text(of: v, vr: vr, pointer: valuePointer + "/\(i)"))
            }
            var bytes: [UInt8]
            do {
                bytes = try characterSet.encode(texts.joined(separator: "\\"), vr: vr)
            } catch {
                throw .unencodable(path: valuePointer, characterSet: characterSet.terms)
            }
            if bytes.count % 2 == 1 { bytes.append(vr.paddingByte) }
            return DataElement(tag: tag, vr: vr, value: .bytes(bytes))
        }
        var bytes: [UInt8] = []
        // A null has no PS3.5 encoding in a binary number (pydicom's test1.json has one in a US):
        // it is left out.
        for (i, v) in values.enumerated() where v != .null {
            try Self.appendBinary(v, vr: vr, pointer: valuePointer + "/\(i)", to: &bytes)
        }
        return DataElement(tag: tag, vr: vr, value: .bytes(bytes))
    }

    // MARK: - String values

    /// One value of a string VR as the text PS3.5 encodes.
    static func text(of v: JSONValue, vr: VR, pointer: String) throws(DicomJSONError) -> String {
        switch (vr, v) {
        case (_, .null):
            return ""
        case (.PN, .object):
            // PS3.18 §F.2.2: component groups by name.
            var groups: [String: String] = [:]
            if case .object(let members) = v {
                for (key, g) in members {
                    guard ["Alphabetic", "Ideographic", "Phonetic"].contains(key) else {
                        throw .invalidStructure(path: pointer + "/" + key, reason: "not a Person Name component group")
                    }
                    guard case .string(let s) = g else {
                        throw .invalidStructure(path: pointer + "/" + key, reason: "expected a string, found \(g.typeName)")
                    }
                    groups[key] = s
                }
            }
            return PersonNameGroups(alphabetic: groups["Alphabetic"] ?? "", ideographic: groups["Ideographic"],
                                    phonetic: groups["Phonetic"]).dicomValue
        case (.DS, .number(let n)):
            return decimalString(n)
        case (.IS, .number(let n)):
            guard let s = integerString(n), s.utf8.count <= 12 else {
                throw .invalidValue(path: pointer, reason: "\(n) is not an IS integer")
            }
            return s
        case (_, .string(let s)):
            return s
        default:
            throw .invalidStructure(path: pointer, reason: "expected a string for \(vr.rawValue), found \(v.typeName)")
        }
    }

    /// A DS of at most 16 characters (PS3.5 Table 6.2-1) for a JSON number.
    static func decimalString(_ n: String) -> String {
        if n.utf8.count <= 16 { return n }
        guard let d = Double(n) else { return n }
        let shortest = d.description
        if shortest.utf8.count <= 16 { return shortest }
        for precision in stride(from: 15, through: 1, by: -1) {
            let s = String(format: "%.\(precision)g", d)
            if s.utf8.count <= 16 { return s }
        }
        return shortest
    }

    /// The integer a JSON number stands for ("5", "5.0", "1e3"), as decimal text.
    static func integerString(_ n: String) -> String? {
        if let i = Int64(n) { return String(i) }
        guard let d = Double(n), d.isFinite, d.rounded() == d, d.magnitude < 9.0e15 else { return nil }
        return String(Int64(d))
    }

    // MARK: - Binary values

    static func appendBinary(_ v: JSONValue, vr: VR, pointer: String, to bytes: inout [UInt8]) throws(DicomJSONError) {
        let text: String
        switch v {
        case .number(let n): text = n
        case .string(let s): text = s.trimmingCharacters(in: .whitespaces)
        default:
            throw .invalidStructure(path: pointer, reason: "expected a \(vr == .AT ? "string" : "number") for \(vr.rawValue), found \(v.typeName)")
        }
        func bad(_ why: String) -> DicomJSONError { .invalidValue(path: pointer, reason: "\(text): \(why)") }
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        switch vr {
        case .AT:
            guard isHexKey(text), let raw = UInt32(text, radix: 16) else { throw bad("an AT value is 8 hexadecimal digits") }
            let tag = Tag(rawValue: raw)
            append(tag.group)
            append(tag.element)
        case .FL:
            guard let f = floatValue(text, as: Float.self) else { throw bad("not a number") }
            append(f.bitPattern)
        case .FD:
            guard let d = floatValue(text, as: Double.self) else { throw bad("not a number") }
            append(d.bitPattern)
        case .UV:
            if let u = UInt64(text) { append(u); return }
            guard let s = integerString(text), let u = UInt64(s) else { throw bad("not an unsigned 64-bit integer") }
            append(u)
        case .SV:
            guard let s = integerString(text), let i = Int64(s) else { throw bad("not a signed 64-bit integer") }
            append(i)
        case .US, .SS, .UL, .SL:
            guard let s = integerString(text), let i = Int64(s) else { throw bad("not an integer") }
            switch vr {
            case .US: guard let x = UInt16(exactly: i) else { throw bad("outside the range of US") }; append(x)
            case .SS: guard let x = Int16(exactly: i) else { throw bad("outside the range of SS") }; append(x)
            case .UL: guard let x = UInt32(exactly: i) else { throw bad("outside the range of UL") }; append(x)
            default: guard let x = Int32(exactly: i) else { throw bad("outside the range of SL") }; append(x)
            }
        default:
            throw .invalidStructure(path: pointer, reason: "no JSON value form for \(vr.rawValue)")
        }
    }

    static func floatValue<F: BinaryFloatingPoint & LosslessStringConvertible>(_ text: String, as: F.Type) -> F? {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard AttributeModelBuilder.isJSONNumber(text.utf8), let v = F(text) else { return nil }
            return v
        }
    }

    // MARK: - Encapsulated Pixel Data

    /// Items (FFFE,E000) that fill the bytes exactly, optionally ended by a Sequence Delimitation
    /// Item (FFFE,E0DD): the first item is the Basic Offset Table (PS3.5 §A.4). nil when the bytes
    /// are not of that form.
    static func encapsulatedPixelData(_ bytes: [UInt8]) -> EncapsulatedPixelData? {
        func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
        func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) | UInt32(u16(i + 2)) << 16 }
        var i = 0
        var items: [[UInt8]] = []
        guard bytes.count >= 8 else { return nil }
        while i + 8 <= bytes.count {
            guard u16(i) == 0xFFFE else { return nil }
            let element = u16(i + 2), length = Int(u32(i + 4))
            i += 8
            if element == 0xE0DD {
                guard length == 0, i == bytes.count, !items.isEmpty else { return nil }
                return EncapsulatedPixelData(basicOffsetTable: items[0], fragments: items.dropFirst().map { .bytes($0) })
            }
            guard element == 0xE000, length <= bytes.count - i else { return nil }
            items.append(Array(bytes[i..<i + length]))
            i += length
        }
        guard i == bytes.count, !items.isEmpty else { return nil }
        return EncapsulatedPixelData(basicOffsetTable: items[0], fragments: items.dropFirst().map { .bytes($0) })
    }
}
