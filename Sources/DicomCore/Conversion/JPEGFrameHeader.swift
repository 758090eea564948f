// The little of a JPEG interchange stream (ISO/IEC 10918-1 Annex B) that wrapping it as DICOM
// needs: the frame header (SOF) for the Image Pixel Module, and the JFIF / Adobe markers that say
// which colour space the components are in. The entropy-coded data is never looked at.

/// Why an image or document cannot be wrapped as DICOM.
public enum ImageConversionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes do not start with SOI (FF D8).
    case notJPEG
    /// A marker segment runs past the end of the data, at this byte offset.
    case truncated(offset: Int)
    /// Scan data (SOS) or EOI came before any frame header.
    case noFrameHeader
    /// A frame header other than SOF0/SOF1 (e.g. C2 progressive, C3 lossless).
    case unsupportedProcess(marker: UInt8)
    /// Sample precision other than 8 bits (e.g. 12-bit extended).
    case unsupportedPrecision(Int)
    /// Neither 1 (grey) nor 3 (colour) components.
    case unsupportedComponentCount(Int)
    /// Zero rows (DNL-defined height) or zero columns.
    case unsupportedDimensions(rows: Int, columns: Int)
    /// The input does not start with "%PDF-" (ISO 32000-1 §7.5.2).
    case notPDF
    /// The value does not fit in a 32-bit DICOM length.
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .notJPEG: return "not a JPEG file (no SOI marker FF D8 at the start)"
        case .truncated(let o): return "JPEG marker segment truncated at byte \(o)"
        case .noFrameHeader: return "no JPEG frame header (SOF) before the scan data"
        case .unsupportedProcess(let m):
            let name: String
            switch m {
            case 0xC2: name = "progressive (SOF2)"
            case 0xC3: name = "lossless (SOF3)"
            case 0xC9, 0xCA, 0xCB: name = "arithmetic-coded (SOF\(m - 0xC0))"
            default: name = "SOF\(m &- 0xC0)"
            }
            return "unsupported JPEG process: \(name); only baseline (SOF0) and extended sequential (SOF1) 8-bit are wrapped without re-encoding"
        case .unsupportedPrecision(let p): return "unsupported JPEG sample precision \(p) bits; only 8-bit is wrapped"
        case .unsupportedComponentCount(let n): return "unsupported JPEG component count \(n); only 1 (grey) or 3 (colour)"
        case .unsupportedDimensions(let r, let c): return "unsupported JPEG dimensions \(c)x\(r)"
        case .notPDF: return "not a PDF file (does not start with %PDF-)"
        case .tooLarge(let n): return "\(n) bytes is more than a DICOM element can hold"
        }
    }
}

/// The frame header of a sequential 8-bit JPEG (ISO/IEC 10918-1 §B.2.2) and the colour-space hints.
public struct JPEGFrameHeader: Sendable, Equatable {
    /// One frame component: identifier and sampling factors.
    public struct Component: Sendable, Equatable {
        public var identifier: UInt8
        public var horizontalSampling: Int
        public var verticalSampling: Int
    }

    /// The SOF marker's second byte: 0xC0 baseline, 0xC1 extended sequential (Huffman).
    public var marker: UInt8
    public var precision: Int
    public var rows: Int
    public var columns: Int
    public var components: [Component]
    /// An APP0 "JFIF" segment is present: the components are YCbCr (JFIF 1.02).
    public var hasJFIF: Bool
    /// The Adobe APP14 segment's transform flag: 0 = no transform (RGB), 1 = YCbCr.
    public var adobeTransform: UInt8?

    /// The components are R, G, B (not transformed to YCbCr): an Adobe marker with transform 0,
    /// or component identifiers 'R','G','B' and no JFIF marker.
    public var isRGB: Bool {
        guard components.count == 3 else { return false }
        if let t = adobeTransform { return t == 0 }
        if hasJFIF { return false }
        return components.map(\.identifier) == [0x52, 0x47, 0x42]
    }

    /// The chrominance components are sampled less often than luminance in either direction.
    public var isChromaSubsampled: Bool {
        guard components.count == 3 else { return false }
        let y = components[0]
        return components.dropFirst().contains {
            $0.horizontalSampling < y.horizontalSampling || $0.verticalSampling < y.verticalSampling
        }
    }

