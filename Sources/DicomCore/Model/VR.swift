/// The 34 value representations of PS3.5 §6.2, Table 6.2-1.
public enum VR: String, CaseIterable, Sendable {
    case AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV

    /// Reads the two VR characters of an explicit VR header.
    @inline(__always)
    public init?(byte0: UInt8, byte1: UInt8) {
        switch (byte0, byte1) {
        case (0x41, 0x45): self = .AE
        case (0x41, 0x53): self = .AS
        case (0x41, 0x54): self = .AT
        case (0x43, 0x53): self = .CS
        case (0x44, 0x41): self = .DA
        case (0x44, 0x53): self = .DS
        case (0x44, 0x54): self = .DT
        case (0x46, 0x44): self = .FD
        case (0x46, 0x4C): self = .FL
        case (0x49, 0x53): self = .IS
        case (0x4C, 0x4F): self = .LO
        case (0x4C, 0x54): self = .LT
        case (0x4F, 0x42): self = .OB
        case (0x4F, 0x44): self = .OD
        case (0x4F, 0x46): self = .OF
        case (0x4F, 0x4C): self = .OL
        case (0x4F, 0x56): self = .OV
        case (0x4F, 0x57): self = .OW
        case (0x50, 0x4E): self = .PN
        case (0x53, 0x48): self = .SH
        case (0x53, 0x4C): self = .SL
        case (0x53, 0x51): self = .SQ
        case (0x53, 0x53): self = .SS
        case (0x53, 0x54): self = .ST
        case (0x53, 0x56): self = .SV
        case (0x54, 0x4D): self = .TM
        case (0x55, 0x43): self = .UC
        case (0x55, 0x49): self = .UI
        case (0x55, 0x4C): self = .UL
        case (0x55, 0x4E): self = .UN
        case (0x55, 0x52): self = .UR
        case (0x55, 0x53): self = .US
        case (0x55, 0x54): self = .UT
        case (0x55, 0x56): self = .UV
        default: return nil
        }
    }

    public var bytes: (UInt8, UInt8) {
        let u = Array(rawValue.utf8)
        return (u[0], u[1])
    }

    /// Explicit VR encodings of these VRs use 2 reserved bytes and a 32-bit length (PS3.5 §7.1.2).
    public var hasLongExplicitLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV: return true
        default: return false
        }
    }

    /// Values are character strings (decoded through the Specific Character Set where it applies).
    public var isString: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: return true
        default: return false
        }
    }

    /// String VRs whose values are affected by the Specific Character Set (PS3.5 §6.1.2.3).
    public var usesSpecificCharacterSet: Bool {
        switch self {
        case .LO, .LT, .PN, .SH, .ST, .UC, .UT: return true
        default: return false
        }
    }

    /// String VRs whose value field holds several values separated by "\" (LT, ST, UT and UR hold one).
    public var allowsMultipleValues: Bool {
        switch self {
        case .LT, .ST, .UT, .UR: return false
        default: return isString
        }
    }

    /// The size of one binary value whose byte order follows the transfer syntax; 1 for bytes and strings.
    public var byteSwapUnit: Int {
        switch self {
        case .AT, .OW, .SS, .US: return 2
        case .FL, .OF, .OL, .SL, .UL: return 4
        case .FD, .OD, .OV, .SV, .UV: return 8
        default: return 1
        }
    }

    /// The byte that pads a value to even length: space for strings, NUL for UI and binary (PS3.5 §6.2).
    public var paddingByte: UInt8 {
        isString && self != .UI ? 0x20 : 0x00
    }

    /// Binary VRs holding a number per fixed-size value.
    public var isBinaryNumber: Bool {
        switch self {
        case .FD, .FL, .SL, .SS, .SV, .UL, .US, .UV: return true
        default: return false
        }
    }

    /// Bulk binary VRs ("other" types) whose value may be large.
    public var isBulk: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN: return true
        default: return false
        }
    }

    /// Leading spaces are padding too, not part of the value (PS3.5 Table 6.2-1): every string VR
    /// except LT, ST, UT, UC and PN, whose leading spaces belong to the text.
    public var leadingSpacesAreInsignificant: Bool {
        switch self {
        case .LT, .ST, .UT, .UC, .PN: return false
        default: return isString
        }
    }

    /// One value without its padding (PS3.5 Table 6.2-1): trailing spaces, trailing NULs (UI's
    /// padding, which some writers use elsewhere), and leading spaces where they are insignificant.
    public func trimmingPadding(_ value: Substring) -> Substring {
        var t = value
        while let last = t.last, last == " " || last == "\0" { t.removeLast() }
        if leadingSpacesAreInsignificant {
            while let first = t.first, first == " " { t.removeFirst() }
        }
        return t
    }
}
