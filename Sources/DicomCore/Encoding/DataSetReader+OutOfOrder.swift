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

extension DataSetReader {
    /// Items read before the data set's Specific Character Set (a sequence whose tag sorts before
    /// (0008,0005), or one that came before it in the source) inherited the one in force then;
    /// they take the data set's own, as PS3.5 §6.1.2.3 says, unless they have their own.
    static func inheritingCharacterSetAgain(_ ds: inout DataSet, outOfOrder: Bool) {
        guard ds.contains(.specificCharacterSet) else { return }
        guard outOfOrder || ds.elements.prefix(while: { $0.tag < .specificCharacterSet }).contains(where: { $0.items != nil })
        else { return }
        inherit(ds.characterSet, into: &ds)
    }

    private static func inherit(_ characterSet: SpecificCharacterSet, into ds: inout DataSet) {
        var changed: [DataElement] = []
        for element in ds.elements {
            guard case .sequence(var items) = element.value else { continue }
            for i in items.indices where !items[i].dataSet.contains(.specificCharacterSet) {
                items[i].dataSet.characterSet = characterSet
                inherit(characterSet, into: &items[i].dataSet)
            }
            var e = element
            e.value = .sequence(items)
            changed.append(e)
        }
        for e in changed { ds[e.tag] = e }
    }
}
