/// Why a data set could not be turned into the DICOM JSON or XML model, or JSON text into a
/// data set. Paths are RFC 6901 JSON Pointers into the JSON document ("/00081199/Value/0/00081150").
public enum DicomJSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not JSON (RFC 8259): `offset` is the byte where parsing stopped.
    case syntax(offset: Int, reason: String)
    /// JSON, but not the DICOM JSON Model of PS3.18 §F.2: a bad key, a missing "vr", a value of the wrong type.
    case invalidStructure(path: String, reason: String)
    /// A value that its VR cannot hold (a US above 65535, bad base64, a tag that is not 8 hex digits).
    case invalidValue(path: String, reason: String)
    /// A string that the data set's Specific Character Set cannot encode.
    case unencodable(path: String, characterSet: [String])
    /// A binary value whose length is not a multiple of its VR's value size (PS3.5 §6.2).
    case invalidValueLength(path: String, vr: VR, length: Int)
    /// A value left in its source file could not be loaded to be inlined.
    case bulkData(path: String, DicomReadError)

    public var description: String {
        switch self {
        case .syntax(let offset, let reason): return "not JSON at byte \(offset): \(reason)"
        case .invalidStructure(let path, let reason): return "\(path): \(reason)"
        case .invalidValue(let path, let reason): return "\(path): \(reason)"
        case .unencodable(let path, let cs):
            return "\(path): not encodable in Specific Character Set \(cs.joined(separator: "\\"))"
        case .invalidValueLength(let path, let vr, let length):
            return "\(path): \(length) bytes is not a whole number of \(vr.rawValue) values"
        case .bulkData(let path, let error): return "\(path): \(error)"
        }
    }
}
