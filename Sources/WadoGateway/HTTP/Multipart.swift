// RFC 2387 multipart/related as PS3.18 §8.7.3 uses it: each part has its own Content-Type;
// the boundary is random and never occurs in DICOM parts by chance (RFC 2046 §5.1.1).
import Foundation

enum Multipart {
    /// A fresh boundary: 32 random hex digits (always 42 characters, so a body's length does not
    /// depend on the draw).
    static func newBoundary() -> String {
        var g = SystemRandomNumberGenerator()
        return "dicomnode-" + (0..<2).map { _ in
            let hex = String(g.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// The delimiter and headers that open a part (RFC 2046 §5.1.1).
    static func partHeader(boundary: String, contentType: String, extra: [(String, String)] = []) -> String {
        var s = "--\(boundary)\r\nContent-Type: \(contentType)\r\n"
        for (name, value) in extra { s += "\(name): \(value)\r\n" }
        return s + "\r\n"
    }

    /// The close delimiter; the CRLF before it ends the last part's body.
    static func closing(boundary: String) -> String { "--\(boundary)--\r\n" }
}