    /// The Photometric Interpretation of the image as encoded in the stream (PS3.5 §8.2.1,
    /// PS3.3 §C.7.6.3.1.2): MONOCHROME2 for one component; RGB when the components were not
    /// transformed; YBR_FULL_422 when the chrominance is subsampled (PS3.5 §8.2.1 signals
    /// subsampled lossy JPEG YCbCr this way, 4:2:0 included, as DCMTK's img2dcm does); else
    /// YBR_FULL.
    public var photometricInterpretation: String {
        if components.count == 1 { return "MONOCHROME2" }
        if isRGB { return "RGB" }
        return isChromaSubsampled ? "YBR_FULL_422" : "YBR_FULL"
    }

    /// Reads markers from SOI up to the first frame header.
    /// - Throws: `ImageConversionError` for anything but an 8-bit SOF0/SOF1 frame of 1 or 3 components.
    public static func parse(_ bytes: [UInt8]) throws(ImageConversionError) -> JPEGFrameHeader {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { throw .notJPEG }
        var hasJFIF = false
        var adobe: UInt8?
        var i = 2
        while true {
            // §B.1.1.2: a marker is FF followed by a code; any number of FF fill bytes may precede it.
            guard i < bytes.count else { throw .truncated(offset: i) }
            guard bytes[i] == 0xFF else { throw .truncated(offset: i) }
            while i < bytes.count, bytes[i] == 0xFF { i += 1 }
            guard i < bytes.count else { throw .truncated(offset: i) }
            let code = bytes[i]
            i += 1
            // Markers without a length (§B.1.1.3): TEM, RSTn, SOI.
            if code == 0x01 || (0xD0...0xD8).contains(code) { continue }
            if code == 0xD9 || code == 0xDA { throw .noFrameHeader }   // EOI or SOS before SOF
            guard i + 2 <= bytes.count else { throw .truncated(offset: i) }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard length >= 2, i + length <= bytes.count else { throw .truncated(offset: i) }
            let segment = bytes[(i + 2)..<(i + length)]
            let s = segment.startIndex
            switch code {
            case 0xE0:
                if segment.count >= 5, Array(segment[s..<(s + 5)]) == Array("JFIF\0".utf8) { hasJFIF = true }
            case 0xEE:
                // Adobe APP14: "Adobe", version(2), flags0(2), flags1(2), transform(1).
                if segment.count >= 12, Array(segment[s..<(s + 5)]) == Array("Adobe".utf8) { adobe = segment[s + 11] }
            case 0xC0, 0xC1:
                return try frameHeader(code, segment: Array(segment), at: i, hasJFIF: hasJFIF, adobe: adobe)
            case 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
                throw .unsupportedProcess(marker: code)
            default:
                break
            }
            i += length
        }
    }

    /// §B.2.2: P, Y, X, Nf, then Nf × (Ci, Hi<<4|Vi, Tqi).
    private static func frameHeader(_ code: UInt8, segment: [UInt8], at offset: Int, hasJFIF: Bool,
                                    adobe: UInt8?) throws(ImageConversionError) -> JPEGFrameHeader {
        guard segment.count >= 6 else { throw .truncated(offset: offset) }
        let precision = Int(segment[0])
        let rows = Int(segment[1]) << 8 | Int(segment[2])
        let columns = Int(segment[3]) << 8 | Int(segment[4])
        let count = Int(segment[5])
        guard segment.count >= 6 + 3 * count else { throw .truncated(offset: offset) }
        guard precision == 8 else { throw .unsupportedPrecision(precision) }
        guard count == 1 || count == 3 else { throw .unsupportedComponentCount(count) }
        guard rows > 0, columns > 0 else { throw .unsupportedDimensions(rows: rows, columns: columns) }
        let components = (0..<count).map { k in
            Component(identifier: segment[6 + 3 * k],
                      horizontalSampling: Int(segment[7 + 3 * k] >> 4), verticalSampling: Int(segment[7 + 3 * k] & 0x0F))
        }
        return JPEGFrameHeader(marker: code, precision: precision, rows: rows, columns: columns,
                               components: components, hasJFIF: hasJFIF, adobeTransform: adobe)
    }
}
