// RFC 9110 §12.5.1 (Accept) with the parameters PS3.18 §8.7.3 gives DICOMweb media types:
// `multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1; q=0.9`.

/// One media range of an Accept header (or an `accept` query parameter, PS3.18 §8.3.3.1).
struct MediaRange: Sendable, Equatable, CustomStringConvertible {
    /// "type/subtype", lower case.
    var type: String
    /// Parameter names in lower case, values unquoted (the `type` value lower case).
    var parameters: [String: String]
    /// The quality value, 0…1 (RFC 9110 §12.4.2).
    var quality: Double

    var description: String {
        ([type] + parameters.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }).joined(separator: "; ")
    }

    /// For multipart/related, the media type of the parts (`type` parameter); else the type itself.
    var partType: String { type == "multipart/related" ? (parameters["type"] ?? "") : type }
    var transferSyntax: String? { parameters["transfer-syntax"] }

    /// Whether this range accepts `mediaType` ("image/jpeg", "application/dicom+json").
    func matches(_ mediaType: String) -> Bool {
        if type == "*/*" { return true }
        if type.hasSuffix("/*") { return mediaType.hasPrefix(type.dropLast()) }
        return type == mediaType
    }

    /// Whether this range accepts a multipart/related response whose parts are `mediaType`, or
    /// that single type itself: `*/*`, `multipart/related` with `type` absent, `*/*`, the type or
    /// its `x/*` wildcard.
    func acceptsParts(of mediaType: String) -> Bool {
        if type == "*/*" || type == mediaType { return true }
        guard type == "multipart/related" || type == "multipart/*" else { return false }
        let part = partType
        if part.isEmpty || part == "*/*" || part == mediaType { return true }
        return part.hasSuffix("/*") && mediaType.hasPrefix(part.dropLast())
    }

    /// Longest Accept value read; longer is a 400 (the "1 MB Accept header").
    static let maxHeaderLength = 8192

    /// Reads an Accept header value into its ranges, best first (stable for equal quality).
    /// An empty or absent header is `*/*`.
    /// - Throws: `DicomWebError` 400 for an over-long header or a range that is not `type/subtype`.
    static func parseAccept(_ header: String?) throws(DicomWebError) -> [MediaRange] {
        guard let header, !header.allSatisfy({ $0 == " " }) else { return [MediaRange(type: "*/*", parameters: [:], quality: 1)] }
        guard header.utf8.count <= maxHeaderLength else {
            throw .badRequest("the Accept header is longer than \(maxHeaderLength) bytes")
        }
        var ranges: [(Int, MediaRange)] = []
        for (i, item) in splitOutsideQuotes(header, on: ",").enumerated() {
            let text = item.trimmedOWS
            if text.isEmpty { continue }
            ranges.append((i, try parseRange(text)))
        }
        if ranges.isEmpty { throw .badRequest("the Accept header names no media type") }
        return ranges.sorted { $0.1.quality != $1.1.quality ? $0.1.quality > $1.1.quality : $0.0 < $1.0 }.map(\.1)
    }

    static func parseRange(_ text: String) throws(DicomWebError) -> MediaRange {
        let pieces = splitOutsideQuotes(text, on: ";").map { $0.trimmedOWS }
        let type = (pieces.first ?? "").lowercased()
        let halves = type.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty,
              type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "!#$&^_.+-*/".contains($0)) }) else {
            throw .badRequest("\"\(text.prefix(80))\" is not a media type")
        }
        var parameters: [String: String] = [:]
        var quality = 1.0
        for p in pieces.dropFirst() where !p.isEmpty {
            guard let eq = p.firstIndex(of: "=") else { throw .badRequest("media type parameter \"\(p.prefix(80))\" has no value") }
            let name = p[..<eq].trimmedOWS.lowercased()
            var value = p[p.index(after: eq)...].trimmedOWS
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            if name == "q" {
                guard let q = Double(value), (0...1).contains(q) else { throw .badRequest("q=\(value.prefix(20)) is not a quality value") }
                quality = q
            } else {
                parameters[name] = name == "type" ? alias(value.lowercased()) : value
            }
        }
        return MediaRange(type: alias(type), parameters: parameters, quality: quality)
    }

    /// Names seen in the field for a registered type: "image/jhc" (HTJ2K) is image/jphc.
    static func alias(_ type: String) -> String {
        type == "image/jhc" ? "image/jphc" : type
    }

    /// Splits on `separator` where it is not inside a quoted string.
    static func splitOutsideQuotes(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for ch in text {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" && quoted { current.append(ch); escaped = true; continue }
            if ch == "\"" { quoted.toggle() }
            if ch == separator && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }
}

import Foundation
