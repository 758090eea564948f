// HL7 v2.5 Chapter 2 (Control): the encoding rules of a message — segments separated by CR,
// fields by MSH-1, then components, repetitions, subcomponents and the escape character as
// MSH-2 declares them (§2.5.4, §2.7 escape sequences).

/// Why a message cannot be read; answered with an AR acknowledgement, never a crash.
public struct HL7ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The delimiters of MSH-1 and MSH-2 (HL7 v2.5 §2.5.4).
public struct HL7Delimiters: Sendable, Equatable {
    public var field: Character = "|"
    public var component: Character = "^"
    public var repetition: Character = "~"
    public var escape: Character = "\\"
    public var subcomponent: Character = "&"
    public init() {}
}

/// One segment: its ID and its fields, raw (still escaped). Field n of a non-MSH segment is
/// `fields[n]`; for MSH, `fields[1]` is the field separator itself, so numbering is the standard's.
public struct HL7Segment: Sendable, Equatable {
    public var id: String
    public var fields: [String]
    let delimiters: HL7Delimiters

    /// Field `n` (1-based), raw; "" when absent.
    public func raw(_ n: Int) -> String { n < fields.count ? fields[n] : "" }

    /// Component `c` (1-based) of the first repetition of field `n`, unescaped; "" when absent.
    public func value(_ n: Int, _ c: Int = 1, repetition r: Int = 0) -> String {
        let reps = raw(n).split(separator: delimiters.repetition, omittingEmptySubsequences: false)
        guard r < reps.count else { return "" }
        let comps = reps[r].split(separator: delimiters.component, omittingEmptySubsequences: false)
        guard c - 1 < comps.count else { return "" }
        // Only the first subcomponent: the parts of a component we map are all simple.
        let sub = comps[c - 1].split(separator: delimiters.subcomponent, omittingEmptySubsequences: false).first ?? ""
        return HL7Message.unescape(String(sub), delimiters)
    }

    /// The subcomponents of component `c` of the first repetition of field `n`, unescaped.
    public func subcomponents(_ n: Int, _ c: Int = 1) -> [String] {
        let first = raw(n).split(separator: delimiters.repetition, omittingEmptySubsequences: false).first ?? ""
        let comps = first.split(separator: delimiters.component, omittingEmptySubsequences: false)
        guard c - 1 < comps.count else { return [] }
        return comps[c - 1].split(separator: delimiters.subcomponent, omittingEmptySubsequences: false)
            .map { HL7Message.unescape(String($0), delimiters) }
    }

    /// All components of the first repetition of field `n`, unescaped.
    public func components(_ n: Int) -> [String] {
        let first = raw(n).split(separator: delimiters.repetition, omittingEmptySubsequences: false).first ?? ""
        return first.split(separator: delimiters.component, omittingEmptySubsequences: false).map {
            HL7Message.unescape(String($0.split(separator: delimiters.subcomponent, omittingEmptySubsequences: false).first ?? ""), delimiters)
        }
    }
}

public struct HL7Message: Sendable, Equatable {
    public var segments: [HL7Segment]
    public var delimiters: HL7Delimiters

    /// The first segment with this ID.
    public func segment(_ id: String) -> HL7Segment? { segments.first { $0.id == id } }

    /// MSH-9: message type and trigger event, e.g. ("ORM", "O01").
    public var messageType: (type: String, event: String) {
        guard let msh = segment("MSH") else { return ("", "") }
        return (msh.value(9, 1), msh.value(9, 2))
    }
    /// MSH-10 Message Control ID.
    public var controlID: String { segment("MSH")?.value(10) ?? "" }

    /// Parses a message (the bytes inside an MLLP frame). Text is UTF-8; bytes that are not
    /// valid UTF-8 are read as ISO 8859-1 (MSH-18 "8859/1", the common default).
    /// - Throws: `HL7ParseError` when it does not start with an MSH segment with delimiters.
    public static func parse(_ bytes: [UInt8]) throws(HL7ParseError) -> HL7Message {
        let text: String
        if let utf8 = String(validating: bytes, as: UTF8.self) {
            text = utf8
        } else {
            text = String(bytes.map { Character(Unicode.Scalar($0)) })
        }
        return try parse(text)
    }

