/// How a data set is encoded: VR explicit or implicit, byte order, deflate, encapsulation (PS3.5 §10).
public struct TransferSyntax: Sendable, Hashable, CustomStringConvertible {
    public let uid: String
    public let isExplicitVR: Bool
    public let isBigEndian: Bool
    public let isDeflated: Bool
    /// Pixel Data is encapsulated (compressed), PS3.5 §A.4.
    public let isEncapsulated: Bool

    public init(uid: String, isExplicitVR: Bool, isBigEndian: Bool = false, isDeflated: Bool = false,
                isEncapsulated: Bool = false) {
        self.uid = uid
        self.isExplicitVR = isExplicitVR
        self.isBigEndian = isBigEndian
        self.isDeflated = isDeflated
        self.isEncapsulated = isEncapsulated
    }

    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2", isExplicitVR: false)
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1", isExplicitVR: true)
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99", isExplicitVR: true, isDeflated: true)
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2", isExplicitVR: true, isBigEndian: true)

    /// The four uncompressed/deflated syntaxes DicomCore converts between.
    public static let native: [TransferSyntax] = [
        .implicitVRLittleEndian, .explicitVRLittleEndian, .deflatedExplicitVRLittleEndian, .explicitVRBigEndian,
    ]

    /// Any UID: the four native syntaxes are known; every other syntax is Explicit VR Little Endian
    /// with encapsulated pixel data (PS3.5 §10 and Annex A.4), except the few that are not
    /// (Encapsulated Uncompressed, JPIP referenced deflate are handled by UID).
    public init(uid raw: String) {
        let uid = raw.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        if let known = TransferSyntax.native.first(where: { $0.uid == uid }) {
            self = known
            return
        }
        switch uid {
        case "1.2.840.10008.1.2.4.95": // JPIP Referenced Deflate: deflated, pixel data by reference
            self.init(uid: uid, isExplicitVR: true, isDeflated: true)
        case "1.2.840.10008.1.2.4.94": // JPIP Referenced: native encoding, pixel data by reference
            self.init(uid: uid, isExplicitVR: true)
        default:
            self.init(uid: uid, isExplicitVR: true, isEncapsulated: true)
        }
    }

    public var name: String { UIDRegistry.name(for: uid) ?? uid }
    public var description: String { name }

    /// The syntax may hold lossy compressed pixels (PS3.5 §8.2, Annex A.4): JPEG Baseline and
    /// Extended, JPEG-LS near-lossless, JPEG 2000 and Part 2 (not "Lossless Only"), HTJ2K (.203),
    /// and the video syntaxes. The others are lossless by definition.
    public var permitsLossy: Bool {
        switch uid {
        case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
             "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.203":
            return true
        default:
            return uid.hasPrefix("1.2.840.10008.1.2.4.10")   // MPEG2, MPEG-4 AVC, HEVC (.100–.108 and .1 forms)
        }
    }
}

import Foundation
