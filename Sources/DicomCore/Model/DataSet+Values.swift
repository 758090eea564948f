import Foundation

// Typed reading of element values, PS3.5 §6.2 (value representations) and §6.4 (value multiplicity).
//
// Strings are decoded through the data set's Specific Character Set for the VRs it governs
// (PS3.5 §6.1.2.3) and as the default repertoire otherwise, split on "\" for VRs that may hold
// several values, and stripped of padding. Binary values are little endian in memory.
// A UN element is read as the VR the dictionary gives its tag. Accessors return nil (or an empty
// array for `strings`) when the element is absent, has no value in memory (sequence, bulk data
// reference), has a VR of another kind, or holds a malformed value.
extension DataSet {
    // MARK: - Strings

    /// The first value of a string element, without padding; nil when absent or empty.
    public func string(_ tag: Tag) -> String? {
        strings(tag).first
    }

    /// All values of a string element, without padding; split on "\" except for LT, ST, UT and UR,
    /// which hold one value (PS3.5 §6.4). Empty when absent, empty or not a string VR.
    public func strings(_ tag: Tag) -> [String] {
        guard let (vr, bytes) = valueBytes(tag), vr.isString else { return [] }
        return decodeStrings(bytes, vr: vr)
    }

    /// Decodes a string value field into its values.
    func decodeStrings(_ bytes: [UInt8], vr: VR) -> [String] {
        guard !bytes.isEmpty else { return [] }
        let text = vr.usesSpecificCharacterSet
            ? characterSet.decode(bytes, vr: vr)
            : String(decoding: bytes, as: UTF8.self)
        let field = vr.trimmingPadding(Substring(text))
        guard !field.isEmpty else { return [] }
        guard vr.allowsMultipleValues else { return [String(field)] }
        return field.split(separator: "\\", omittingEmptySubsequences: false).map {
            String(vr.trimmingPadding($0))
        }
    }

    // MARK: - Numbers

    /// The first value of an IS, US, SS, UL, SL, SV or UV element.
    public func int(_ tag: Tag) -> Int? { ints(tag)?.first }

    /// All values of an IS (PS3.5 Table 6.2-1) or binary integer element; nil when absent, of another
    /// VR, or when any value is malformed ("12a") or does not fit an Int.
    public func ints(_ tag: Tag) -> [Int]? {
        guard let (vr, bytes) = valueBytes(tag) else { return nil }
        switch vr {
        case .IS: return DataSet.allOrNil(decodeStrings(bytes, vr: .IS).map { IntegerString.parse($0) })
        case .US: return DataSet.littleEndian(bytes, as: UInt16.self)?.map { Int($0) }
        case .SS: return DataSet.littleEndian(bytes, as: Int16.self)?.map { Int($0) }
        case .UL: return DataSet.littleEndian(bytes, as: UInt32.self)?.map { Int($0) }
        case .SL: return DataSet.littleEndian(bytes, as: Int32.self)?.map { Int($0) }
        case .SV: return DataSet.littleEndian(bytes, as: Int64.self)?.map { Int($0) }
        case .UV:
            guard let values = DataSet.littleEndian(bytes, as: UInt64.self) else { return nil }
            return DataSet.allOrNil(values.map { Int(exactly: $0) })
        default: return nil
        }
    }

    /// The first value of a DS, FL, FD, OF or OD element.
    public func double(_ tag: Tag) -> Double? { doubles(tag)?.first }

    /// All values of a DS (PS3.5 Table 6.2-1) or binary floating point element; nil when absent, of
    /// another VR, or when any DS value is malformed.
    public func doubles(_ tag: Tag) -> [Double]? {
        guard let (vr, bytes) = valueBytes(tag) else { return nil }
        switch vr {
        case .DS: return DataSet.allOrNil(decodeStrings(bytes, vr: .DS).map { DecimalString.parse($0) })
        case .FL, .OF: return float32s(vr: vr, bytes)?.map { Double($0) }
        case .FD, .OD: return float64s(vr: vr, bytes)
        default: return nil
        }
    }

    // MARK: - Binary values

