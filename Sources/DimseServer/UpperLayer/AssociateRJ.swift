// PS3.8 §9.3.4, Table 9-21: A-ASSOCIATE-RJ PDU.

/// A-ASSOCIATE-RJ: the acceptor refuses the association.
public struct AssociateRJ: Equatable, Sendable {
    public var result: Result
    public var source: Source
    /// The reason's byte means different things per source; see `Reason.init(rawValue:source:)`.
    public var reason: Reason

    public init(result: Result, source: Source, reason: Reason) {
        self.result = result
        self.source = source
        self.reason = reason
    }

    /// PS3.8 Table 9-21, byte 8.
    public enum Result: Equatable, Sendable, RawRepresentable {
        case rejectedPermanent          // 1
        case rejectedTransient          // 2
        case unknown(UInt8)

        public init(rawValue: UInt8) {
            switch rawValue {
            case 1: self = .rejectedPermanent
            case 2: self = .rejectedTransient
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: UInt8 {
            switch self {
            case .rejectedPermanent: 1
            case .rejectedTransient: 2
            case .unknown(let value): value
            }
        }
    }

    /// PS3.8 Table 9-21, byte 9.
    public enum Source: Equatable, Sendable, RawRepresentable {
        case serviceUser                    // 1: DICOM UL service-user
        case serviceProviderACSE            // 2: DICOM UL service-provider (ACSE related function)
        case serviceProviderPresentation    // 3: DICOM UL service-provider (Presentation related function)
        case unknown(UInt8)

        public init(rawValue: UInt8) {
            switch rawValue {
            case 1: self = .serviceUser
            case 2: self = .serviceProviderACSE
            case 3: self = .serviceProviderPresentation
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: UInt8 {
            switch self {
            case .serviceUser: 1
            case .serviceProviderACSE: 2
            case .serviceProviderPresentation: 3
            case .unknown(let value): value
            }
        }
    }

    /// PS3.8 Table 9-21, byte 10 (reason/diag). The same byte names a different reason under each
    /// source, so decoding needs the source; a reason that does not belong to its source encodes
    /// to its own byte all the same.
    public enum Reason: Equatable, Sendable {
        case noReasonGiven                          // source 1: 1, source 2: 1
        case applicationContextNameNotSupported     // source 1: 2
        case callingAETitleNotRecognized            // source 1: 3
        case calledAETitleNotRecognized             // source 1: 7
        case protocolVersionNotSupported            // source 2: 2
        case temporaryCongestion                    // source 3: 1
        case localLimitExceeded                     // source 3: 2
        case unknown(UInt8)                         // reserved values (source 1: 4–6, 8–10; source 3: 0)

        public init(rawValue: UInt8, source: Source) {
            switch (source, rawValue) {
            case (.serviceUser, 1), (.serviceProviderACSE, 1): self = .noReasonGiven
            case (.serviceUser, 2): self = .applicationContextNameNotSupported
            case (.serviceUser, 3): self = .callingAETitleNotRecognized
            case (.serviceUser, 7): self = .calledAETitleNotRecognized
            case (.serviceProviderACSE, 2): self = .protocolVersionNotSupported
            case (.serviceProviderPresentation, 1): self = .temporaryCongestion
            case (.serviceProviderPresentation, 2): self = .localLimitExceeded
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: UInt8 {
            switch self {
            case .noReasonGiven: 1
            case .applicationContextNameNotSupported: 2
            case .callingAETitleNotRecognized: 3
            case .calledAETitleNotRecognized: 7
            case .protocolVersionNotSupported: 2
            case .temporaryCongestion: 1
            case .localLimitExceeded: 2
            case .unknown(let value): value
            }
        }
    }
}
