// Scaling for WADO viewports and thumbnails (PS3.18 §8.3.5.1.2 viewport, §9.1.2.4.4 rows,
// columns and region): area averaging when shrinking, bilinear interpolation when enlarging,
// one axis after the other.

extension RenderedImage {
    /// The part of the image `region` covers.
    public func cropped(to region: RenderRegion) -> RenderedImage {
        let r = region.pixels(width: width, height: height)
        if r.x == 0 && r.y == 0 && r.width == width && r.height == height { return self }
        var out = [UInt8](repeating: 0, count: r.width * r.height * components)
        let rowBytes = r.width * components
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<r.height {
                    let from = ((r.y + y) * width + r.x) * components
                    dst.baseAddress!.advanced(by: y * rowBytes).update(from: src.baseAddress!.advanced(by: from), count: rowBytes)
                }
            }
        }
        return RenderedImage(width: r.width, height: r.height, components: components, pixels: out)
    }

    /// The image scaled to fit `viewport`, keeping its aspect ratio.
    public func fitted(to viewport: Viewport) -> RenderedImage {
        let size = viewport.fit(width: width, height: height)
        return resized(width: size.width, height: size.height)
    }

    /// The image scaled to exactly `newWidth` x `newHeight`: each output pixel the area average of
    /// the input pixels it covers along an axis that shrinks, bilinear along one that grows.
    public func resized(width newWidth: Int, height newHeight: Int) -> RenderedImage {
        precondition(newWidth > 0 && newHeight > 0, "resize to an empty image")
        if newWidth == width && newHeight == height { return self }
        let xs = ResampleWeights(from: width, to: newWidth)
        let ys = ResampleWeights(from: height, to: newHeight)
        let c = components
        // Horizontal pass: height rows of newWidth pixels, in 1/65536 units.
        var mid = [Int32](repeating: 0, count: height * newWidth * c)
        let inRow = width * c, midRow = newWidth * c
        pixels.withUnsafeBufferPointer { src in
            mid.withUnsafeMutableBufferPointer { dst in
                xs.withBuffers { starts, counts, offsets, w in
                    for y in 0..<height {
                        let row = y * inRow, outRow = y * midRow
                        for x in 0..<newWidth {
                            let first = row + starts[x] * c, n = counts[x], wo = offsets[x]
                            for k in 0..<c {
                                var acc: Int32 = 0
                                for t in 0..<n { acc &+= Int32(src[first + t * c + k]) &* w[wo + t] }
                                dst[outRow + x * c + k] = acc
                            }
                        }
                    }
                }
            }
        }
        // Vertical pass, rounded back to 8 bits (weights are 16-bit fixed point on both passes).
        var out = [UInt8](repeating: 0, count: newHeight * midRow)
        var acc = [Int64](repeating: 0, count: midRow)
        mid.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                acc.withUnsafeMutableBufferPointer { acc in
                    ys.withBuffers { starts, counts, offsets, w in
                        for y in 0..<newHeight {
                            let first = starts[y], n = counts[y], wo = offsets[y]
                            for i in 0..<midRow { acc[i] = 0 }
                            for t in 0..<n {
                                let weight = Int64(w[wo + t]), row = (first + t) * midRow
                                for i in 0..<midRow { acc[i] &+= Int64(src[row + i]) &* weight }
                            }
                            let outRow = y * midRow
                            for i in 0..<midRow {
                                let v = (acc[i] &+ (1 << 31)) >> 32
                                dst[outRow + i] = UInt8(truncatingIfNeeded: v < 0 ? 0 : (v > 255 ? 255 : v))
                            }
                        }
                    }
                }
            }
        }
        return RenderedImage(width: newWidth, height: newHeight, components: c, pixels: out)
    }
}

/// For each output pixel along one axis: the input pixels that contribute and their weights,
/// in 16-bit fixed point summing to exactly 65536.
struct ResampleWeights {
    var starts: [Int] = []
    var counts: [Int] = []
    var offsets: [Int] = []
    var weights: [Int32] = []

    /// The four arrays as buffers, for the inner loops.
    @inline(__always)
    func withBuffers(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int32>) -> Void) {
        starts.withUnsafeBufferPointer { s in
            counts.withUnsafeBufferPointer { c in
                offsets.withUnsafeBufferPointer { o in
                    weights.withUnsafeBufferPointer { w in body(s, c, o, w) }
                }
            }
        }
    }

    init(from n: Int, to m: Int) {
        let scale = Double(n) / Double(m)
        for o in 0..<m {
            var taps: [(Int, Double)] = []
            if m < n {
                // Area averaging: the input interval [o·s, (o+1)·s) and how much of each pixel it covers.
                let a = Double(o) * scale, b = Double(o + 1) * scale
                var i = Int(a.rounded(.down))
                while Double(i) < b && i < n {
                    let cover = min(b, Double(i + 1)) - max(a, Double(i))
                    if cover > 1e-9 { taps.append((i, cover)) }
                    i += 1
                }
            } else {
                // Bilinear: pixel centres aligned, edges clamped.
                let x = (Double(o) + 0.5) * scale - 0.5
                let x0 = Int(x.rounded(.down)), f = x - Double(x0)
                let i0 = min(max(x0, 0), n - 1), i1 = min(max(x0 + 1, 0), n - 1)
                if i0 == i1 { taps = [(i0, 1)] } else { taps = [(i0, 1 - f), (i1, f)] }
            }
            let total = taps.reduce(0) { $0 + $1.1 }
            var fixed = taps.map { Int32(($0.1 / total * 65536).rounded()) }
            // Put the rounding error on the largest weight so the weights sum to exactly 65536.
            if let big = fixed.indices.max(by: { fixed[$0] < fixed[$1] }) {
                fixed[big] += 65536 - fixed.reduce(0, +)
            }
            starts.append(taps.first?.0 ?? 0)
            counts.append(taps.count)
            offsets.append(weights.count)
            weights.append(contentsOf: fixed)
        }
    }
}