    /// The value as 16-bit unsigned integers (US, OW, or any binary VR); nil if its length is not a multiple of 2.
    public func uint16s(_ tag: Tag) -> [UInt16]? { binary(tag, as: UInt16.self) }
    /// The value as 16-bit signed integers (SS).
    public func int16s(_ tag: Tag) -> [Int16]? { binary(tag, as: Int16.self) }
    /// The value as 32-bit unsigned integers (UL, OL).
    public func uint32s(_ tag: Tag) -> [UInt32]? { binary(tag, as: UInt32.self) }
    /// The value as 32-bit signed integers (SL).
    public func int32s(_ tag: Tag) -> [Int32]? { binary(tag, as: Int32.self) }
    /// The value as 64-bit unsigned integers (UV, OV).
    public func uint64s(_ tag: Tag) -> [UInt64]? { binary(tag, as: UInt64.self) }
    /// The value as 64-bit signed integers (SV).
    public func int64s(_ tag: Tag) -> [Int64]? { binary(tag, as: Int64.self) }
    /// The value as 32-bit IEEE floats (FL, OF).
    public func float32s(_ tag: Tag) -> [Float]? {
        guard let (vr, bytes) = valueBytes(tag) else { return nil }
        return float32s(vr: vr, bytes)
    }
    /// The value as 64-bit IEEE floats (FD, OD).
    public func float64s(_ tag: Tag) -> [Double]? {
        guard let (vr, bytes) = valueBytes(tag) else { return nil }
        return float64s(vr: vr, bytes)
    }

    /// Attribute Tag (AT) values: pairs of 16-bit group and element numbers (PS3.5 Table 6.2-1).
    public func tags(_ tag: Tag) -> [Tag]? {
        guard let (vr, bytes) = valueBytes(tag), vr == .AT,
              let numbers = DataSet.littleEndian(bytes, as: UInt16.self), numbers.count % 2 == 0 else { return nil }
        return stride(from: 0, to: numbers.count, by: 2).map { Tag(numbers[$0], numbers[$0 + 1]) }
    }

    func binary<T: FixedWidthInteger>(_ tag: Tag, as type: T.Type) -> [T]? {
        guard let (vr, bytes) = valueBytes(tag), !vr.isString else { return nil }
        return DataSet.littleEndian(bytes, as: type)
    }

    func float32s(vr: VR, _ bytes: [UInt8]) -> [Float]? {
        guard !vr.isString else { return nil }
        return DataSet.littleEndian(bytes, as: UInt32.self)?.map { Float(bitPattern: $0) }
    }

    func float64s(vr: VR, _ bytes: [UInt8]) -> [Double]? {
        guard !vr.isString else { return nil }
        return DataSet.littleEndian(bytes, as: UInt64.self)?.map { Double(bitPattern: $0) }
    }

    /// Little endian fixed-size values; nil unless the length is a multiple of the size.
    static func littleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], as type: T.Type) -> [T]? {
        let size = MemoryLayout<T>.size
        guard bytes.count % size == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: size).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: T.self)) }
        }
    }

    static func allOrNil<T>(_ values: [T?]) -> [T]? {
        var out: [T] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard let v else { return nil }
            out.append(v)
        }
        return out
    }

    // MARK: - Structured strings

    /// The first Person Name (PN) value, PS3.5 §6.2.1.
    public func personName(_ tag: Tag) -> PersonName? { personNames(tag)?.first }

    /// All Person Name values; nil when absent, not PN, or any value is malformed.
    public func personNames(_ tag: Tag) -> [PersonName]? {
        guard let (vr, bytes) = valueBytes(tag), vr == .PN else { return nil }
        return DataSet.allOrNil(decodeStrings(bytes, vr: .PN).map { PersonName(parsing: $0) })
    }

    /// The first value of a DA element, PS3.5 Table 6.2-1.
    public func date(_ tag: Tag) -> DicomDate? { string(tag).flatMap { DicomDate(parsing: $0) } }
    /// The first value of a TM element.
    public func time(_ tag: Tag) -> DicomTime? { string(tag).flatMap { DicomTime(parsing: $0) } }
    /// The first value of a DT element.
    public func dateTime(_ tag: Tag) -> DicomDateTime? { string(tag).flatMap { DicomDateTime(parsing: $0) } }
    /// The first value of an AS element.
    public func age(_ tag: Tag) -> AgeString? { string(tag).flatMap { AgeString(parsing: $0) } }

    /// The items of a sequence element (SQ, or a UN that was read as a sequence); nil when absent
    /// or not a sequence.
    public func sequence(_ tag: Tag) -> [DataSet]? {
        self[tag]?.items?.map(\.dataSet)
    }

    // MARK: - VRs

    /// The VR to interpret an element's bytes with, and the bytes; nil when the value is not in memory.
    /// A UN element is interpreted as its dictionary VR (PS3.5 §6.2.2).
    func valueBytes(_ tag: Tag) -> (VR, [UInt8])? {
        guard let e = self[tag], case .bytes(let bytes) = e.value else { return nil }
        if e.vr == .UN, let vr = dictionaryVR(for: tag), vr != .SQ { return (vr, bytes) }
        return (e.vr, bytes)
    }

    /// The VR the dictionary gives `tag` here: private tags through their creator's block, the
    /// ambiguous VRs resolved as the Implicit VR reader resolves them.
    public func dictionaryVR(for tag: Tag) -> VR? {
        let entry = tag.isPrivate && !tag.isPrivateCreator
            ? DataDictionary.entry(for: tag, privateCreator: privateCreator(of: tag))
            : DataDictionary.entry(for: tag)
        guard let entry, !entry.vrs.isEmpty else { return nil }
        return DataSetReader.resolveImplicitVR(entry, tag: tag, in: self)
    }
}

