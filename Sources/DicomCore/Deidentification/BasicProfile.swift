// PS3.15 Annex E §E.1.1 and §E.2: the Basic Application Level Confidentiality Profile, no options
// (Retain Safe Private, Clean Pixel Data, Retain Longitudinal ... are not applied).

/// What the de-identifier does to one attribute, after the combined codes of Table E.1-1 are
/// resolved for this node.
public enum DeidentificationAction: Sendable, Equatable {
    /// Remove the attribute (X).
    case remove
    /// Zero length value; a sequence keeps no item (Z).
    case empty
    /// A non-zero length dummy value consistent with the VR (D). A sequence keeps its items, and in
    /// them every text, name, date, time and unknown (UN) value the table does not list gets a dummy
    /// value too: the original content of, say, Content Sequence (0040,A730) or Person
    /// Identification Code Sequence (0040,1101) is not kept (keeping it cleaned is the Clean
    /// Structured Content Option, PS3.15 §E.3.5, which this node does not apply).
    case dummy
    /// A new UID derived from the original (U).
    case replaceUID
    /// Keep; a sequence's items are de-identified (K, PS3.15 §E.1.1 "cleaned for sequences").
    case keep
}

/// The Basic Application Level Confidentiality Profile's action for each attribute.
public enum BasicProfile {
    /// (0012,0063) De-identification Method written by the de-identifier.
    public static let methodDescription = "Basic Application Level Confidentiality Profile (dicomnode)"
    /// PS3.16 CID 7050: (113100, DCM, "Basic Application Confidentiality Profile").
    public static let methodCode = (value: "113100", scheme: "DCM", meaning: "Basic Application Confidentiality Profile")

    /// Combined codes resolved to D or Z where the attribute is Type 1 or Type 2 in IODs in
    /// common use, so that removing it would make the result non-conformant (PS3.15 §E.1.1:
    /// "X unless Z/D is required to maintain IOD conformance"). Every other combined code
    /// resolves to its first letter (X, or Z for Z/D).
    static let conformanceOverrides: [UInt32: DeidentificationAction] = [
        // Z/D → D: Type 1 in the SR Document General and Enhanced image modules (PS3.3 C.17.2, C.7.6.16).
        0x0008_0023: .dummy, 0x0008_0033: .dummy, 0x0018_9919: .dummy,
        // X/Z → Z: Type 2 (Acquisition Context Module C.4.14, RT Beams C.8.8.14, Patient C.7.1.1 2C, RT Approval 2C).
        0x0040_0555: .empty, 0x300A_00B2: .empty, 0x0010_2203: .empty, 0x300E_0008: .empty,
        // X/D → D: Type 1 or 1C where present in RT and SR IODs (RT General Plan, RT Treatment Record, SR content items).
        0x0040_A032: .dummy, 0x300A_0006: .dummy, 0x300A_0007: .dummy, 0x3008_0250: .dummy, 0x3008_0251: .dummy,
        0x3008_0054: .dummy, 0x3008_0056: .dummy, 0x3010_0056: .dummy, 0x3010_0077: .dummy,
        0x3010_004C: .dummy, 0x3010_004D: .dummy,
        // X/Z/D → D: Device Serial Number is Type 1 in the Enhanced General Equipment Module (C.7.5.2);
        // Acquisition DateTime is Type 1C in the MR/CT Image and Spectroscopy Instance Macros (C.8.13.1).
        0x0018_1000: .dummy, 0x0008_002A: .dummy,
        // X/Z/D → Z: Operators' Name is Type 2 in the RT Series Module (C.8.8.1).
        0x0008_1070: .empty,
    ]

    /// The action for `tag` at any depth of the data set.
    public static func action(for tag: Tag) -> DeidentificationAction {
        // Table E.1-1 "Private attributes (gggg,eeee) where gggg is odd": X (the Retain Safe Private
        // Option, PS3.15 §E.3.10, is not applied). Every odd group, the ones PS3.5 §7.8.1 does not
        // allow for private data elements (0001, 0003, 0005, 0007, FFFF) included.
        if tag.isPrivate || tag.group & 1 == 1 { return .remove }
        // Group lengths are not kept: the lengths change (PS3.5 §7.2 makes them optional).
        if tag.isGroupLength && tag.group != 0x0002 { return .remove }
        let group = tag.group
        // Table E.1-1: Curve Data (50xx,xxxx) X.
        if group >= 0x5000 && group <= 0x50FF && group & 1 == 0 { return .remove }
        // Table E.1-1: Overlay Data (60xx,3000) and Overlay Comments (60xx,4000) X. Without its
        // data the rest of an Overlay Plane (PS3.3 C.9.2, Overlay Data Type 1) would be
        // non-conformant, so the whole repeating group goes.
        if group >= 0x6000 && group <= 0x60FF && group & 1 == 0 { return .remove }
        guard let code = table[tag.rawValue] else { return .keep }
        return resolved(code, tag: tag)
    }

    static func resolved(_ code: ProfileActionCode, tag: Tag) -> DeidentificationAction {
        switch code {
        case .D: return .dummy
        case .Z: return .empty
        case .X: return .remove
        case .U: return .replaceUID
        // X/Z/U*: keep the sequence and replace the instance UIDs it holds, so that references
        // stay valid (the items' UIDs are U in the table).
        case .XZU: return .keep
        case .ZD: return conformanceOverrides[tag.rawValue] ?? .empty
        case .XZ, .XD, .XZD: return conformanceOverrides[tag.rawValue] ?? .remove
        }
    }
}
