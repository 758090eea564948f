// PS3.4 Annex C.6 (and PS3.6 Annex A): the Query/Retrieve SOP classes of the two information
// models we serve. The Patient/Study Only model was retired and is not offered.

/// The Query/Retrieve information models.
public enum QueryRetrieveModel: String, Sendable, CaseIterable {
    case patientRoot, studyRoot

    public var findSOPClass: String {
        switch self { case .patientRoot: "1.2.840.10008.5.1.4.1.2.1.1"; case .studyRoot: "1.2.840.10008.5.1.4.1.2.2.1" }
    }
    public var moveSOPClass: String {
        switch self { case .patientRoot: "1.2.840.10008.5.1.4.1.2.1.2"; case .studyRoot: "1.2.840.10008.5.1.4.1.2.2.2" }
    }
    public var getSOPClass: String {
        switch self { case .patientRoot: "1.2.840.10008.5.1.4.1.2.1.3"; case .studyRoot: "1.2.840.10008.5.1.4.1.2.2.3" }
    }

    /// The model a FIND, MOVE or GET SOP class belongs to.
    public init?(sopClass: String) {
        guard let m = QueryRetrieveModel.allCases.first(where: { [$0.findSOPClass, $0.moveSOPClass, $0.getSOPClass].contains(sopClass) })
        else { return nil }
        self = m
    }

    /// PS3.4 §C.3: the levels of the model, top down.
    public var levels: [QueryLevel] {
        switch self { case .patientRoot: [.patient, .study, .series, .image]; case .studyRoot: [.study, .series, .image] }
    }
}

import DicomArchive