// Typed writing of element values. Each setter replaces the element; the VR is the one given, or
// the dictionary's (private tags through their creator's block). Strings are encoded through the
// data set's Specific Character Set for the VRs it governs and padded to even length with the
// VR's padding byte (PS3.5 §6.2: space, NUL for UI).
extension DataSet {
    // MARK: - Strings

    /// Stores `string` as the whole value field; a "\" in it separates values of a multi-valued VR.
    /// - Throws: `ValueError` when the VR is unknown or not a string VR, or the text cannot be encoded.
    public mutating func set(_ tag: Tag, string: String, vr: VR? = nil) throws(ValueError) {
        let vr = try resolveVR(tag, vr)
        guard vr.isString else { throw .vrMismatch(tag, vr) }
        self[tag] = DataElement(tag: tag, vr: vr, value: .bytes(try encodeString(string, tag: tag, vr: vr)))
    }

    /// Stores the values joined with "\" (PS3.5 §6.4).
    /// - Throws: `ValueError.invalidValue` for several values in LT, ST, UT or UR, or a value containing "\".
    public mutating func set(_ tag: Tag, strings: [String], vr: VR? = nil) throws(ValueError) {
        let vr = try resolveVR(tag, vr)
        guard vr.isString else { throw .vrMismatch(tag, vr) }
        if vr.allowsMultipleValues {
            if let bad = strings.first(where: { $0.contains("\\") }) { throw .invalidValue(tag, vr, bad) }
        } else if strings.count > 1 {
            throw .invalidValue(tag, vr, "\(strings.count) values")
        }
        self[tag] = DataElement(tag: tag, vr: vr,
                                value: .bytes(try encodeString(strings.joined(separator: "\\"), tag: tag, vr: vr)))
    }

    /// Encodes and pads a string value field.
    func encodeString(_ text: String, tag: Tag, vr: VR) throws(ValueError) -> [UInt8] {
        var bytes: [UInt8]
        if vr.usesSpecificCharacterSet {
            do {
                bytes = try characterSet.encode(text, vr: vr)
            } catch {
                throw .unencodable(tag, error)
            }
        } else {
            // The default repertoire (PS3.5 §6.1.2.1) is all these VRs may hold.
            guard text.unicodeScalars.allSatisfy({ $0.isASCII }) else { throw .invalidValue(tag, vr, text) }
            bytes = Array(text.utf8)
        }
        if bytes.count % 2 == 1 { bytes.append(vr.paddingByte) }
        return bytes
    }

    // MARK: - Numbers

