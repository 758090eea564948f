import Foundation
import Testing
@testable import DicomCore
import DicomTestSupport

// The rendering pipeline of PS3.4 Annex N checked against the formulas of PS3.3 §C.11 at known points.

@Suite("Rendering pipeline")
struct RenderingTests {
    // MARK: - VOI LUT functions, PS3.3 §C.11.2.1.2–3

    @Test("LINEAR: below c−0.5−(w−1)/2 is ymin, above c−0.5+(w−1)/2 is ymax, linear in between")
    func linearWindowPoints() {
        let w = VOIWindow(center: 2048, width: 4096, function: .linear)
        #expect(w.output(0) == 0)                       // x ≤ 2048 − 0.5 − 2047.5 = 0
        #expect(w.output(-5) == 0)
        #expect(w.output(4096) == 1)                    // x > 2048 − 0.5 + 2047.5 = 4095
        #expect(abs(w.output(4095) - 1) < 1e-12)        // ((4095 − 2047.5)/4095 + 0.5) = 1
        #expect(abs(w.output(2048) - (0.5 / 4095 + 0.5)) < 1e-12)
        #expect(abs(w.output(1) - ((1 - 2047.5) / 4095 + 0.5)) < 1e-12)
        #expect(abs(VOIWindow(center: 40, width: 400).output(39.5, yMin: 0, yMax: 255) - 127.5) < 1e-9)
    }

    @Test("LINEAR with width 1 is a threshold at the center")
    func linearWidthOne() {
        let w = VOIWindow(center: 10, width: 1, function: .linear)
        #expect(w.output(9) == 0)
        #expect(w.output(9.5) == 0)
        #expect(w.output(10) == 1)
    }

    @Test("LINEAR_EXACT: below c−w/2 is ymin, above c+w/2 is ymax, (x−c)/w+0.5 in between")
    func linearExactWindowPoints() {
        let w = VOIWindow(center: 2048, width: 4096, function: .linearExact)
        #expect(w.output(0) == 0)                       // x ≤ 2048 − 2048
        #expect(w.output(2048) == 0.5)                  // LINEAR gives 0.500122 here
        #expect(w.output(4096) == 1)                    // x = c + w/2 is still inside: ((4096−2048)/4096 + 0.5) = 1
        #expect(w.output(4097) == 1)
        #expect(abs(w.output(1) - (1.0 / 4096)) < 1e-12)
        #expect(abs(w.output(4095) - (4095.0 / 4096)) < 1e-12)
        // Fractional widths are allowed for LINEAR_EXACT (PS3.3 §C.11.2.1.3.2: w > 0).
        let narrow = VOIWindow(center: 0, width: 0.5, function: .linearExact)
        #expect(narrow.output(-0.25) == 0)
        #expect(narrow.output(0) == 0.5)
        #expect(narrow.output(0.25) == 1)
    }

    @Test("SIGMOID: (ymax−ymin)/(1+exp(−4(x−c)/w))+ymin")
    func sigmoidWindowPoints() {
        let w = VOIWindow(center: 100, width: 200, function: .sigmoid)
        #expect(w.output(100) == 0.5)
        #expect(abs(w.output(150) - 1 / (1 + exp(-1.0))) < 1e-12)
        #expect(abs(w.output(50, yMin: 0, yMax: 255) - 255 / (1 + exp(1.0))) < 1e-9)
    }

    @Test("VOI LUT Function terms: the defined terms and PS3.18's lower-case forms")
    func voiFunctionTerms() {
        #expect(VOILUTFunction(term: "LINEAR_EXACT") == .linearExact)
        #expect(VOILUTFunction(term: "linear-exact") == .linearExact)
        #expect(VOILUTFunction(term: "sigmoid") == .sigmoid)
        #expect(VOILUTFunction(term: "gamma") == nil)
    }

    // MARK: - The grayscale pipeline

