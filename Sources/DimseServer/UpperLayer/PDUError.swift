// PS3.8 §9.3 violations found while decoding, each with the A-ABORT reason PS3.8 Table 9-26 gives.

/// What a peer sent that PS3.8 §9.3 does not allow. Offsets count from the PDU's first byte.
public enum PDUError: Error, Equatable, Sendable {
    /// The PDU-type byte is none of 01H–07H (PS3.8 §9.3.1).
    case unrecognizedPDUType(UInt8)
    /// The PDU-length field is larger than the receiver accepts.
    case pduTooLong(length: UInt32, maxLength: UInt32)
    /// A fixed-length PDU (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT: 4) or a fixed-field part of a
    /// variable PDU (A-ASSOCIATE-RQ/AC: at least 68) has the wrong length.
    case invalidPDULength(type: PDUType, length: UInt32)
    /// An item or sub-item claims more bytes than its enclosing PDU or item holds.
    case itemOverrun(itemType: UInt8, offset: Int)
    /// A known item type where PS3.8 does not allow it (e.g. 21H inside an A-ASSOCIATE-RQ).
    case unexpectedItem(itemType: UInt8, offset: Int)
    /// A mandatory item is absent (e.g. no application context item 10H, no abstract syntax 30H).
    case missingItem(itemType: UInt8)
    /// A field holds a value PS3.8 / PS3.7 Annex D does not allow (e.g. a role of 2, a maximum length item that is not 4 bytes).
    case invalidParameterValue(itemType: UInt8, offset: Int)
    /// A PDV item length below 2 or beyond the end of the P-DATA-TF (PS3.8 §9.3.5.1).
    case invalidPDVLength(length: UInt32, offset: Int)

    /// The A-ABORT reason to send for this error (PS3.8 §9.3.8, Table 9-26).
    public var abortReason: Abort.Reason {
        switch self {
        case .unrecognizedPDUType: .unrecognizedPDU
        case .unexpectedItem: .unexpectedPDUParameter
        case .pduTooLong, .invalidPDULength, .itemOverrun, .missingItem, .invalidParameterValue, .invalidPDVLength:
            .invalidPDUParameterValue
        }
    }
}
