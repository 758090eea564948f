// PS3.7 §6.3 and §E.1: the DIMSE command set — group 0000 elements, always Implicit VR Little
// Endian (PS3.7 §6.3.1), the first being (0000,0000) Command Group Length.
import NIOCore

/// A DIMSE command set: the group 0000 elements of one message, kept by element number.
///
/// Elements the codec does not know are kept as raw bytes and written back unchanged, so a
/// command relayed (e.g. Move Originator fields of a C-STORE sub-operation) loses nothing.
public struct CommandSet: Sendable, Equatable {
    /// Element number (the second half of the tag 0000,eeee) → raw value bytes, even length.
    public private(set) var elements: [UInt16: [UInt8]] = [:]

    public init() {}

    // MARK: - Typed fields (PS3.7 Table E.1-1)

    public var commandField: CommandField? {
        get { uint16(0x0100).map(CommandField.init(rawValue:)) }
        set { setUInt16(0x0100, newValue?.rawValue) }
    }
    public var messageID: UInt16? {
        get { uint16(0x0110) }
        set { setUInt16(0x0110, newValue) }
    }
    public var messageIDBeingRespondedTo: UInt16? {
        get { uint16(0x0120) }
        set { setUInt16(0x0120, newValue) }
    }
    public var affectedSOPClassUID: String? {
        get { string(0x0002) }
        set { setUID(0x0002, newValue) }
    }
    public var requestedSOPClassUID: String? {
        get { string(0x0003) }
        set { setUID(0x0003, newValue) }
    }
    public var affectedSOPInstanceUID: String? {
        get { string(0x1000) }
        set { setUID(0x1000, newValue) }
    }
    public var requestedSOPInstanceUID: String? {
        get { string(0x1001) }
        set { setUID(0x1001, newValue) }
    }
    public var moveDestination: String? {
        get { string(0x0600) }
        set { setText(0x0600, newValue) }
    }
    public var priority: UInt16? {
        get { uint16(0x0700) }
        set { setUInt16(0x0700, newValue) }
    }
    /// (0000,0800): 0x0101 means "no data set follows"; any other value means one does (PS3.7 §E.1).
    public var commandDataSetType: UInt16? {
        get { uint16(0x0800) }
        set { setUInt16(0x0800, newValue) }
    }
    public var hasDataSet: Bool { commandDataSetType.map { $0 != CommandSet.noDataSet } ?? false }
    public var status: DimseStatus? {
        get { uint16(0x0900).map(DimseStatus.init(rawValue:)) }
        set { setUInt16(0x0900, newValue?.rawValue) }
    }
    public var errorComment: String? {
        get { string(0x0902) }
        set {
            // LO: at most 64 characters (PS3.5 Table 6.2-1).
            setText(0x0902, newValue.map { String($0.prefix(64)) })
        }
    }
    public var moveOriginatorApplicationEntityTitle: String? {
        get { string(0x1030) }
        set { setText(0x1030, newValue) }
    }
    public var moveOriginatorMessageID: UInt16? {
        get { uint16(0x1031) }
        set { setUInt16(0x1031, newValue) }
    }
    public var numberOfRemainingSuboperations: UInt16? {
        get { uint16(0x1020) }
        set { setUInt16(0x1020, newValue) }
    }
    public var numberOfCompletedSuboperations: UInt16? {
        get { uint16(0x1021) }
        set { setUInt16(0x1021, newValue) }
    }
    public var numberOfFailedSuboperations: UInt16? {
        get { uint16(0x1022) }
        set { setUInt16(0x1022, newValue) }
    }
    public var numberOfWarningSuboperations: UInt16? {
        get { uint16(0x1023) }
        set { setUInt16(0x1023, newValue) }
    }

    /// Event Type ID (0000,1002) of N-EVENT-REPORT (PS3.7 Table 10.1-1).
    public var eventTypeID: UInt16? {
        get { uint16(0x1002) }
        set { setUInt16(0x1002, newValue) }
    }