    /// Stores integers as IS text, binary US/SS/UL/SL/SV/UV, DS text, or FL/FD.
    /// - Throws: `ValueError.invalidValue` for a value outside the VR's range (IS: 32-bit signed, PS3.5 Table 6.2-1).
    public mutating func set(_ tag: Tag, ints: [Int], vr: VR? = nil) throws(ValueError) {
        let vr = try resolveVR(tag, vr)
        func check(_ range: ClosedRange<Int>) throws(ValueError) {
            if let bad = ints.first(where: { !range.contains($0) }) { throw .invalidValue(tag, vr, String(bad)) }
        }
        var bytes: [UInt8] = []
        switch vr {
        case .IS:
            try check(Int(Int32.min)...Int(Int32.max))
            bytes = try encodeString(ints.map(IntegerString.format).joined(separator: "\\"), tag: tag, vr: .IS)
        case .DS, .FL, .FD, .OF, .OD:
            try set(tag, doubles: ints.map { Double($0) }, vr: vr)
            return
        case .US:
            try check(0...Int(UInt16.max))
            bytes = DataSet.littleEndianBytes(ints.map { UInt16($0) })
        case .SS:
            try check(Int(Int16.min)...Int(Int16.max))
            bytes = DataSet.littleEndianBytes(ints.map { Int16($0) })
        case .UL:
            try check(0...Int(UInt32.max))
            bytes = DataSet.littleEndianBytes(ints.map { UInt32($0) })
        case .SL:
            try check(Int(Int32.min)...Int(Int32.max))
            bytes = DataSet.littleEndianBytes(ints.map { Int32($0) })
        case .SV:
            bytes = DataSet.littleEndianBytes(ints.map { Int64($0) })
        case .UV:
            try check(0...Int.max)
            bytes = DataSet.littleEndianBytes(ints.map { UInt64($0) })
        default:
            throw .vrMismatch(tag, vr)
        }
        self[tag] = DataElement(tag: tag, vr: vr, value: .bytes(bytes))
    }

    /// Stores one integer; see `set(_:ints:vr:)`.
    public mutating func set(_ tag: Tag, int: Int, vr: VR? = nil) throws(ValueError) {
        try set(tag, ints: [int], vr: vr)
    }

    /// Stores numbers as DS text (each at most 16 characters, PS3.5 Table 6.2-1) or binary FL/FD/OF/OD.
    /// - Throws: `ValueError.invalidValue` for NaN or infinity in DS.
    public mutating func set(_ tag: Tag, doubles: [Double], vr: VR? = nil) throws(ValueError) {
        let vr = try resolveVR(tag, vr)
        let bytes: [UInt8]
        switch vr {
        case .DS:
            var texts: [String] = []
            for d in doubles {
                guard let t = DecimalString.format(d) else { throw .invalidValue(tag, vr, String(d)) }
                texts.append(t)
            }
            bytes = try encodeString(texts.joined(separator: "\\"), tag: tag, vr: .DS)
        case .FL, .OF: bytes = DataSet.littleEndianBytes(doubles.map { Float($0).bitPattern })
        case .FD, .OD: bytes = DataSet.littleEndianBytes(doubles.map(\.bitPattern))
        default: throw .vrMismatch(tag, vr)
        }
        self[tag] = DataElement(tag: tag, vr: vr, value: .bytes(bytes))
    }

    /// Stores one number; see `set(_:doubles:vr:)`.
    public mutating func set(_ tag: Tag, double: Double, vr: VR? = nil) throws(ValueError) {
        try set(tag, doubles: [double], vr: vr)
    }

    // MARK: - Binary values

