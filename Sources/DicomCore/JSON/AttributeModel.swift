import Foundation

/// One value of an attribute as the DICOM JSON and XML models carry it (PS3.18 §F.2.4, §F.3).
enum ModelScalar: Equatable, Sendable {
    /// An empty value within a multi-valued attribute ("A\\\\B" has an empty second value).
    case null
    case string(String)
    /// Text that is a valid JSON number (RFC 8259 §6), written without quotes.
    case number(String)
}

/// The component groups of one Person Name value (PS3.5 §6.2.1, PS3.18 §F.2.2).
struct PersonNameGroups: Equatable, Sendable {
    var alphabetic: String
    var ideographic: String?
    var phonetic: String?

    /// Splits "Yamada^Tarou=山田^太郎=やまだ^たろう" on "="; empty trailing groups are dropped.
    init(_ value: String) {
        var groups = value.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
        while groups.count > 1, groups.last?.isEmpty == true { groups.removeLast() }
        alphabetic = groups.first ?? ""
        ideographic = groups.count > 1 ? groups[1] : nil
        phonetic = groups.count > 2 ? groups[2] : nil
    }

    init(alphabetic: String, ideographic: String?, phonetic: String?) {
        self.alphabetic = alphabetic
        self.ideographic = ideographic
        self.phonetic = phonetic
    }

    /// "Alphabetic=Ideographic=Phonetic" with empty trailing groups left out.
    var dicomValue: String {
        var groups = [alphabetic, ideographic ?? "", phonetic ?? ""]
        while groups.count > 1, groups.last?.isEmpty == true { groups.removeLast() }
        return groups.joined(separator: "=")
    }
}

/// What an attribute carries in the JSON and XML models, apart from its tag and VR.
enum AttributeModel: Sendable {
    /// No value: the attribute has neither "Value" nor "InlineBinary" nor "BulkDataURI".
    case empty
    case values([ModelScalar])
    /// nil: an empty value within a multi-valued Person Name.
    case personNames([PersonNameGroups?])
    /// Items, each with the Specific Character Set in force inside it.
    case items([(dataSet: DataSet, characterSet: SpecificCharacterSet)])
    case inlineBinary([UInt8])
    case bulkDataURI(String)
}

/// Turns data elements into `AttributeModel`s; shared by the JSON and XML encoders.
struct AttributeModelBuilder: Sendable {
    var bulkDataThreshold: Int?
    var bulkDataURI: (@Sendable (TagPath, DataElement) -> String?)?

    /// Pixel Data, Float Pixel Data and Double Float Pixel Data (PS3.6): always offered as bulk data.
    static func isPixelData(_ tag: Tag) -> Bool {
        tag.group == 0x7FE0 && (tag.element == 0x0010 || tag.element == 0x0008 || tag.element == 0x0009)
    }

    func model(of element: DataElement, path: TagPath,
               characterSet: SpecificCharacterSet) throws(DicomJSONError) -> AttributeModel {
        let vr = element.vr
        switch element.value {
        case .sequence(let items):
            if vr == .SQ {
                if items.isEmpty { return .empty }
                return .items(items.map { item in
                    let cs = item.dataSet.contains(.specificCharacterSet) ? item.dataSet.characterSet : characterSet
                    return (item.dataSet, cs)
                })
            }
            // A UN (or other non-SQ) element read as an Implicit VR LE sequence (PS3.5 §6.2.2):
            // its value field is the encoded items.
            let bytes = try Self.encodedValueField(of: element, path: path)
            return bulkOrInline(element, path: path, length: UInt64(bytes.count)) ?? .inlineBinary(bytes)
        case .encapsulated(let pixels):
            var length: UInt64 = 8 + UInt64(pixels.basicOffsetTable.count)
            for f in pixels.fragments { length += 8 + f.length }
            if let uri = bulkOrInline(element, path: path, length: length) { return uri }
            return .inlineBinary(try Self.encodedValueField(of: element, path: path))
        case .bulkData(let ref):
            if vr.isBulk, let uri = bulkOrInline(element, path: path, length: ref.length) { return uri }
            let bytes: [UInt8]
            do { bytes = try ref.load() } catch { throw .bulkData(path: path.jsonPointer, error) }
            return try model(of: DataElement(tag: element.tag, vr: vr, value: .bytes(bytes)),
                             path: path, characterSet: characterSet)
        case .bytes(let bytes):
            if bytes.isEmpty {
                // Pixel Data is always offered, so that an element decoded from a BulkDataURI
                // (kept with an empty value) can be given its URI again.
                if Self.isPixelData(element.tag), let uri = bulkOrInline(element, path: path, length: 0) { return uri }
                return .empty
            }
            if vr.isBulk || vr == .SQ {
                if let uri = bulkOrInline(element, path: path, length: UInt64(bytes.count)) { return uri }
                return .inlineBinary(bytes)
            }
            if vr.isString { return try stringModel(bytes, vr: vr, characterSet: characterSet) }
            return try binaryModel(bytes, vr: vr, path: path)
        }
    }

    /// A BulkDataURI when the caller wants one for this element, else nil (inline it).
    func bulkOrInline(_ element: DataElement, path: TagPath, length: UInt64) -> AttributeModel? {
        guard let threshold = bulkDataThreshold, let make = bulkDataURI else { return nil }
        guard Self.isPixelData(element.tag) || length > UInt64(max(threshold, 0)) else { return nil }
        return make(path, element).map(AttributeModel.bulkDataURI)
    }

