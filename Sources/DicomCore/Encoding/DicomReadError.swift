/// Why a file or data set could not be read, where (byte offset in the source) and in which element.
public struct DicomReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The source ended: `needed` more bytes were expected, `available` were there.
        case truncated(needed: UInt64, available: UInt64)
        /// A length field larger than what remains of the source (or its enclosing item).
        case valueTooLong(length: UInt64, remaining: UInt64)
        /// Explicit VR bytes that are not one of the 34 VRs.
        case invalidVR(UInt8, UInt8)
        /// An item or delimiter where PS3.5 §7.5 does not allow it, or something else where an item must be.
        case unexpectedTag(Tag)
        /// Undefined length on an element that cannot have it (PS3.5 §7.1.1).
        case undefinedLengthNotAllowed
        /// Sequences nested deeper than the reader allows.
        case nestingTooDeep(Int)
        /// Neither a Part 10 file nor a recognisable raw data set.
        case notDICOM(String)
        /// The deflated stream is corrupt or too large.
        case deflate(String)
        /// A file-system error.
        case io(path: String, errno: Int32)
        /// A File Meta element is missing or invalid.
        case invalidFileMeta(String)
    }

    public let reason: Reason
    /// Offset in the source of the element (or item) being read, in the decoded stream for deflated data.
    public let offset: UInt64
    /// The element being read, when one was.
    public let tag: Tag?

    public init(_ reason: Reason, offset: UInt64, tag: Tag? = nil) {
        self.reason = reason
        self.offset = offset
        self.tag = tag
    }

    func with(tag: Tag) -> DicomReadError {
        self.tag == nil ? DicomReadError(reason, offset: offset, tag: tag) : self
    }

    public var description: String {
        if case .io(_, let e) = reason, offset == 0 {
            // Opening failed: the caller names the path.
            return String(cString: strerror(e))
        }
        var s = "at byte \(offset)"
        if let tag { s += " in element \(tag)" }
        switch reason {
        case .truncated(let needed, let available):
            s += ": data ends early (needed \(needed) bytes, \(available) available)"
        case .valueTooLong(let length, let remaining):
            s += ": value length \(length) exceeds the \(remaining) bytes that remain"
        case .invalidVR(let a, let b):
            s += ": invalid VR bytes 0x\(String(a, radix: 16)) 0x\(String(b, radix: 16))"
        case .unexpectedTag(let t):
            s += ": unexpected \(t)"
        case .undefinedLengthNotAllowed:
            s += ": undefined length not allowed here"
        case .nestingTooDeep(let d):
            s += ": sequences nested deeper than \(d) levels"
        case .notDICOM(let why):
            s += ": not DICOM (\(why))"
        case .deflate(let why):
            s += ": deflated data set unreadable (\(why))"
        case .io(let path, let e):
            s += ": \(path): \(String(cString: strerror(e)))"
        case .invalidFileMeta(let why):
            s += ": invalid File Meta Information (\(why))"
        }
        return s
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
