/// Integer String (IS) values, PS3.5 §6.2 Table 6.2-1: an optional sign and digits, at most
/// 12 characters, in the range -2^31 ... 2^31-1; leading and trailing spaces are insignificant.
public enum IntegerString {
    /// Parses one IS value. Tolerates a zero fraction ("12.0", written by some encoders) and
    /// values outside the 32-bit range; anything else that is not an integer gives nil.
    public static func parse(_ text: some StringProtocol) -> Int? {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { return nil }
        if let v = Int(trimmed), isPlainNumber(trimmed, allowFraction: false) { return v }
        // "12.0": a decimal with nothing but zeros after the point.
        guard let dot = trimmed.firstIndex(of: "."),
              trimmed[trimmed.index(after: dot)...].allSatisfy({ $0 == "0" }),
              let v = Int(trimmed[..<dot]), isPlainNumber(trimmed[..<dot], allowFraction: false) else { return nil }
        return v
    }

    /// Formats one IS value (a plain decimal integer).
    public static func format(_ value: Int) -> String { String(value) }

    /// True when `text` is [+-]digits (and, with `allowFraction`, [.digits]); Swift's own
    /// parsers accept more than PS3.5 does, so callers check with this first.
    static func isPlainNumber(_ text: some StringProtocol, allowFraction: Bool) -> Bool {
        var sawDigit = false
        var sawDot = false
        for (i, c) in text.utf8.enumerated() {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "+"), UInt8(ascii: "-"): if i != 0 { return false }
            case UInt8(ascii: ".") where allowFraction && !sawDot: sawDot = true
            default: return false
            }
        }
        return sawDigit
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces (only U+0020, which is what DICOM pads with).
    func trimmingSpaces() -> Substring {
        let s = Substring(self)
        guard let first = s.firstIndex(where: { $0 != " " }),
              let last = s.lastIndex(where: { $0 != " " }) else { return "" }
        return s[first...last]
    }
}
