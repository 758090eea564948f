// PS3.8 §9.3: the PDU kinds the state machine asks to send, without their contents.
// The handler binds each kind to a full PDU from the codec (PDU.swift).

/// Which PDU an action sends (PS3.8 Tables 9-6 to 9-9); the handler fills in its fields.
public enum ULPDUKind: Sendable, Hashable {
    /// A-ASSOCIATE-RQ (PS3.8 §9.3.2).
    case associateRQ
    /// A-ASSOCIATE-AC (PS3.8 §9.3.3).
    case associateAC
    /// A-ASSOCIATE-RJ (PS3.8 §9.3.4); result, source and reason come from the association policy.
    case associateRJ
    /// P-DATA-TF (PS3.8 §9.3.5).
    case pDataTF
    /// A-RELEASE-RQ (PS3.8 §9.3.6).
    case releaseRQ
    /// A-RELEASE-RP (PS3.8 §9.3.7).
    case releaseRP
    /// A-ABORT (PS3.8 §9.3.8) with its Source and Reason/Diag. fields.
    case abort(source: ULAbortSource, reason: ULAbortReason)
}

/// The Source field of an A-ABORT PDU (PS3.8 Table 9-26, byte 9).
public enum ULAbortSource: Sendable, Hashable {
    /// 0: DICOM UL service-user (initiated abort).
    case serviceUser
    /// 2: DICOM UL service-provider (initiated abort).
    case serviceProvider
    /// Any other value (1 is reserved).
    case unknown(UInt8)

    /// Reads the Source byte.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .serviceUser
        case 2: self = .serviceProvider
        default: self = .unknown(rawValue)
        }
    }

    /// The Source byte.
    public var rawValue: UInt8 {
        switch self {
        case .serviceUser: 0
        case .serviceProvider: 2
        case .unknown(let value): value
        }
    }
}

/// The Reason/Diag. field of an A-ABORT PDU (PS3.8 Table 9-26, byte 10). Significant only when
/// the source is the service-provider; a service-user abort sends 00H.
public enum ULAbortReason: Sendable, Hashable {
    /// 0: reason-not-specified.
    case reasonNotSpecified
    /// 1: unrecognized-PDU.
    case unrecognizedPDU
    /// 2: unexpected-PDU.
    case unexpectedPDU
    /// 4: unrecognized-PDU parameter.
    case unrecognizedPDUParameter
    /// 5: unexpected-PDU parameter.
    case unexpectedPDUParameter
    /// 6: invalid-PDU-parameter value.
    case invalidPDUParameterValue
    /// Any other value (3 is reserved).
    case unknown(UInt8)

    /// Reads the Reason/Diag. byte.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .reasonNotSpecified
        case 1: self = .unrecognizedPDU
        case 2: self = .unexpectedPDU
        case 4: self = .unrecognizedPDUParameter
        case 5: self = .unexpectedPDUParameter
        case 6: self = .invalidPDUParameterValue
        default: self = .unknown(rawValue)
        }
    }

    /// The Reason/Diag. byte.
    public var rawValue: UInt8 {
        switch self {
        case .reasonNotSpecified: 0
        case .unrecognizedPDU: 1
        case .unexpectedPDU: 2
        case .unrecognizedPDUParameter: 4
        case .unexpectedPDUParameter: 5
        case .invalidPDUParameterValue: 6
        case .unknown(let value): value
        }
    }
}