    public static func parse(_ text: String) throws(HL7ParseError) -> HL7Message {
        // §2.5.2: segments end with CR; LF and CRLF are accepted from lenient senders.
        let lines = text.replacingOccurrences(of: "\r\n", with: "\r").replacingOccurrences(of: "\n", with: "\r")
            .split(separator: "\r", omittingEmptySubsequences: true).map(String.init)
            .filter { !$0.allSatisfy { $0 == " " } }
        guard let first = lines.first else { throw HL7ParseError("empty message") }
        let mshChars = Array(first)
        guard first.hasPrefix("MSH"), mshChars.count >= 8 else { throw HL7ParseError("message does not start with an MSH segment") }
        var d = HL7Delimiters()
        d.field = mshChars[3]
        let enc = Array(mshChars[4...]).prefix { $0 != d.field }
        guard enc.count >= 2 else { throw HL7ParseError("MSH-2 encoding characters missing") }
        d.component = enc[0]
        d.repetition = enc[1]
        if enc.count > 2 { d.escape = enc[2] }
        if enc.count > 3 { d.subcomponent = enc[3] }
        let used = [d.field] + Array(enc.prefix(4))
        guard Set(used).count == used.count, !d.field.isLetter, !d.field.isNumber else {
            throw HL7ParseError("MSH delimiters are not distinct")
        }
        var segments: [HL7Segment] = []
        for line in lines {
            var parts = line.split(separator: d.field, omittingEmptySubsequences: false).map(String.init)
            guard let id = parts.first, id.count == 3, id.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
                throw HL7ParseError("segment \(segments.count + 1) has no valid segment ID")
            }
            if id == "MSH" {
                // MSH-1 is the field separator itself: insert it so field numbers are the standard's.
                parts.insert(String(d.field), at: 1)
            }
            segments.append(HL7Segment(id: id, fields: parts, delimiters: d))
        }
        return HL7Message(segments: segments, delimiters: d)
    }

    /// §2.7: \F\ \S\ \T\ \R\ \E\ and \Xhh..\ (hex bytes, UTF-8); formatting escapes (\H\, \N\, \.br\ ...) are dropped.
    public static func unescape(_ s: String, _ d: HL7Delimiters) -> String {
        guard s.contains(d.escape) else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            guard ch == d.escape, let close = s[s.index(after: i)...].firstIndex(of: d.escape) else {
                out.append(ch); i = s.index(after: i); continue
            }
            let seq = s[s.index(after: i)..<close]
            switch seq {
            case "F": out.append(d.field)
            case "S": out.append(d.component)
            case "T": out.append(d.subcomponent)
            case "R": out.append(d.repetition)
            case "E": out.append(d.escape)
            default:
                if seq.first == "X" {
                    let hex = Array(seq.dropFirst())
                    var bytes: [UInt8] = []
                    var k = 0
                    while k + 1 < hex.count {
                        if let b = UInt8(String(hex[k...k + 1]), radix: 16) { bytes.append(b) }
                        k += 2
                    }
                    out += String(decoding: bytes, as: UTF8.self)
                }
            }
            i = s.index(after: close)
        }
        return out
    }

    /// The inverse of `unescape` for text we put in a field (ACK texts).
    public static func escape(_ s: String, _ d: HL7Delimiters = HL7Delimiters()) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case d.escape: out += "\(d.escape)E\(d.escape)"
            case d.field: out += "\(d.escape)F\(d.escape)"
            case d.component: out += "\(d.escape)S\(d.escape)"
            case d.subcomponent: out += "\(d.escape)T\(d.escape)"
            case d.repetition: out += "\(d.escape)R\(d.escape)"
            case "\r", "\n": out += " "
            default: out.append(ch)
            }
        }
        return out
    }
}

/// §2.9.2 original acknowledgement mode: MSA-1 AA (accepted), AE (error), AR (rejected).
public enum HL7AckCode: String, Sendable {
    case accept = "AA", error = "AE", reject = "AR"
}

extension HL7Message {
    /// The ACK to `message` (or to an unreadable message, with empty identifiers).
    /// MSH-3/4 and MSH-5/6 swap; MSA-2 echoes MSH-10; MSA-3 and ERR-8 carry the reason.
    public static func acknowledgement(to message: HL7Message?, code: HL7AckCode, text: String?, timestamp: String,
                                       controlID: String) -> String {
        let msh = message?.segment("MSH")
        let d = HL7Delimiters()
        func f(_ n: Int) -> String { msh?.raw(n) ?? "" }
        let event = message?.messageType.event ?? ""
        var s = "MSH|^~\\&|\(f(5))|\(f(6))|\(f(3))|\(f(4))|\(timestamp)||ACK^\(event)^ACK|\(controlID)|P|2.5\r"
        s += "MSA|\(code.rawValue)|\(escape(message?.controlID ?? "", d))"
        if let text { s += "|\(escape(text, d))" }
        s += "\r"
        if code != .accept, let text {
            // ERR-3 HL7 error code (Table 0357: 100 segment sequence error, 200 unsupported message type,
            // 207 application internal error), ERR-4 severity E, ERR-8 user message.
            let errCode = code == .reject ? "200^Unsupported message type^HL70357" : "207^Application internal error^HL70357"
            s += "ERR|||\(errCode)|E||||\(escape(text, d))\r"
        }
        return s
    }
}
