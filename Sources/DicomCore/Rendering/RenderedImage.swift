// PS3.18 §8.3.5.1 (rendered media types) and PS3.4 Annex N (the grayscale and colour display
// pipelines): what comes out of the pixel pipeline before it is encoded as PNG or JPEG.

/// An 8-bit image ready for display: `height` rows of `width` pixels, `components` bytes per
/// pixel (1: grey, P-Values where 0 is black; 3: R, G, B interleaved), top row first.
public struct RenderedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// 1 (grey) or 3 (RGB).
    public var components: Int
    /// `width * height * components` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, components: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && (components == 1 || components == 3)
                     && pixels.count == width * height * components, "RenderedImage geometry")
        self.width = width
        self.height = height
        self.components = components
        self.pixels = pixels
    }
}

/// What to render and how: the VOI window, the part of the image, the size.
public struct RenderOptions: Sendable, Equatable {
    /// The VOI window to apply to grey images instead of the file's (PS3.18 §8.3.5.1.3 `window`).
    /// nil: the file's first Window Center/Width, else its first VOI LUT, else the frame's range.
    public var window: VOIWindow?
    /// A part of the image, in fractions of its width and height (WADO-URI `region`, PS3.18 §9.1.2.4.4).
    public var region: RenderRegion?
    /// The box the image is scaled to fit, keeping its aspect ratio (PS3.18 §8.3.5.1.2 `viewport`,
    /// WADO-URI `rows`/`columns`). nil: the image's own size.
    public var viewport: Viewport?

    public init(window: VOIWindow? = nil, region: RenderRegion? = nil, viewport: Viewport? = nil) {
        self.window = window
        self.region = region
        self.viewport = viewport
    }
}

/// A box to fit an image into. Either side may be left open (nil): that side then follows the aspect ratio.
public struct Viewport: Sendable, Equatable {
    public var width: Int?
    public var height: Int?
    /// Whether an image smaller than the box is enlarged to fit it (WADO-URI rows/columns: yes).
    public var enlarges: Bool

    public init(width: Int?, height: Int?, enlarges: Bool = true) {
        self.width = width
        self.height = height
        self.enlarges = enlarges
    }

    /// The largest side an image is scaled to (a request for more gets this).
    public static let maxSide = 16384

    /// The size of a `width` x `height` image scaled to fit, keeping its aspect ratio; at least 1x1,
    /// at most `maxSide` on either side.
    public func fit(width w: Int, height h: Int) -> (width: Int, height: Int) {
        var scale: Double
        switch (width, height) {
        case let (vw?, vh?): scale = min(Double(max(vw, 1)) / Double(w), Double(max(vh, 1)) / Double(h))
        case let (vw?, nil): scale = Double(max(vw, 1)) / Double(w)
        case let (nil, vh?): scale = Double(max(vh, 1)) / Double(h)
        case (nil, nil): return (w, h)
        }
        if !enlarges { scale = min(scale, 1) }
        scale = min(scale, Double(Viewport.maxSide) / Double(max(w, h)))
        let ow = max(1, Int((Double(w) * scale).rounded()))
        let oh = max(1, Int((Double(h) * scale).rounded()))
        return (min(ow, width ?? ow), min(oh, height ?? oh))
    }
}

/// A rectangle of an image given as fractions 0...1 of its width and height, top-left to
/// bottom-right (WADO-URI `region=x1,y1,x2,y2`, PS3.18 §9.1.2.4.4).
public struct RenderRegion: Sendable, Equatable {
    public var x1: Double, y1: Double, x2: Double, y2: Double

    /// nil unless 0 ≤ x1 < x2 ≤ 1 and 0 ≤ y1 < y2 ≤ 1.
    public init?(x1: Double, y1: Double, x2: Double, y2: Double) {
        guard x1 >= 0, y1 >= 0, x2 <= 1, y2 <= 1, x1 < x2, y1 < y2 else { return nil }
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    /// The pixel rectangle it covers in a `width` x `height` image; at least one pixel.
    public func pixels(width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let left = min(width - 1, Int((x1 * Double(width)).rounded(.down)))
        let top = min(height - 1, Int((y1 * Double(height)).rounded(.down)))
        let right = max(left + 1, min(width, Int((x2 * Double(width)).rounded(.up))))
        let bottom = max(top + 1, min(height, Int((y2 * Double(height)).rounded(.up))))
        return (left, top, right - left, bottom - top)
    }
}
