/// Shortcuts from a data set to the DICOM JSON Model (PS3.18 §F.2) and the Native DICOM Model
/// XML (PS3.18 §F.3), and back from JSON.
extension DataSet {
    /// The data set as DICOM JSON text (UTF-8), every value inline unless `encoder` says otherwise.
    /// - Throws: `DicomJSONError` naming the element that could not be written.
    public func dicomJSON(_ encoder: DicomJSONEncoder = .inlineEverything) throws(DicomJSONError) -> [UInt8] {
        try encoder.encode(self)
    }

    /// The data set as a Native DICOM Model XML document (UTF-8).
    /// - Throws: `DicomJSONError` naming the element that could not be written.
    public func nativeDicomModelXML(_ encoder: DicomXMLEncoder = DicomXMLEncoder()) throws(DicomJSONError) -> [UInt8] {
        try encoder.encode(self)
    }

    /// Reads a DICOM JSON object. Elements given by "BulkDataURI" are in the data set with an
    /// empty value; their URIs are in the result's `bulkDataURIs`.
    /// - Throws: `DicomJSONError` with the JSON Pointer of the offending member.
    public static func fromDicomJSON(_ json: [UInt8]) throws(DicomJSONError) -> DicomJSONDecoder.Result {
        try DicomJSONDecoder().decode(json)
    }
}
