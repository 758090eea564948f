extension DataSetReader {
    /// Implicit VR takes each element's VR from the dictionary and the data set read so far: US or SS
    /// from Pixel Representation (PS3.5 Annex A), a private element's VR from its Private Creator
    /// (PS3.5 §7.8.1). Both come before the elements they decide in a data set in ascending tag
    /// order (PS3.5 §7.1); when the source had them after, the VRs are decided again from the
    /// whole data set, as they would be when it is written (in order) and read back.
    static func resolvingImplicitVRsAgain(_ ds: inout DataSet) {
        var changed: [DataElement] = []
        for element in ds.elements {
            guard case .bytes = element.value else { continue }
            let tag = element.tag
            let entry = tag.isPrivate && !tag.isPrivateCreator
                ? DataDictionary.entry(for: tag, privateCreator: ds.privateCreator(of: tag))
                : DataDictionary.entry(for: tag)
            // A value the dictionary calls a sequence stays as read: it was not parsed as one.
            guard let entry, !entry.vrs.contains(.SQ) else { continue }
            let vr = resolveImplicitVR(entry, tag: tag, in: ds)
            if vr != element.vr {
                var e = element
                e.vr = vr
                changed.append(e)
            }
        }
        for e in changed { ds[e.tag] = e }
    }
}
