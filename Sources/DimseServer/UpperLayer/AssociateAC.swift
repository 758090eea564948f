// PS3.8 §9.3.3, Table 9-17: A-ASSOCIATE-AC PDU.

/// A-ASSOCIATE-AC: the acceptor accepts the association, context by context.
public struct AssociateAC: Equatable, Sendable {
    public var protocolVersion: UInt16
    /// Bytes 11–26 and 27–42 are reserved in the AC: sent with the values of the RQ, not tested
    /// (PS3.8 Table 9-17). Kept without their padding.
    public var calledAETitle: String
    public var callingAETitle: String
    /// Item 10H (PS3.8 §9.3.3.1).
    public var applicationContextName: String
    /// Items 21H (PS3.8 §9.3.3.2), in the order received.
    public var presentationContexts: [PresentationContext]
    /// Item 50H (PS3.8 §9.3.3.3).
    public var userInformation: UserInformation

    public init(
        protocolVersion: UInt16 = UpperLayer.protocolVersion,
        calledAETitle: String,
        callingAETitle: String,
        applicationContextName: String = "1.2.840.10008.3.1.1.1",
        presentationContexts: [PresentationContext],
        userInformation: UserInformation
    ) {
        self.protocolVersion = protocolVersion
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.applicationContextName = applicationContextName
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }

    /// A presentation context answer: item 21H with a result and one transfer syntax 40H
    /// (PS3.8 §9.3.3.2, Table 9-18). When the result is not acceptance the transfer syntax is
    /// not significant; `nil` means the peer sent no 40H sub-item.
    public struct PresentationContext: Equatable, Sendable {
        public var id: UInt8
        public var result: Result
        public var transferSyntax: String?

        public init(id: UInt8, result: Result, transferSyntax: String?) {
            self.id = id
            self.result = result
            self.transferSyntax = transferSyntax
        }
    }

    /// PS3.8 Table 9-18, byte 7 (result/reason).
    public enum Result: Equatable, Sendable, RawRepresentable {
        case acceptance                     // 0
        case userRejection                  // 1
        case noReason                       // 2 (provider rejection)
        case abstractSyntaxNotSupported     // 3 (provider rejection)
        case transferSyntaxesNotSupported   // 4 (provider rejection)
        case unknown(UInt8)

        public init(rawValue: UInt8) {
            switch rawValue {
            case 0: self = .acceptance
            case 1: self = .userRejection
            case 2: self = .noReason
            case 3: self = .abstractSyntaxNotSupported
            case 4: self = .transferSyntaxesNotSupported
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: UInt8 {
            switch self {
            case .acceptance: 0
            case .userRejection: 1
            case .noReason: 2
            case .abstractSyntaxNotSupported: 3
            case .transferSyntaxesNotSupported: 4
            case .unknown(let value): value
            }
        }
    }
}
