import Foundation

/// Decimal String (DS) values, PS3.5 §6.2 Table 6.2-1: a fixed or floating point number of at most
/// 16 characters — "0"-"9", "+", "-", "E", "e", "." — with insignificant leading and trailing spaces.
public enum DecimalString {
    /// The longest DS value PS3.5 allows.
    public static let maximumLength = 16

    /// Parses one DS value; nil for anything that is not a DS number ("nan", "0x1p3", "1,5", "12a").
    /// Values longer than 16 characters are read, since many encoders write them.
    public static func parse(_ text: some StringProtocol) -> Double? {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty, isDecimalSyntax(trimmed), let v = Double(trimmed), v.isFinite else { return nil }
        return v
    }

    /// Formats `value` in at most 16 characters, as exactly as that allows: the shortest text that
    /// reads back as the same Double when it fits, otherwise fewer significant digits.
    /// Returns nil for NaN and infinities, which DS cannot hold.
    public static func format(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        if value == 0 { return "0" }
        var shortest = "\(value)"
        if shortest.hasSuffix(".0") { shortest.removeLast(2) }
        if shortest.count <= maximumLength { return shortest }
        // Fewer significant digits until it fits; %g chooses plain or exponent form.
        for digits in stride(from: 16, through: 1, by: -1) {
            let text = compactExponent(String(format: "%.\(digits)g", value))
            if text.count <= maximumLength { return text }
        }
        return nil
    }

    /// "1e-05" → "1e-5": saves characters for more digits.
    static func compactExponent(_ text: String) -> String {
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return text }
        let mantissa = text[..<e]
        var exponent = text[text.index(after: e)...]
        var sign = ""
        if let s = exponent.first, s == "+" || s == "-" {
            sign = s == "-" ? "-" : ""
            exponent = exponent.dropFirst()
        }
        let digits = exponent.drop(while: { $0 == "0" })
        return mantissa + "e" + sign + (digits.isEmpty ? "0" : digits)
    }

    /// [+-]digits[.digits][(e|E)[+-]digits], with digits on at least one side of the point.
    static func isDecimalSyntax(_ text: some StringProtocol) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits() -> Int {
            let n = bytes.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }).count
            bytes = bytes.dropFirst(n)
            return n
        }
        if let c = bytes.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        var mantissaDigits = digits()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if let c = bytes.first, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let s = bytes.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
