/// One data element: tag, VR and value, plus what the source encoding said about its length
/// so that a data set that was read can be written back byte for byte (PS3.5 §7.1).
public struct DataElement: Sendable, Equatable {
    public var tag: Tag
    public var vr: VR
    public var value: ElementValue
    /// The element was encoded with undefined length (0xFFFFFFFF): sequences, encapsulated
    /// pixel data, and UN elements that hold an Implicit VR LE sequence (PS3.5 §6.2.2).
    public var undefinedLength: Bool

    public init(tag: Tag, vr: VR, value: ElementValue, undefinedLength: Bool = false) {
        self.tag = tag
        self.vr = vr
        self.value = value
        self.undefinedLength = undefinedLength
    }

    public init(_ tag: Tag, _ vr: VR, bytes: [UInt8]) {
        self.init(tag: tag, vr: vr, value: .bytes(bytes))
    }

    /// The raw value bytes; empty for sequences, encapsulated and not-loaded values.
    public var bytes: [UInt8] {
        if case .bytes(let b) = value { return b }
        return []
    }

    public var items: [SequenceItem]? {
        if case .sequence(let items) = value { return items }
        return nil
    }
}

/// What an element holds. Binary numbers (US, SS, UL, SL, FL, FD, AT, OW, OL, OF, OD, OV, SV, UV)
/// are kept **little endian** whatever the source byte order; strings and UN as they were read.
public enum ElementValue: Sendable, Equatable {
    case bytes([UInt8])
    case sequence([SequenceItem])
    /// Encapsulated (compressed) Pixel Data, PS3.5 §A.4.
    case encapsulated(EncapsulatedPixelData)
    /// A value left in the source file (read with `stopBeforePixelData`/`bulkDataThreshold`).
    case bulkData(BulkDataReference)
}

/// An item of a sequence: a nested data set, PS3.5 §7.5.
public struct SequenceItem: Sendable, Equatable {
    public var dataSet: DataSet
    /// Encoded with undefined length and an Item Delimitation Item.
    public var undefinedLength: Bool

    public init(_ dataSet: DataSet, undefinedLength: Bool = false) {
        self.dataSet = dataSet
        self.undefinedLength = undefinedLength
    }
}

/// Encapsulated Pixel Data: the Basic Offset Table item followed by fragments (PS3.5 §A.4).
public struct EncapsulatedPixelData: Sendable, Equatable {
    /// The first item's value: 32-bit offsets of each frame's first fragment, or empty.
    public var basicOffsetTable: [UInt8]
    public var fragments: [Fragment]

    public init(basicOffsetTable: [UInt8] = [], fragments: [Fragment]) {
        self.basicOffsetTable = basicOffsetTable
        self.fragments = fragments
    }

    /// A fragment's bytes, in memory or left in the source file.
    public enum Fragment: Sendable, Equatable {
        case bytes([UInt8])
        case bulkData(BulkDataReference)

        public var length: UInt64 {
            switch self {
            case .bytes(let b): return UInt64(b.count)
            case .bulkData(let r): return r.length
            }
        }
    }

    /// The Basic Offset Table's offsets (PS3.5 Table A.4-1), little endian 32-bit values.
    public var basicOffsets: [UInt32] {
        stride(from: 0, to: basicOffsetTable.count - 3, by: 4).map { i in
            UInt32(basicOffsetTable[i]) | UInt32(basicOffsetTable[i + 1]) << 8
                | UInt32(basicOffsetTable[i + 2]) << 16 | UInt32(basicOffsetTable[i + 3]) << 24
        }
    }
}

/// Where a value not loaded into memory lies in its source file: the value field's offset and length.
public struct BulkDataReference: Sendable, Equatable, Hashable {
    public var path: String
    public var offset: UInt64
    public var length: UInt64
    /// The bytes in the file are big endian values of this size (Explicit VR Big Endian sources).
    public var swapUnit: Int

    public init(path: String, offset: UInt64, length: UInt64, swapUnit: Int = 1) {
        self.path = path
        self.offset = offset
        self.length = length
        self.swapUnit = swapUnit
    }
}
