/// An Age String (AS) value, PS3.5 §6.2 Table 6.2-1: "nnnD", "nnnW", "nnnM" or "nnnY" — exactly
/// three digits and a unit, e.g. "018M" is 18 months.
public struct AgeString: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: Character, Sendable, Hashable, CaseIterable {
        case days = "D", weeks = "W", months = "M", years = "Y"
    }

    public let value: Int
    public let unit: Unit

    /// - Returns: nil unless `value` is 0...999.
    public init?(value: Int, unit: Unit) {
        guard (0...999).contains(value) else { return nil }
        self.value = value
        self.unit = unit
    }

    /// Parses "018Y"; trailing spaces are tolerated, anything else malformed gives nil.
    public init?(parsing text: some StringProtocol) {
        let t = text.trimmingSpaces()
        guard t.count == 4, let u = t.last, let unit = Unit(rawValue: u) else { return nil }
        let digits = t.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(digits) else { return nil }
        self.init(value: v, unit: unit)
    }

    /// "018Y".
    public var description: String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits + String(unit.rawValue)
    }
}