    /// A grey image data set of `rows` x `columns` with 16-bit samples.
    func greyDataSet(columns: Int, rows: Int = 1, bitsStored: Int = 16, highBit: Int? = nil, signed: Bool = false,
                     photometric: String = "MONOCHROME2") throws -> DataSet {
        var ds = DataSet()
        try ds.set(.rows, int: rows)
        try ds.set(.columns, int: columns)
        try ds.set(.samplesPerPixel, int: 1)
        try ds.set(.bitsAllocated, int: 16)
        try ds.set(.bitsStored, int: bitsStored)
        try ds.set(.highBit, int: highBit ?? bitsStored - 1)
        try ds.set(.pixelRepresentation, int: signed ? 1 : 0)
        try ds.set(.photometricInterpretation, string: photometric)
        return ds
    }

    func frame16(_ ds: DataSet, _ words: [UInt16]) throws -> DecodedFrame {
        DecodedFrame(bytes: words.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] }, descriptor: try FrameDescriptor(ds))
    }

    @Test("Rescale slope and intercept, then the window, then 8 bits (CT: HU = 2·SV − 1000, window 0/200)")
    func rescaleThenWindow() throws {
        var ds = try greyDataSet(columns: 5)
        try ds.set(.rescaleSlope, string: "2")
        try ds.set(.rescaleIntercept, string: "-1000")
        try ds.set(.windowCenter, string: "0")
        try ds.set(.windowWidth, string: "201")
        // HU: −1000, −100, 0, 50, 1000
        let image = try PixelRenderer.render(frame16(ds, [0, 450, 500, 525, 1000]), dataSet: ds)
        // LINEAR c=0 w=201: bounds −100.5 … 99.5; y = ((x + 0.5)/200 + 0.5)·255
        let expected: [UInt8] = [0, UInt8(((-100 + 0.5) / 200 + 0.5) * 255 + 0.5), UInt8((0.5 / 200 + 0.5) * 255 + 0.5),
                                 UInt8((50.5 / 200 + 0.5) * 255 + 0.5), 255]
        #expect(image.pixels == expected)
        #expect(image.width == 5 && image.height == 1 && image.components == 1)
    }

    @Test("16-bit frames through a saturating window (table over the window only) equal the formula pixel by pixel",
          arguments: [(16, true), (16, false), (12, true), (12, false)])
    func windowSpanTable(bitsStored: Int, signed: Bool) throws {
        var rng: UInt64 = 7
        func next() -> UInt64 { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return rng >> 16 }
        let rescales: [(Double, Double)] = [(1, -1024), (2, -1000), (0.5, 3), (-1, 100), (1e-3, 0), (7.25, -30000)]
        let windows: [VOIWindow] = [VOIWindow(center: 40, width: 400, function: .linear),
                                    VOIWindow(center: -600, width: 1500, function: .linearExact),
                                    VOIWindow(center: 0.3, width: 1, function: .linear),
                                    VOIWindow(center: 100_000, width: 3, function: .linear),
                                    VOIWindow(center: 10, width: 1e7, function: .linearExact)]
        for (slope, intercept) in rescales {
            for window in windows {
                for photometric in ["MONOCHROME2", "MONOCHROME1"] {
                    var ds = try greyDataSet(columns: 64, rows: 16, bitsStored: bitsStored, signed: signed, photometric: photometric)
                    try ds.set(.rescaleSlope, string: "\(slope)")
                    try ds.set(.rescaleIntercept, string: "\(intercept)")
                    let words = (0..<(64 * 16)).map { _ in UInt16(truncatingIfNeeded: next()) }
                    let frame = try frame16(ds, words)
                    let pipeline = try GrayscalePipeline(dataSet: ds, descriptor: frame.descriptor, window: window)
                    #expect(pipeline.windowSpan(try StoredValues.Layout(frame.descriptor)) != nil)
                    let got = try pipeline.render(frame).pixels
                    let expected = try StoredValues.read(frame).values.map { sv -> UInt8 in
                        var y = window.output(Double(sv) * slope + intercept, yMin: 0, yMax: 255)
                        if photometric == "MONOCHROME1" { y = 255 - y }
                        return UInt8(max(0, min(255, y.rounded())))
                    }
                    #expect(got == expected, "slope \(slope) intercept \(intercept) \(window) \(photometric)")
                }
            }
        }
    }

    @Test("A requested window replaces the file's; the file's VOI LUT Function applies to the file's window")
    func requestedWindowWins() throws {
        var ds = try greyDataSet(columns: 3)
        try ds.set(.windowCenter, string: "100\\300")
        try ds.set(.windowWidth, string: "100\\50")
        try ds.set(.voilutFunction, string: "LINEAR_EXACT")
        let frame = try frame16(ds, [50, 100, 150])
        // The file's first window, LINEAR_EXACT c=100 w=100: 50 → 0, 100 → 127.5 → 128, 150 → 255.
        #expect(try PixelRenderer.render(frame, dataSet: ds).pixels == [0, 128, 255])
        let asked = RenderOptions(window: VOIWindow(center: 150, width: 100, function: .linearExact))
        #expect(try PixelRenderer.render(frame, dataSet: ds, options: asked).pixels == [0, 0, 128])
    }

    @Test("No window in the request or the file: the frame's minimum is black and its maximum white")
    func frameRangeWindow() throws {
        let ds = try greyDataSet(columns: 3)
        #expect(try PixelRenderer.render(frame16(ds, [1000, 1500, 2000]), dataSet: ds).pixels == [0, 128, 255])
    }

    @Test("MONOCHROME1 is inverted after the VOI LUT: the lowest value is white")
    func monochrome1Inverts() throws {
        var ds = try greyDataSet(columns: 3, photometric: "MONOCHROME1")
        try ds.set(.windowCenter, string: "1000")
        try ds.set(.windowWidth, string: "1001")
        let image = try PixelRenderer.render(frame16(ds, [0, 1000, 2000]), dataSet: ds)
        #expect(image.pixels == [255, 127, 0])
        // MONOCHROME2 with Presentation LUT Shape INVERSE is inverted too.
        var inverse = try greyDataSet(columns: 3)
        try inverse.set(.presentationLUTShape, string: "INVERSE")
        #expect(try PixelRenderer.render(frame16(inverse, [0, 1, 2]), dataSet: inverse).pixels == [255, 128, 0])
    }

    @Test("Signed 12-bit stored values are taken from Bits Stored and sign-extended; bits above High Bit are ignored")
    func signedStoredValues() throws {
        let ds = try greyDataSet(columns: 4, bitsStored: 12, signed: true)
        // 0x0800 = −2048, 0x0FFF = −1, 0x0000 = 0, 0x07FF = 2047; the top nibble is junk (an overlay, say).
        let frame = try frame16(ds, [0xF800, 0xAFFF, 0x5000, 0x07FF])
        let stored = try StoredValues.read(frame)
        #expect(stored.values == [-2048, -1, 0, 2047])
        // High Bit 15 with 12 bits stored: the value sits in the top 12 bits.
        let high = try greyDataSet(columns: 2, bitsStored: 12, highBit: 15)
        #expect(try StoredValues.read(frame16(high, [0xFFF0, 0x0010])).values == [4095, 1])
    }

    @Test("Modality LUT Sequence maps stored values (signed first mapped value), clamping outside the table")
    func modalityLUTSequence() throws {
        var ds = try greyDataSet(columns: 4, signed: true)
        var item = DataSet()
        try item.set(.lutDescriptor, int16s: [4, -2, 16], vr: .SS)
        try item.set(.lutData, uint16s: [0, 100, 200, 300], vr: .US)
        ds.set(.modalityLUTSequence, sequence: [item])
        try ds.set(.windowCenter, string: "150")
        try ds.set(.windowWidth, string: "301")
        let pipeline = try GrayscalePipeline(dataSet: ds, descriptor: FrameDescriptor(ds), window: nil)
        #expect(pipeline.modalityValue(-5) == 0)
        #expect(pipeline.modalityValue(-1) == 100)
        #expect(pipeline.modalityValue(1) == 300)
        #expect(pipeline.modalityValue(7) == 300)
        // -2 → 0 → black; 1 → 300 → white (window 150/301 spans −0.5 … 299.5).
        let image = try pipeline.render(frame16(ds, [UInt16(bitPattern: -2), UInt16(bitPattern: -1), 0, 1]))
        #expect(image.pixels.first == 0 && image.pixels.last == 255)
    }

    @Test("VOI LUT Sequence: entries scaled from the descriptor's bits to 8 bits")
    func voiLUTSequence() throws {
        var ds = try greyDataSet(columns: 4)
        var item = DataSet()
        try item.set(.lutDescriptor, uint16s: [3, 10, 12], vr: .US)
        try item.set(.lutData, uint16s: [0, 2048, 4095], vr: .US)
        ds.set(.voilutSequence, sequence: [item])
        let image = try PixelRenderer.render(frame16(ds, [0, 10, 11, 99]), dataSet: ds)
        #expect(image.pixels == [0, 0, 128, 255])
    }

    // MARK: - Colour

    @Test("YBR_FULL → RGB inverts the equations of PS3.3 §C.7.6.3.1.2")
    func ybrFullToRGB() {
        // Forward: RGB (200, 100, 50) → Y 124.2, Cb 86.13, Cr 182.07.
        var pixels: [UInt8] = [124, 86, 182, 128, 128, 128, 255, 128, 128]
        ColorPipeline.ybrFullToRGB(&pixels)
        #expect(abs(Int(pixels[0]) - 200) <= 1 && abs(Int(pixels[1]) - 100) <= 1 && abs(Int(pixels[2]) - 50) <= 1)
        #expect(Array(pixels[3...5]) == [128, 128, 128])
        #expect(Array(pixels[6...8]) == [255, 255, 255])
    }

    func colorDescriptor(_ pi: String, columns: Int, planar: Int = 0) -> FrameDescriptor {
        FrameDescriptor(rows: 1, columns: columns, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8, highBit: 7,
                        isSigned: false, planarConfiguration: planar, photometricInterpretation: pi)
    }

    @Test("Native YBR_FULL_422 (Y1 Y2 Cb Cr) shares one chroma pair between two pixels")
    func ybr422Native() throws {
        let frame = DecodedFrame(bytes: [124, 130, 86, 182], descriptor: colorDescriptor("YBR_FULL_422", columns: 2))
        let image = try ColorPipeline.renderColor(frame)
        var expected: [UInt8] = [124, 86, 182, 130, 86, 182]
        ColorPipeline.ybrFullToRGB(&expected)
        #expect(image.pixels == expected)
    }

    @Test("Planar configuration 1 (R plane, G plane, B plane) becomes interleaved RGB")
    func planarToInterleaved() throws {
        let frame = DecodedFrame(bytes: [1, 2, 10, 20, 100, 200], descriptor: colorDescriptor("RGB", columns: 2, planar: 1))
        #expect(try ColorPipeline.renderColor(frame).pixels == [1, 10, 100, 2, 20, 200])
    }

    @Test("16-bit RGB samples scale to 8 bits by 255/(2^Bits Stored − 1)")
    func rgb16Scaled() throws {
        let d = FrameDescriptor(rows: 1, columns: 1, samplesPerPixel: 3, bitsAllocated: 16, bitsStored: 16, highBit: 15,
                                isSigned: false, planarConfiguration: 0, photometricInterpretation: "RGB")
        let frame = DecodedFrame(bytes: [0xFF, 0xFF, 0x00, 0x80, 0x00, 0x00], descriptor: d)
        #expect(try ColorPipeline.renderColor(frame).pixels == [255, 128, 0])
    }

    @Test("PALETTE COLOR: 16-bit entries scaled to 8 bits, indices before the first mapped value clamp to the first entry")
    func paletteColor() throws {
        var ds = DataSet()
        try ds.set(.rows, int: 1)
        try ds.set(.columns, int: 3)
        try ds.set(.samplesPerPixel, int: 1)
        try ds.set(.bitsAllocated, int: 8)
        try ds.set(.bitsStored, int: 8)
        try ds.set(.highBit, int: 7)
        try ds.set(.pixelRepresentation, int: 0)
        try ds.set(.photometricInterpretation, string: "PALETTE COLOR")
        for (desc, data, values) in [(Tag.redPaletteColorLookupTableDescriptor, Tag.redPaletteColorLookupTableData, [UInt16]([0, 0xFFFF])),
                                     (.greenPaletteColorLookupTableDescriptor, .greenPaletteColorLookupTableData, [0x8000, 0]),
                                     (.bluePaletteColorLookupTableDescriptor, .bluePaletteColorLookupTableData, [0xFFFF, 0xFFFF])] {
            try ds.set(desc, uint16s: [2, 5, 16], vr: .US)
            try ds.set(data, uint16s: values, vr: .OW)
        }
        let frame = DecodedFrame(bytes: [0, 5, 6], descriptor: try FrameDescriptor(ds))
        let image = try PixelRenderer.render(frame, dataSet: ds)
        #expect(image.components == 3)
        #expect(image.pixels == [0, 128, 255, 0, 128, 255, 255, 0, 255])
        // 8-bit entries, one per byte.
        try ds.set(.redPaletteColorLookupTableDescriptor, uint16s: [2, 5, 8], vr: .US)
        try ds.set(.redPaletteColorLookupTableData, uint16s: [0x3412], vr: .OW)   // bytes 0x12, 0x34
        #expect(try PixelRenderer.render(frame, dataSet: ds).pixels[6] == 0x34)
    }

    @Test("Segmented palette: discrete, linear and indirect segments (PS3.3 §C.7.9.2)")
    func segmentedPalette() throws {
        // discrete [0, 10], linear 2 steps to 30 → 20, 30; indirect: 1 segment at byte offset 0 → 0, 10.
        let words: [UInt16] = [0, 2, 0, 10, 1, 2, 30, 2, 1, 0, 0]
        #expect(try LookupTable.expandSegments(words, bits: 16) == [0, 10, 20, 30, 0, 10])
        #expect(throws: CodecError.self) { try LookupTable.expandSegments([1, 4, 100], bits: 16) }
    }

    // MARK: - Resize, region, viewport

    @Test("Viewport fit keeps the aspect ratio")
    func viewportAspect() {
        #expect(Viewport(width: 128, height: 128).fit(width: 512, height: 256) == (128, 64))
        #expect(Viewport(width: 128, height: 128).fit(width: 256, height: 512) == (64, 128))
        #expect(Viewport(width: nil, height: 100).fit(width: 640, height: 480) == (133, 100))
        #expect(Viewport(width: 1024, height: 1024).fit(width: 64, height: 32) == (1024, 512))
        #expect(Viewport(width: 1024, height: 1024, enlarges: false).fit(width: 64, height: 32) == (64, 32))
    }

    @Test("Shrinking by 2 averages each 2x2 block; enlarging keeps a flat image flat")
    func resizeAverages() {
        let image = RenderedImage(width: 4, height: 2, components: 1, pixels: [0, 100, 200, 200, 50, 150, 0, 40])
        let half = image.resized(width: 2, height: 1)
        #expect(half.pixels == [75, 110])   // (0+100+50+150)/4, (200+200+0+40)/4
        let flat = RenderedImage(width: 3, height: 3, components: 3, pixels: [UInt8](repeating: 77, count: 27))
        #expect(flat.resized(width: 7, height: 5).pixels == [UInt8](repeating: 77, count: 105))
        // Bilinear between two pixels: the middle output of 0 → 255 over 4 outputs rises monotonically.
        let ramp = RenderedImage(width: 2, height: 1, components: 1, pixels: [0, 255]).resized(width: 4, height: 1)
        #expect(ramp.pixels == [0, 64, 191, 255])
    }

    @Test("A region cuts out the fraction of the image it names; the viewport then scales it")
    func regionThenViewport() throws {
        let pixels = (0..<100).map { UInt8($0) }
        let image = RenderedImage(width: 10, height: 10, components: 1, pixels: pixels)
        let region = try #require(RenderRegion(x1: 0.5, y1: 0, x2: 1, y2: 0.2))
        let cut = image.cropped(to: region)
        #expect(cut.width == 5 && cut.height == 2)
        #expect(cut.pixels == [5, 6, 7, 8, 9, 15, 16, 17, 18, 19])
        #expect(RenderRegion(x1: 0.5, y1: 0, x2: 0.4, y2: 1) == nil)
    }

    // MARK: - Encoders

    /// Reads back an 8-bit PNG written by PNGEncoder: chunks and CRCs checked, IDAT inflated, filters undone.
    func readPNG(_ png: [UInt8]) throws -> (width: Int, height: Int, colorType: UInt8, pixels: [UInt8]) {
        #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var i = 8, width = 0, height = 0, colorType: UInt8 = 0, idat: [UInt8] = []
        func be32(_ o: Int) -> Int { Int(png[o]) << 24 | Int(png[o + 1]) << 16 | Int(png[o + 2]) << 8 | Int(png[o + 3]) }
        while i + 12 <= png.count {
            let length = be32(i), type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
            let data = Array(png[(i + 8)..<(i + 8 + length)])
            var crc = PNGCRC32()
            crc.update(Array(png[(i + 4)..<(i + 8 + length)]))
            #expect(UInt32(be32(i + 8 + length)) == crc.value, "CRC of \(type)")
            if type == "IHDR" { width = be32(i + 8); height = be32(i + 12); colorType = data[9] }
            if type == "IDAT" { idat += data }
            i += 12 + length
        }
        let raw = try Deflate.inflate(idat, limit: 1 << 26)
        let bpp = colorType == 2 ? 3 : 1, rowBytes = width * bpp
        var out = [UInt8](repeating: 0, count: width * height * bpp)
        for y in 0..<height {
            let filter = raw[y * (rowBytes + 1)]
            for x in 0..<rowBytes {
                let v = raw[y * (rowBytes + 1) + 1 + x]
                let left = x >= bpp ? out[y * rowBytes + x - bpp] : 0
                let up = y > 0 ? out[(y - 1) * rowBytes + x] : 0
                switch filter {
                case 0: out[y * rowBytes + x] = v
                case 1: out[y * rowBytes + x] = v &+ left
                case 2: out[y * rowBytes + x] = v &+ up
                default: Issue.record("filter \(filter)")
                }
            }
        }
        return (width, height, colorType, out)
    }

    /// The CRC-32 of ISO 3309 (PNG §5.5), bit by bit: a check independent of zlib's.
    struct PNGCRC32 {
        var crc: UInt32 = 0xFFFF_FFFF
        mutating func update(_ bytes: [UInt8]) {
            for b in bytes {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
        }
        var value: UInt32 { crc ^ 0xFFFF_FFFF }
    }

    @Test("PNG: grey and RGB images read back to the same pixels, every chunk CRC right")
    func pngRoundTrip() throws {
        let grey = RenderedImage(width: 7, height: 5, components: 1, pixels: (0..<35).map { UInt8(($0 * 37) % 256) })
        let g = try readPNG(try grey.pngData())
        #expect(g.width == 7 && g.height == 5 && g.colorType == 0 && g.pixels == grey.pixels)
        let rgb = RenderedImage(width: 3, height: 4, components: 3, pixels: (0..<36).map { UInt8(($0 * 91) % 256) })
        let c = try readPNG(try rgb.pngData())
        #expect(c.width == 3 && c.height == 4 && c.colorType == 2 && c.pixels == rgb.pixels)
    }

    @Test("JPEG goes through the codec registry: without a JPEG Baseline encoder it is a clean .unsupported")
    func jpegThroughRegistry() throws {
        let image = RenderedImage(width: 16, height: 16, components: 1, pixels: [UInt8](repeating: 90, count: 256))
        let d = FrameDescriptor(rows: 16, columns: 16, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8, highBit: 7,
                                isSigned: false, planarConfiguration: 0, photometricInterpretation: "MONOCHROME2")
        if CodecRegistry.encoder(for: RenderedImage.jpegBaselineSyntax, d) == nil {
            #expect(throws: CodecError(.unsupported, "no JPEG Baseline encoder in the codec registry")) { try image.jpegData(quality: 80) }
        } else {
            let jpeg = try image.jpegData(quality: 80)
            #expect(Array(jpeg.prefix(4)) == [0xFF, 0xD8, 0xFF, 0xE0])   // SOI, then a JFIF APP0
            #expect(Array(jpeg.suffix(2)) == [0xFF, 0xD9])
        }
    }

    @Test("A JFIF APP0 marker is added to a YCbCr or grey stream that lacks one, not to an RGB stream")
    func jfifInserted() {
        let bare: [UInt8] = [0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x02, 0xFF, 0xD9]
        let withJFIF = RenderedImage.withJFIF(bare, photometric: "YBR_FULL_422")
        #expect(Array(withJFIF[2..<6]) == [0xFF, 0xE0, 0x00, 0x10])
        #expect(Array(withJFIF.suffix(6)) == Array(bare.suffix(6)))
        #expect(RenderedImage.withJFIF(bare, photometric: "RGB") == bare)
    }

    // MARK: - Real files

    @Test("CT_small: native frame extraction and the rescaled range mapped black to white")
    func ctSmallRenders() throws {
        let url = try #require(PydicomCorpus.testFile("CT_small.dcm"))
        let file = try DicomFile.read(path: url.path)
        let frame = try NativeFrames.frame(1, of: file.dataSet)
        #expect(frame.bytes.count == 128 * 128 * 2)
        #expect(throws: CodecError.self) { try NativeFrames.frame(2, of: file.dataSet) }
        let image = try PixelRenderer.render(dataSet: file.dataSet)
        #expect(image.width == 128 && image.height == 128 && image.components == 1)
        #expect(image.pixels.min() == 0 && image.pixels.max() == 255)
        let thumb = try PixelRenderer.render(dataSet: file.dataSet, options: RenderOptions(viewport: Viewport(width: 64, height: 32)))
        #expect(thumb.width == 32 && thumb.height == 32)
    }

    @Test("16-bit P-Values: the same window with 65536 levels; a 16-bit PNG holds them big endian")
    func grey16() throws {
        var ds = try greyDataSet(columns: 3, photometric: "MONOCHROME1")
        try ds.set(.windowCenter, string: "1000")
        try ds.set(.windowWidth, string: "1001")
        let frame = try frame16(ds, [0, 1000, 2000])
        let grey = try PixelRenderer.renderGrey16(frame, dataSet: ds)
        // MONOCHROME1: 65535 − ((1000 − 999.5)/1000 + 0.5)·65535 = 32734.7
        #expect(grey.samples == [65535, 32735, 0])
        let png = try PNGEncoder.encodeGrey16(width: 3, height: 1, samples: grey.samples)
        #expect(png[24] == 16 && png[25] == 0)   // IHDR bit depth 16, colour type 0
        let idatLength = Int(png[33]) << 24 | Int(png[34]) << 16 | Int(png[35]) << 8 | Int(png[36])
        let raw = try Deflate.inflate(Array(png[41..<(41 + idatLength)]), limit: 1 << 20)
        // Filter 1 (Sub) on the single row, 2 bytes per pixel.
        #expect(raw.count == 7 && raw[0] == 1 && raw[1] == 0xFF && raw[2] == 0xFF)
        #expect(throws: CodecError.self) {
            try PixelRenderer.renderGrey16(DecodedFrame(bytes: [1, 2, 3], descriptor: self.colorDescriptor("RGB", columns: 1)), dataSet: DataSet())
        }
    }

    // MARK: - Bad input

    @Test("Bad input gives a CodecError, never a crash: short frames, missing palettes, wild rescales and viewports")
    func badInput() throws {
        let ds = try greyDataSet(columns: 4)
        let short = DecodedFrame(bytes: [1, 2, 3], descriptor: try FrameDescriptor(ds))
        #expect(throws: CodecError.self) { try PixelRenderer.render(short, dataSet: ds) }
        var palette = try greyDataSet(columns: 1, photometric: "PALETTE COLOR")
        #expect(throws: CodecError.self) { try PixelRenderer.render(self.frame16(palette, [0]), dataSet: palette) }
        try palette.set(.redPaletteColorLookupTableDescriptor, uint16s: [0, 0, 16], vr: .US)   // 65536 entries…
        try palette.set(.redPaletteColorLookupTableData, uint16s: [1, 2], vr: .OW)             // …but 2 given
        #expect(throws: CodecError.self) { try PixelRenderer.render(self.frame16(palette, [0]), dataSet: palette) }
        var wild = try greyDataSet(columns: 2)
        try wild.set(.rescaleSlope, string: "1e308")
        try wild.set(.rescaleIntercept, string: "1e308")
        var item = DataSet()
        try item.set(.lutDescriptor, uint16s: [2, 0, 8], vr: .US)
        try item.set(.lutData, uint16s: [0, 255], vr: .US)
        wild.set(.voilutSequence, sequence: [item])
        #expect(try PixelRenderer.render(frame16(wild, [0, 65535]), dataSet: wild).pixels.count == 2)
        var highBit = try greyDataSet(columns: 1)
        try highBit.set(.highBit, int: 16)
        #expect(throws: CodecError.self) { try PixelRenderer.render(self.frame16(highBit, [0]), dataSet: highBit) }
        #expect(Viewport(width: 1_000_000, height: 1_000_000).fit(width: 512, height: 256) == (16384, 8192))
        // A 16-bit PNG whose samples do not fill its size is refused, not written short.
        #expect(throws: CodecError.self) { try PNGEncoder.encodeGrey16(width: 2, height: 2, samples: [1, 2, 3]) }
        #expect(throws: CodecError.self) { try PNGEncoder.encodeGrey16(width: 0, height: 0, samples: []) }
    }
}