    /// An N-EVENT-REPORT-RQ (PS3.7 §10.1.1.1) with its Event Information to follow; the caller
    /// sets the Message ID (or lets the sender assign one).
    public static func eventReportRequest(sopClassUID: String, sopInstanceUID: String, eventTypeID: UInt16) -> CommandSet {
        var c = CommandSet()
        c.commandField = .nEventReportRQ
        c.affectedSOPClassUID = sopClassUID
        c.affectedSOPInstanceUID = sopInstanceUID
        c.eventTypeID = eventTypeID
        c.commandDataSetType = CommandSet.dataSetPresent
        return c
    }

    /// PS3.7 §E.1: Command Data Set Type value meaning "no data set is present".
    public static let noDataSet: UInt16 = 0x0101
    /// The value we write when a data set follows (PS3.7 §E.1: any value other than 0x0101).
    public static let dataSetPresent: UInt16 = 0x0102

    // MARK: - Raw access

    public func uint16(_ element: UInt16) -> UInt16? {
        guard let v = elements[element], v.count == 2 else { return nil }
        return UInt16(v[0]) | UInt16(v[1]) << 8
    }

    /// A string value with its trailing NUL/space padding removed.
    public func string(_ element: UInt16) -> String? {
        guard let v = elements[element] else { return nil }
        var end = v.count
        while end > 0, v[end - 1] == 0 || v[end - 1] == 0x20 { end -= 1 }
        var start = 0
        while start < end, v[start] == 0x20 { start += 1 }
        return String(decoding: v[start..<end], as: UTF8.self)
    }

    public mutating func setRaw(_ element: UInt16, _ value: [UInt8]?) {
        elements[element] = value
    }

    public mutating func setUInt16(_ element: UInt16, _ value: UInt16?) {
        elements[element] = value.map { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    /// UI values are padded with NUL to even length (PS3.5 §9.1).
    public mutating func setUID(_ element: UInt16, _ value: String?) {
        elements[element] = value.map { var b = Array($0.utf8); if b.count % 2 == 1 { b.append(0) }; return b }
    }

    /// Text values (AE, LO) are padded with a space to even length (PS3.5 §6.2).
    public mutating func setText(_ element: UInt16, _ value: String?) {
        elements[element] = value.map { var b = Array($0.utf8); if b.count % 2 == 1 { b.append(0x20) }; return b }
    }

    // MARK: - Codec

    /// The largest command set accepted: real ones are a few hundred bytes; this bounds what a
    /// peer can make us buffer before the message is complete.
    public static let maximumEncodedLength = 64 * 1024

    /// Encodes the command set in Implicit VR Little Endian with (0000,0000) first (PS3.7 §6.3.1).
    public func encoded() -> ByteBuffer {
        var body = ByteBuffer()
        for element in elements.keys.sorted() where element != 0x0000 {
            guard let value = elements[element] else { continue }
            body.writeInteger(UInt16(0x0000), endianness: .little)
            body.writeInteger(element, endianness: .little)
            body.writeInteger(UInt32(value.count), endianness: .little)
            body.writeBytes(value)
        }
        var out = ByteBuffer()
        out.reserveCapacity(12 + body.readableBytes)
        out.writeInteger(UInt16(0x0000), endianness: .little)
        out.writeInteger(UInt16(0x0000), endianness: .little)
        out.writeInteger(UInt32(4), endianness: .little)
        out.writeInteger(UInt32(body.readableBytes), endianness: .little)
        out.writeImmutableBuffer(body)
        return out
    }

    /// Decodes a command set.
    /// - Throws: `CommandSetError` when an element is not in group 0000, a length runs past the
    ///   end, or the set is larger than ``maximumEncodedLength``.
    public init(decoding buffer: ByteBuffer) throws(CommandSetError) {
        guard buffer.readableBytes <= CommandSet.maximumEncodedLength else { throw .tooLong(buffer.readableBytes) }
        var b = buffer
        while b.readableBytes > 0 {
            let offset = buffer.readableBytes - b.readableBytes
            guard let group = b.readInteger(endianness: .little, as: UInt16.self),
                  let element = b.readInteger(endianness: .little, as: UInt16.self),
                  let length = b.readInteger(endianness: .little, as: UInt32.self)
            else { throw .truncated(offset: offset) }
            guard group == 0x0000 else { throw .notCommandGroup(group: group, element: element, offset: offset) }
            guard length != 0xFFFF_FFFF, Int(length) <= b.readableBytes, let value = b.readBytes(length: Int(length))
            else { throw .truncated(offset: offset) }
            elements[element] = value
        }
        elements[0x0000] = nil
    }
}

/// Why a command set could not be decoded; the association is then aborted (PS3.7 §8.1).
public enum CommandSetError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(offset: Int)
    case notCommandGroup(group: UInt16, element: UInt16, offset: Int)
    case tooLong(Int)

    public var description: String {
        switch self {
        case .truncated(let offset): "command set truncated at byte \(offset)"
        case .notCommandGroup(let g, let e, let offset):
            "element (\(hex4(g)),\(hex4(e))) at byte \(offset) is not in the command group 0000"
        case .tooLong(let n): "command set of \(n) bytes exceeds the \(CommandSet.maximumEncodedLength)-byte limit"
        }
    }
}

func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - s.count) + s
}

