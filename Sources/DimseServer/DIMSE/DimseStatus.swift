// PS3.7 Annex C: DIMSE status codes, and PS3.4 §B.2.3 for the Storage service's own.

/// A DIMSE status (0000,0900).
public struct DimseStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = DimseStatus(rawValue: 0x0000)
    /// PS3.7 §C.4.2: a pending response of C-FIND/C-GET/C-MOVE.
    public static let pending = DimseStatus(rawValue: 0xFF00)
    public static let cancel = DimseStatus(rawValue: 0xFE00)
    /// PS3.7 §C.5.8: Duplicate SOP Instance.
    public static let duplicateSOPInstance = DimseStatus(rawValue: 0x0111)
    /// PS3.7 §C.5.14: No such SOP Class.
    public static let noSuchSOPClass = DimseStatus(rawValue: 0x0118)
    /// PS3.7 §C.5.17: Unrecognized operation.
    public static let unrecognizedOperation = DimseStatus(rawValue: 0x0211)
    /// PS3.7 §C.5.16: Processing failure.
    public static let processingFailure = DimseStatus(rawValue: 0x0110)
    /// PS3.4 Table B.2-1: Refused: Out of Resources (A7xx).
    public static let outOfResources = DimseStatus(rawValue: 0xA700)
    /// PS3.4 Table B.2-1: Error: Data Set does not match SOP Class (A9xx).
    public static let dataSetDoesNotMatchSOPClass = DimseStatus(rawValue: 0xA900)
    /// PS3.4 Table B.2-1: Error: Cannot understand (Cxxx).
    public static let cannotUnderstand = DimseStatus(rawValue: 0xC000)
    /// PS3.4 Table B.2-1: Warning: Coercion of Data Elements.
    public static let coercionOfDataElements = DimseStatus(rawValue: 0xB000)
    /// PS3.4 Table B.2-1: Warning: Data Set does not match SOP Class.
    public static let dataSetDoesNotMatchSOPClassWarning = DimseStatus(rawValue: 0xB007)
    /// PS3.4 Table B.2-1: Warning: Elements Discarded.
    public static let elementsDiscarded = DimseStatus(rawValue: 0xB006)

    public enum Category: Sendable, Hashable { case success, pending, cancel, warning, failure }

    /// PS3.7 Annex C: 0000 success; FF00/FF01 pending; FE00 cancel; 0001 and Bxxx warning; the rest failure.
    public var category: Category {
        switch rawValue {
        case 0x0000: .success
        case 0xFF00, 0xFF01: .pending
        case 0xFE00: .cancel
        case 0x0001, 0x0107, 0x0116, 0xB000...0xBFFF: .warning
        default: .failure
        }
    }

    public var description: String {
        let s = String(rawValue, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - s.count) + s
    }
}

/// An error that knows the DIMSE status it should be answered with (STYLE.md: errors carry their own status).
public protocol DimseStatusConvertible: Error {
    var dimseStatus: DimseStatus { get }
    /// The Error Comment (0000,0902): short, and without patient data.
    var errorComment: String { get }
}
