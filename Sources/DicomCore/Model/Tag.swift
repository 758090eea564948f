/// A data element tag: (group, element), PS3.5 §7.1.
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The tag as one 32-bit number, group in the high half.
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ group: UInt16, _ element: UInt16) {
        rawValue = UInt32(group) << 16 | UInt32(element)
    }

    public var group: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    public var element: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// Odd groups other than 0001, 0003, 0005, 0007 and FFFF are private (PS3.5 §7.8.1).
    public var isPrivate: Bool { group & 1 == 1 && group > 0x0007 && group != 0xFFFF }
    /// (gggg,0010)–(gggg,00FF) in a private group name the private creator of a block.
    public var isPrivateCreator: Bool { isPrivate && element >= 0x0010 && element <= 0x00FF }
    /// The private creator element that reserves this private tag's block, e.g. (0029,1010) → (0029,0010).
    public var privateCreatorTag: Tag? {
        guard isPrivate, element >= 0x1000 else { return nil }
        return Tag(group, element >> 8)
    }
    /// Group length elements (gggg,0000), PS3.5 §7.2.
    public var isGroupLength: Bool { element == 0 }
    /// Item, Item Delimitation and Sequence Delimitation tags (group FFFE), PS3.5 §7.5.
    public var isDelimiter: Bool { group == 0xFFFE }

    public static func < (a: Tag, b: Tag) -> Bool { a.rawValue < b.rawValue }

    /// "(0010,0010)" as dcmdump prints it.
    public var description: String {
        "(\(hex4(group)),\(hex4(element)))"
    }
    /// "00100010" as the DICOM JSON model keys elements (PS3.18 §F.2.1).
    public var jsonKey: String { hex4(group) + hex4(element) }

    /// Parses "00100010", "(0010,0010)", "0010,0010" or a dictionary keyword.
    public init?(parsing text: String) {
        var hex = text.trimmingCharacters(in: .whitespaces)
        if hex.hasPrefix("(") && hex.hasSuffix(")") { hex = String(hex.dropFirst().dropLast()) }
        hex = hex.replacingOccurrences(of: ",", with: "")
        if hex.count == 8, let v = UInt32(hex, radix: 16) {
            self.init(rawValue: v)
            return
        }
        if let t = DataDictionary.tag(forKeyword: text) {
            self = t
            return
        }
        return nil
    }

}
@inline(__always)
func hex4(_ v: UInt16) -> String {
    let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
    var out = [UInt8](repeating: 0, count: 4)
    out[0] = digits[Int(v >> 12) & 0xF]
    out[1] = digits[Int(v >> 8) & 0xF]
    out[2] = digits[Int(v >> 4) & 0xF]
    out[3] = digits[Int(v) & 0xF]
    return String(decoding: out, as: UTF8.self)
}

import Foundation
