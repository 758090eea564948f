import Foundation

// The rendering query parameters of PS3.18 §8.3.5.1 (WADO-RS rendered and thumbnail: `window`,
// `viewport`) and §9.1.2.4 (WADO-URI: `windowCenter`/`windowWidth`, `rows`/`columns`, `region`),
// parsed once for the gateway and the CLI.

extension VOIWindow {
    /// `center,width[,function]`, PS3.18 §8.3.5.1.3 (function `linear`, `linear-exact` or `sigmoid`;
    /// default linear). nil when malformed or the width is not positive.
    public init?(parameter: String) {
        let parts = parameter.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 || parts.count == 3, let c = Double(parts[0]), let w = Double(parts[1]),
              c.isFinite, w.isFinite, w > 0 else { return nil }
        var function = VOILUTFunction.linear
        if parts.count == 3 {
            guard let f = VOILUTFunction(term: parts[2]) else { return nil }
            function = f
        }
        self.init(center: c, width: w, function: function)
    }
}

extension Viewport {
    /// `vw,vh`, PS3.18 §8.3.5.1.2 (either may be empty: that side follows the aspect ratio). The
    /// image is scaled to fit, enlarged too. nil when malformed or both sides are missing.
    public init?(parameter: String) {
        let parts = parameter.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return nil }
        let w = Int(parts[0]), h = Int(parts[1])
        guard parts[0].isEmpty || (w ?? 0) > 0, parts[1].isEmpty || (h ?? 0) > 0, w != nil || h != nil else { return nil }
        self.init(width: w, height: h)
    }
}

extension RenderRegion {
    /// `x1,y1,x2,y2` as fractions 0.0–1.0, PS3.18 §9.1.2.4.4. nil when malformed or empty.
    public init?(parameter: String) {
        let v = parameter.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == 4, let x1 = v[0], let y1 = v[1], let x2 = v[2], let y2 = v[3] else { return nil }
        self.init(x1: x1, y1: y1, x2: x2, y2: y2)
    }
}
