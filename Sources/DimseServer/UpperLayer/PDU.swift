// PS3.8 §9.3: the seven protocol data units of the DICOM upper layer.
import NIOCore

/// One PS3.8 upper-layer PDU, decoded.
public enum PDU: Equatable, Sendable {
    case associateRQ(AssociateRQ)
    case associateAC(AssociateAC)
    case associateRJ(AssociateRJ)
    case pDataTF(PDataTF)
    case releaseRQ
    case releaseRP
    case abort(Abort)

    /// The PDU-type byte (PS3.8 Table 9-11, 9-17, 9-21, 9-22, 9-24, 9-25, 9-26).
    public var type: PDUType {
        switch self {
        case .associateRQ: .associateRQ
        case .associateAC: .associateAC
        case .associateRJ: .associateRJ
        case .pDataTF: .pDataTF
        case .releaseRQ: .releaseRQ
        case .releaseRP: .releaseRP
        case .abort: .abort
        }
    }
}

/// The first byte of every PDU (PS3.8 §9.3.1).
public enum PDUType: UInt8, Sendable, CaseIterable {
    case associateRQ = 0x01
    case associateAC = 0x02
    case associateRJ = 0x03
    case pDataTF = 0x04
    case releaseRQ = 0x05
    case releaseRP = 0x06
    case abort = 0x07
}

/// Item and sub-item types of the variable fields (PS3.8 §9.3.2–9.3.3, PS3.7 Annex D.3.3).
public enum PDUItemType {
    public static let applicationContext: UInt8 = 0x10
    public static let presentationContextRQ: UInt8 = 0x20
    public static let presentationContextAC: UInt8 = 0x21
    public static let abstractSyntax: UInt8 = 0x30
    public static let transferSyntax: UInt8 = 0x40
    public static let userInformation: UInt8 = 0x50
    public static let maximumLength: UInt8 = 0x51
    public static let implementationClassUID: UInt8 = 0x52
    public static let asynchronousOperationsWindow: UInt8 = 0x53
    public static let roleSelection: UInt8 = 0x54
    public static let implementationVersionName: UInt8 = 0x55
    public static let sopClassExtendedNegotiation: UInt8 = 0x56
    public static let sopClassCommonExtendedNegotiation: UInt8 = 0x57
    public static let userIdentityRQ: UInt8 = 0x58
    public static let userIdentityAC: UInt8 = 0x59
}
