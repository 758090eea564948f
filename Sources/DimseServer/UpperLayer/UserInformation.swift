// PS3.8 §9.3.2.3 / Annex D.1 and PS3.7 Annex D.3.3: the user information item 50H and its sub-items.

/// Item 50H: the user information sub-items, in the order received (so that a PDU re-encodes to
/// the same bytes). Sub-items of unknown type are kept as `.unknown`.
public struct UserInformation: Equatable, Sendable {
    public var items: [Item]

    public init(items: [Item]) {
        self.items = items
    }

    /// One user information sub-item.
    public enum Item: Equatable, Sendable {
        /// 51H: maximum length of P-DATA-TF PDUs the sender can receive; 0 = no limit (PS3.8 Annex D.1).
        case maximumLength(UInt32)
        /// 52H: implementation class UID (PS3.7 D.3.3.2).
        case implementationClassUID(String)
        /// 53H: asynchronous operations window (PS3.7 D.3.3.3).
        case asynchronousOperationsWindow(invoked: UInt16, performed: UInt16)
        /// 54H: SCP/SCU role selection (PS3.7 D.3.3.4).
        case roleSelection(RoleSelection)
        /// 55H: implementation version name (PS3.7 D.3.3.2).
        case implementationVersionName(String)
        /// 56H: SOP class extended negotiation (PS3.7 D.3.3.5).
        case sopClassExtendedNegotiation(SOPClassExtendedNegotiation)
        /// 57H: SOP class common extended negotiation (PS3.7 D.3.3.6).
        case sopClassCommonExtendedNegotiation(SOPClassCommonExtendedNegotiation)
        /// 58H: user identity negotiation, request (PS3.7 D.3.3.7.1).
        case userIdentityRQ(UserIdentityRQ)
        /// 59H: user identity negotiation, acceptance (PS3.7 D.3.3.7.2).
        case userIdentityAC(serverResponse: [UInt8])
        /// Any other sub-item type: kept as received.
        case unknown(type: UInt8, value: [UInt8])
    }

    public var maximumLength: UInt32? {
        for case .maximumLength(let value) in items { return value }
        return nil
    }

    public var implementationClassUID: String? {
        for case .implementationClassUID(let value) in items { return value }
        return nil
    }

    public var implementationVersionName: String? {
        for case .implementationVersionName(let value) in items { return value }
        return nil
    }

    public var roleSelections: [RoleSelection] {
        items.compactMap { if case .roleSelection(let value) = $0 { value } else { nil } }
    }

    public var userIdentity: UserIdentityRQ? {
        for case .userIdentityRQ(let value) in items { return value }
        return nil
    }
}

/// 54H (PS3.7 Table D.3-9/D.3-10): in an RQ, the roles proposed; in an AC, the roles accepted.
public struct RoleSelection: Equatable, Sendable {
    public var sopClassUID: String
    public var scuRole: Bool
    public var scpRole: Bool

    public init(sopClassUID: String, scuRole: Bool, scpRole: Bool) {
        self.sopClassUID = sopClassUID
        self.scuRole = scuRole
        self.scpRole = scpRole
    }
}

/// 56H (PS3.7 Table D.3-11): service-class-application-information for one SOP class.
public struct SOPClassExtendedNegotiation: Equatable, Sendable {
    public var sopClassUID: String
    public var serviceClassApplicationInformation: [UInt8]

    public init(sopClassUID: String, serviceClassApplicationInformation: [UInt8]) {
        self.sopClassUID = sopClassUID
        self.serviceClassApplicationInformation = serviceClassApplicationInformation
    }
}

/// 57H (PS3.7 Table D.3-12): the service class of a SOP class and its related general SOP classes.
public struct SOPClassCommonExtendedNegotiation: Equatable, Sendable {
    public var sopClassUID: String
    public var serviceClassUID: String
    public var relatedGeneralSOPClassUIDs: [String]

    public init(sopClassUID: String, serviceClassUID: String, relatedGeneralSOPClassUIDs: [String]) {
        self.sopClassUID = sopClassUID
        self.serviceClassUID = serviceClassUID
        self.relatedGeneralSOPClassUIDs = relatedGeneralSOPClassUIDs
    }
}

/// 58H (PS3.7 Table D.3-14): the requestor's identity.
public struct UserIdentityRQ: Equatable, Sendable {
    public var type: IdentityType
    public var positiveResponseRequested: Bool
    /// Username, Kerberos ticket, SAML assertion or JWT.
    public var primaryField: [UInt8]
    /// The passcode for type 2; empty otherwise.
    public var secondaryField: [UInt8]

    public init(type: IdentityType, positiveResponseRequested: Bool, primaryField: [UInt8], secondaryField: [UInt8] = []) {
        self.type = type
        self.positiveResponseRequested = positiveResponseRequested
        self.primaryField = primaryField
        self.secondaryField = secondaryField
    }

    /// PS3.7 Table D.3-14, byte 5 (user-identity-type).
    public enum IdentityType: Equatable, Sendable, RawRepresentable {
        case username               // 1
        case usernameAndPasscode    // 2
        case kerberos               // 3
        case saml                   // 4
        case jwt                    // 5
        case unknown(UInt8)

        public init(rawValue: UInt8) {
            switch rawValue {
            case 1: self = .username
            case 2: self = .usernameAndPasscode
            case 3: self = .kerberos
            case 4: self = .saml
            case 5: self = .jwt
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: UInt8 {
            switch self {
            case .username: 1
            case .usernameAndPasscode: 2
            case .kerberos: 3
            case .saml: 4
            case .jwt: 5
            case .unknown(let value): value
            }
        }
    }
}