    /// The items of the value field as PS3.5 encodes them: for encapsulated Pixel Data the Basic
    /// Offset Table item and the fragment items (PS3.5 §A.4); for a UN sequence its items in
    /// Implicit VR Little Endian. The Sequence Delimitation Item that follows an undefined-length
    /// value is left out, as pydicom 3 does.
    static func encodedValueField(of element: DataElement, path: TagPath) throws(DicomJSONError) -> [UInt8] {
        var out: [UInt8] = []
        let writer = DataSetWriter(encoding: .implicitLittle)
        var e = element
        if case .sequence = e.value { e.undefinedLength = true }
        do {
            try writer.write(e, into: &out, encoding: .implicitLittle)
        } catch {
            if case .bulkData(let r) = error { throw .bulkData(path: path.jsonPointer, r) }
            throw .invalidValue(path: path.jsonPointer, reason: "\(error)")
        }
        // Implicit VR header: tag (4) and length (4); the delimiter (FFFE,E0DD) and its length (4).
        if e.undefinedLength || { if case .encapsulated = e.value { return true }; return false }() {
            return Array(out.dropFirst(8).dropLast(8))
        }
        return Array(out.dropFirst(8))
    }

    // MARK: - Strings

    /// The values of a string element, decoded through the character set in force and trimmed.
    static func stringValues(_ bytes: [UInt8], vr: VR, characterSet: SpecificCharacterSet) -> [Substring]? {
        let text = characterSet.decode(bytes, vr: vr)
        let parts = vr.allowsMultipleValues
            ? text.split(separator: "\\", omittingEmptySubsequences: false)
            : [Substring(text)]
        let values = parts.map { vr.trimmingPadding($0) }
        if values.count == 1 && values[0].isEmpty { return nil }
        return values
    }

    func stringModel(_ bytes: [UInt8], vr: VR, characterSet: SpecificCharacterSet) throws(DicomJSONError) -> AttributeModel {
        guard let values = Self.stringValues(bytes, vr: vr, characterSet: characterSet) else { return .empty }
        switch vr {
        case .PN:
            return .personNames(values.map { $0.isEmpty ? nil : PersonNameGroups(String($0)) })
        case .DS, .IS:
            // PS3.18 Table F.2.3-1 note: DS and IS may be JSON Strings "to preserve the original
            // format". A value whose text is already a JSON number is written as that number,
            // digit for digit; any other text ("+5", ".5", "1.", "007", garbage) as a string.
            return .values(values.map { v in
                if v.isEmpty { return .null }
                return Self.isJSONNumber(v.utf8) ? .number(String(v)) : .string(String(v))
            })
        default:
            return .values(values.map { $0.isEmpty ? .null : .string(String($0)) })
        }
    }

    /// number = [ minus ] int [ frac ] [ exp ] (RFC 8259 §6).
    static func isJSONNumber<C: Collection>(_ text: C) -> Bool where C.Element == UInt8 {
        var p = JSONParser(Array(text))
        guard !p.bytes.isEmpty, p.bytes[0] == UInt8(ascii: "-") || p.isDigit(p.bytes[0]) else { return false }
        guard (try? p.number()) != nil else { return false }
        return p.index == p.bytes.count
    }

    // MARK: - Binary numbers

    /// 2^53: larger SV/UV magnitudes are JSON Strings, as JavaScript numbers cannot hold them (PS3.18 Table F.2.3-1).
    static let largestExactDouble: UInt64 = 1 << 53

    func binaryModel(_ bytes: [UInt8], vr: VR, path: TagPath) throws(DicomJSONError) -> AttributeModel {
        let size = vr == .AT ? 4 : vr.byteSwapUnit
        guard size > 0, bytes.count % size == 0 else {
            throw .invalidValueLength(path: path.jsonPointer, vr: vr, length: bytes.count)
        }
        var values: [ModelScalar] = []
        values.reserveCapacity(bytes.count / size)
        bytes.withUnsafeBytes { raw in
            for offset in stride(from: 0, to: bytes.count, by: size) {
                switch vr {
                case .US: values.append(.number(String(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian)))
                case .SS: values.append(.number(String(raw.loadUnaligned(fromByteOffset: offset, as: Int16.self).littleEndian)))
                case .UL: values.append(.number(String(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)))
                case .SL: values.append(.number(String(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self).littleEndian)))
                case .UV:
                    let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian
                    values.append(v <= Self.largestExactDouble ? .number(String(v)) : .string(String(v)))
                case .SV:
                    let v = raw.loadUnaligned(fromByteOffset: offset, as: Int64.self).littleEndian
                    values.append(v.magnitude <= Self.largestExactDouble ? .number(String(v)) : .string(String(v)))
                case .FL:
                    let bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
                    values.append(Self.floatScalar(Float(bitPattern: bits)))
                case .FD:
                    let bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian
                    values.append(Self.floatScalar(Double(bitPattern: bits)))
                case .AT:
                    let g = raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian
                    let e = raw.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self).littleEndian
                    values.append(.string(Tag(g, e).jsonKey))
                default:
                    break
                }
            }
        }
        return values.isEmpty ? .empty : .values(values)
    }

    /// The shortest text that reads back as the same value (Swift's `description`), which is
    /// always a JSON number for finite values. JSON has no NaN or infinities: those become the
    /// strings "NaN", "Infinity" and "-Infinity" (as JavaScript's names for them).
    static func floatScalar<F: BinaryFloatingPoint & CustomStringConvertible>(_ v: F) -> ModelScalar {
        if v.isNaN { return .string("NaN") }
        if v.isInfinite { return .string(v < 0 ? "-Infinity" : "Infinity") }
        return .number(v.description)
    }
}
