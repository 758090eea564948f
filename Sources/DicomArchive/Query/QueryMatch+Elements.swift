// A match's values as data elements: one conversion for C-FIND response identifiers
// (DimseServer) and QIDO-RS results (WadoGateway).
import DicomCore

extension QueryMatch {
    /// Puts `key` into `dataSet`: its value when the match has one, else a zero-length element
    /// (PS3.4 §C.4.1.1.3.2 and PS3.18 §10.6.3: a requested key with no value is returned empty).
    /// Text is encoded in the data set's character set.
    /// - Throws: `ValueError` when the value cannot be encoded in that character set.
    public func put(_ key: QueryKey, into dataSet: inout DataSet) throws(ValueError) {
        if let value = values[key], !value.isEmpty {
            switch key.vr {
            case .US:
                if let n = Int(value) { try dataSet.set(key.tag, ints: [n], vr: .US) }
            default:
                try dataSet.set(key.tag, string: value, vr: key.vr)
            }
        }
        if dataSet[key.tag] == nil { dataSet[key.tag] = DataElement(tag: key.tag, vr: key.vr, value: .bytes([])) }
    }
}