/// PS3.7 Table E.1-1, (0000,0100) Command Field.
public struct CommandField: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let cStoreRQ = CommandField(rawValue: 0x0001)
    public static let cStoreRSP = CommandField(rawValue: 0x8001)
    public static let cGetRQ = CommandField(rawValue: 0x0010)
    public static let cGetRSP = CommandField(rawValue: 0x8010)
    public static let cFindRQ = CommandField(rawValue: 0x0020)
    public static let cFindRSP = CommandField(rawValue: 0x8020)
    public static let cMoveRQ = CommandField(rawValue: 0x0021)
    public static let cMoveRSP = CommandField(rawValue: 0x8021)
    public static let cEchoRQ = CommandField(rawValue: 0x0030)
    public static let cEchoRSP = CommandField(rawValue: 0x8030)
    public static let nEventReportRQ = CommandField(rawValue: 0x0100)
    public static let nEventReportRSP = CommandField(rawValue: 0x8100)
    public static let nGetRQ = CommandField(rawValue: 0x0110)
    public static let nGetRSP = CommandField(rawValue: 0x8110)
    public static let nSetRQ = CommandField(rawValue: 0x0120)
    public static let nSetRSP = CommandField(rawValue: 0x8120)
    public static let nActionRQ = CommandField(rawValue: 0x0130)
    public static let nActionRSP = CommandField(rawValue: 0x8130)
    public static let nCreateRQ = CommandField(rawValue: 0x0140)
    public static let nCreateRSP = CommandField(rawValue: 0x8140)
    public static let nDeleteRQ = CommandField(rawValue: 0x0150)
    public static let nDeleteRSP = CommandField(rawValue: 0x8150)
    public static let cCancelRQ = CommandField(rawValue: 0x0FFF)

    /// Responses have the high bit set (PS3.7 Table E.1-1).
    public var isResponse: Bool { rawValue & 0x8000 != 0 }

    public var description: String {
        switch self {
        case .cStoreRQ: "C-STORE-RQ"
        case .cStoreRSP: "C-STORE-RSP"
        case .cGetRQ: "C-GET-RQ"
        case .cGetRSP: "C-GET-RSP"
        case .cFindRQ: "C-FIND-RQ"
        case .cFindRSP: "C-FIND-RSP"
        case .cMoveRQ: "C-MOVE-RQ"
        case .cMoveRSP: "C-MOVE-RSP"
        case .cEchoRQ: "C-ECHO-RQ"
        case .cEchoRSP: "C-ECHO-RSP"
        case .cCancelRQ: "C-CANCEL-RQ"
        default: "command 0x\(hex4(rawValue))"
        }
    }
}
