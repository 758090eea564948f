// WadoGateway: HTTP — DICOMweb (QIDO-RS, WADO-RS, WADO-URI, STOW-RS) and the node's REST API.
// Built by the DICOMweb issue; see docs/architecture.md.
import DicomCore
import DicomArchive

/// PS3.18 §8.7: the media type of DICOM JSON responses.
public enum DICOMwebMediaType {
    public static let dicomJSON = "application/dicom+json"
}
