// RFC 2046 §5.1.1: a multipart body read as it arrives. Part bodies are handed on in pieces,
// never held whole: STOW-RS writes each part to a staging file while the request streams in.
#if canImport(Glibc)
import Glibc
#endif

/// Splits a multipart body into parts, incrementally.
struct MultipartReader {
    /// What `feed` found.
    enum Event: Equatable {
        /// A part begins, with its header fields (names lower-cased).
        case partStart(headers: [String: String])
        /// Bytes of the current part's body.
        case body([UInt8])
        /// The current part's body is complete.
        case partEnd
        /// The close delimiter was read: the body is complete.
        case end
    }

    enum Failure: Error, Equatable {
        case malformed(String)
    }

    private enum State { case preamble, headers, body, epilogue }
    private var state = State.preamble
    private var pending: [UInt8] = []
    /// "\r\n--boundary": what ends a part body. The first delimiter may come without the CRLF.
    private let delimiter: [UInt8]
    /// Header blocks longer than this are refused (a part's headers are a few lines).
    static let maxHeaderBytes = 16 * 1024

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The body may begin directly with the first delimiter: pretend a CRLF came before it.
        pending = [0x0D, 0x0A]
    }

    var isComplete: Bool { state == .epilogue }

    /// Takes the next bytes of the body; returns what they complete.
    /// - Throws: `Failure.malformed` when the structure is broken (no headers end, bad delimiter line).
    mutating func feed(_ bytes: some Collection<UInt8>) throws(Failure) -> [Event] {
        if state == .epilogue { return [] }
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        while true {
            switch state {
            case .preamble:
                guard let at = find(delimiter, in: pending) else {
                    // Keep only what could still be the start of a delimiter.
                    if pending.count > delimiter.count { pending.removeFirst(pending.count - delimiter.count) }
                    return events
                }
                guard let after = try delimiterLineEnd(at: at + delimiter.count) else { return events }
                if after.closing { state = .epilogue; events.append(.end); return events }
                pending.removeFirst(after.next)
                state = .headers
            case .headers:
                guard let end = find([0x0D, 0x0A, 0x0D, 0x0A], in: pending) else {
                    // A part with no header fields: the blank line follows the delimiter's CRLF at once.
                    if pending.starts(with: [0x0D, 0x0A]) {
                        pending.removeFirst(2)
                        events.append(.partStart(headers: [:]))
                        state = .body
                        continue
                    }
                    if pending.count > Self.maxHeaderBytes { throw .malformed("part headers longer than \(Self.maxHeaderBytes) bytes") }
                    return events
                }
                if pending.starts(with: [0x0D, 0x0A]) {
                    pending.removeFirst(2)
                    events.append(.partStart(headers: [:]))
                    state = .body
                    continue
                }
                let block = String(decoding: pending[0..<end], as: UTF8.self)
                pending.removeFirst(end + 4)
                var headers: [String: String] = [:]
                for line in block.split(separator: "\r\n") {
                    guard let colon = line.firstIndex(of: ":") else { throw .malformed("part header line without a colon") }
                    headers[line[..<colon].trimmedOWS.lowercased()] =
                        line[line.index(after: colon)...].trimmedOWS
                }
                events.append(.partStart(headers: headers))
                state = .body
            case .body:
                guard let at = find(delimiter, in: pending) else {
                    let keep = delimiter.count - 1
                    if pending.count > keep {
                        let n = pending.count - keep
                        events.append(.body(Array(pending[0..<n])))
                        pending.removeFirst(n)
                    }
                    return events
                }
                guard let after = try delimiterLineEnd(at: at + delimiter.count) else {
                    // The delimiter's line is not complete yet; hand on the body before it.
                    if at > 0 {
                        events.append(.body(Array(pending[0..<at])))
                        pending.removeFirst(at)
                    }
                    return events
                }
                if at > 0 { events.append(.body(Array(pending[0..<at]))) }
                events.append(.partEnd)
                if after.closing {
                    state = .epilogue
                    pending = []
                    events.append(.end)
                    return events
                }
                pending.removeFirst(after.next)
                state = .headers
            case .epilogue:
                return events
            }
        }
    }

    /// After a delimiter at `index`: "--" (close) or optional whitespace then CRLF (next part).
    /// nil when more bytes are needed.
    private func delimiterLineEnd(at index: Int) throws(Failure) -> (closing: Bool, next: Int)? {
        var i = index
        guard i + 2 <= pending.count else { return nil }
        if pending[i] == 0x2D && pending[i + 1] == 0x2D { return (true, i + 2) }
        while i < pending.count && (pending[i] == 0x20 || pending[i] == 0x09) { i += 1 }
        guard i + 2 <= pending.count else { return nil }
        guard pending[i] == 0x0D && pending[i + 1] == 0x0A else { throw .malformed("a boundary delimiter is not followed by CRLF") }
        return (false, i + 2)
    }

    /// The first index of `needle` in `haystack` (memchr for the first byte, then compare).
    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBytes { h -> Int? in
            needle.withUnsafeBytes { n -> Int? in
                guard let hb = h.baseAddress, let nb = n.baseAddress else { return nil }
                var start = 0
                let last = h.count - n.count
                while start <= last {
                    guard let p = memchr(hb + start, Int32(first), last - start + 1) else { return nil }
                    let at = hb.distance(to: UnsafeRawPointer(p))
                    if memcmp(hb + at, nb, n.count) == 0 { return at }
                    start = at + 1
                }
                return nil
            }
        }
    }
}
