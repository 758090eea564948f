import Foundation

/// VOI LUT Function (0028,1056), PS3.3 §C.11.2.1.3: how Window Center and Width map values to output.
public enum VOILUTFunction: String, Sendable, Equatable, CaseIterable {
    case linear = "LINEAR"
    case linearExact = "LINEAR_EXACT"
    case sigmoid = "SIGMOID"

    /// The defined term, case-insensitive, "_" or "-" (PS3.18 §8.3.5.1.3 writes `linear-exact`); nil when unknown.
    public init?(term: String) {
        let t = term.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "-", with: "_")
        self.init(rawValue: t)
    }
}

/// A VOI window: Window Center (0028,1050), Window Width (0028,1051) and the function that applies them.
public struct VOIWindow: Sendable, Equatable {
    public var center: Double
    public var width: Double
    public var function: VOILUTFunction

    public init(center: Double, width: Double, function: VOILUTFunction = .linear) {
        self.center = center
        self.width = width
        self.function = function
    }

    /// The output of the window function for input `x`, between `yMin` and `yMax`
    /// (PS3.3 §C.11.2.1.2.1 LINEAR, §C.11.2.1.3.1 SIGMOID, §C.11.2.1.3.2 LINEAR_EXACT).
    /// A width the function does not allow (LINEAR: < 1; the others: ≤ 0) is taken as the smallest it does.
    @inline(__always)
    public func output(_ x: Double, yMin: Double = 0, yMax: Double = 1) -> Double {
        let c = center
        switch function {
        case .linear:
            // PS3.3 §C.11.2.1.2.1: width ≥ 1.
            let w = max(width, 1)
            if x <= c - 0.5 - (w - 1) / 2 { return yMin }
            if x > c - 0.5 + (w - 1) / 2 { return yMax }
            // w == 1 leaves no values between the two bounds above.
            return ((x - (c - 0.5)) / (w - 1) + 0.5) * (yMax - yMin) + yMin
        case .linearExact:
            // PS3.3 §C.11.2.1.3.2: width > 0.
            let w = width > 0 ? width : Double.leastNormalMagnitude
            if x <= c - w / 2 { return yMin }
            if x > c + w / 2 { return yMax }
            return ((x - c) / w + 0.5) * (yMax - yMin) + yMin
        case .sigmoid:
            // PS3.3 §C.11.2.1.3.1: width > 0.
            let w = width > 0 ? width : Double.leastNormalMagnitude
            return (yMax - yMin) / (1 + exp(-4 * (x - c) / w)) + yMin
        }
    }
}
