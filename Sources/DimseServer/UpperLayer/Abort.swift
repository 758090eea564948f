// PS3.8 §9.3.8, Table 9-26: A-ABORT PDU.

/// A-ABORT: either peer ends the association at once.
public struct Abort: Hashable, Sendable {
    public var source: Source
    /// Meaningful only when `source` is `.serviceProvider`; sent as 0 otherwise (PS3.8 Table 9-26).
    public var reason: Reason

    public init(source: Source, reason: Reason = .reasonNotSpecified) {
        self.source = source
        self.reason = reason
    }

    /// PS3.8 Table 9-26, byte 9.
    public enum Source: Hashable, Sendable, RawRepresentable {
        case serviceUser                // 0: DICOM UL service-user (initiated abort)
        case serviceProvider            // 2: DICOM UL service-provider (initiated abort)
        case unknown(UInt8)             // 1 is reserved

        public init(rawValue: UInt8) {
            switch rawValue {
            case 0: self = .serviceUser
            case 2: self = .serviceProvider
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: UInt8 {
            switch self {
            case .serviceUser: 0
            case .serviceProvider: 2
            case .unknown(let value): value
            }
        }
    }

    /// PS3.8 Table 9-26, byte 10 (reason/diag).
    public enum Reason: Hashable, Sendable, RawRepresentable {
        case reasonNotSpecified         // 0
        case unrecognizedPDU            // 1
        case unexpectedPDU              // 2
        case unrecognizedPDUParameter   // 4
        case unexpectedPDUParameter     // 5
        case invalidPDUParameterValue   // 6
        case unknown(UInt8)             // 3 is reserved

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
}