    /// Stores 16-bit values (US, OW; SS by bit pattern). Like every binary setter, the VR must be a
    /// binary VR whose unit is the values' size, or OB/UN.
    /// - Throws: `ValueError.vrMismatch` for a string VR, SQ, or a VR of another unit size.
    public mutating func set(_ tag: Tag, uint16s: [UInt16], vr: VR? = nil) throws(ValueError) {
        try setBinary(tag, uint16s, vr: vr)
    }
    /// Stores 16-bit signed values (SS).
    public mutating func set(_ tag: Tag, int16s: [Int16], vr: VR? = nil) throws(ValueError) {
        try setBinary(tag, int16s, vr: vr)
    }
    /// Stores 32-bit unsigned values (UL, OL).
    public mutating func set(_ tag: Tag, uint32s: [UInt32], vr: VR? = nil) throws(ValueError) {
        try setBinary(tag, uint32s, vr: vr)
    }
    /// Stores 32-bit signed values (SL).
    public mutating func set(_ tag: Tag, int32s: [Int32], vr: VR? = nil) throws(ValueError) {
        try setBinary(tag, int32s, vr: vr)
    }
    /// Stores 64-bit unsigned values (UV, OV).
    public mutating func set(_ tag: Tag, uint64s: [UInt64], vr: VR? = nil) throws(ValueError) {
        try setBinary(tag, uint64s, vr: vr)
    }
    /// Stores 64-bit signed values (SV).
    public mutating func set(_ tag: Tag, int64s: [Int64], vr: VR? = nil) throws(ValueError) {
        try setBinary(tag, int64s, vr: vr)
    }
    /// Stores 32-bit IEEE floats (FL, OF).
    public mutating func set(_ tag: Tag, float32s: [Float], vr: VR? = nil) throws(ValueError) {
        try setBinary(tag, float32s.map(\.bitPattern), vr: vr)
    }
    /// Stores 64-bit IEEE floats (FD, OD).
    public mutating func set(_ tag: Tag, float64s: [Double], vr: VR? = nil) throws(ValueError) {
        try setBinary(tag, float64s.map(\.bitPattern), vr: vr)
    }

    /// Stores Attribute Tag (AT) values.
    public mutating func set(_ tag: Tag, tags: [Tag]) throws(ValueError) {
        try setBinary(tag, tags.flatMap { [$0.group, $0.element] }, vr: .AT)
    }

    mutating func setBinary<T: FixedWidthInteger>(_ tag: Tag, _ values: [T], vr: VR?) throws(ValueError) {
        let vr = try resolveVR(tag, vr)
        // Values are kept little endian and swapped per VR unit for big endian output: the unit
        // must be the values' size (or bytes, for OB and UN).
        guard !vr.isString, vr != .SQ, vr.byteSwapUnit == MemoryLayout<T>.size || vr.byteSwapUnit == 1 else {
            throw .vrMismatch(tag, vr)
        }
        self[tag] = DataElement(tag: tag, vr: vr, value: .bytes(DataSet.littleEndianBytes(values)))
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * MemoryLayout<T>.size)
        for v in values {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    // MARK: - Structured values

    /// Stores Person Name values (PN, PS3.5 §6.2.1).
    public mutating func set(_ tag: Tag, personNames: [PersonName]) throws(ValueError) {
        try set(tag, strings: personNames.map(\.description), vr: .PN)
    }
    /// Stores one Person Name value.
    public mutating func set(_ tag: Tag, personName: PersonName) throws(ValueError) {
        try set(tag, personNames: [personName])
    }
    /// Stores a DA value.
    public mutating func set(_ tag: Tag, date: DicomDate) throws(ValueError) {
        try set(tag, strings: [date.description], vr: .DA)
    }
    /// Stores a TM value.
    public mutating func set(_ tag: Tag, time: DicomTime) throws(ValueError) {
        try set(tag, strings: [time.description], vr: .TM)
    }
    /// Stores a DT value.
    public mutating func set(_ tag: Tag, dateTime: DicomDateTime) throws(ValueError) {
        try set(tag, strings: [dateTime.description], vr: .DT)
    }
    /// Stores an AS value.
    public mutating func set(_ tag: Tag, age: AgeString) throws(ValueError) {
        try set(tag, strings: [age.description], vr: .AS)
    }

    /// Stores a sequence (SQ) of these data sets as items of defined length. Items without their own
    /// Specific Character Set take this data set's (PS3.5 §6.1.2.3).
    public mutating func set(_ tag: Tag, sequence: [DataSet]) {
        let items = sequence.map { item -> SequenceItem in
            var item = item
            if !item.contains(.specificCharacterSet) { item.characterSet = characterSet }
            return SequenceItem(item)
        }
        self[tag] = DataElement(tag: tag, vr: .SQ, value: .sequence(items))
    }

    /// The VR given, or the dictionary's.
    func resolveVR(_ tag: Tag, _ vr: VR?) throws(ValueError) -> VR {
        if let vr { return vr }
        guard let vr = dictionaryVR(for: tag) else { throw .unknownVR(tag) }
        return vr
    }
}