@Suite("Rendering parameters")
struct RenderingParameterTests {
    @Test("window, viewport and region parameters parse as PS3.18 writes them; malformed ones give nil")
    func parameters() throws {
        #expect(VOIWindow(parameter: "40,400") == VOIWindow(center: 40, width: 400, function: .linear))
        #expect(VOIWindow(parameter: "-600, 1500, linear-exact") == VOIWindow(center: -600, width: 1500, function: .linearExact))
        #expect(VOIWindow(parameter: "40,400,SIGMOID")?.function == .sigmoid)
        #expect(VOIWindow(parameter: "40,0") == nil)
        #expect(VOIWindow(parameter: "40") == nil)
        #expect(VOIWindow(parameter: "40,400,gamma") == nil)
        #expect(VOIWindow(parameter: "nan,400") == nil)
        #expect(Viewport(parameter: "256,256") == Viewport(width: 256, height: 256))
        #expect(Viewport(parameter: ",128") == Viewport(width: nil, height: 128))
        #expect(Viewport(parameter: ",") == nil)
        #expect(Viewport(parameter: "0,10") == nil)
        #expect(Viewport(parameter: "a,10") == nil)
        #expect(RenderRegion(parameter: "0.1,0.2,0.9,1") == RenderRegion(x1: 0.1, y1: 0.2, x2: 0.9, y2: 1))
        #expect(RenderRegion(parameter: "0,0,1") == nil)
        #expect(RenderRegion(parameter: "0.5,0,0.5,1") == nil)
    }
}
