// Reinterpreting Unknown (UN) elements, PS3.5 §6.2.2: a UN element holds the value's bytes as
// they were encoded, always little endian, and a UN whose real VR is SQ holds the sequence in
// Implicit VR Little Endian. Once the dictionary knows the tag, the element can get its real VR.
extension DataSet {
    /// The data set with every UN element whose tag the dictionary knows given its dictionary VR
    /// (private tags through their creator's block; ambiguous VRs resolved as for Implicit VR),
    /// in sequence items too.
    ///
    /// A UN value whose dictionary VR is SQ is parsed as an Implicit VR Little Endian sequence;
    /// when its bytes do not parse, the element stays UN. UN elements already read as sequences
    /// (undefined length) become SQ whether or not the dictionary knows them. Values left in the
    /// file (bulk data) keep UN when their VR is SQ.
    public func reinterpretingUN() -> DataSet {
        reinterpretingUN(depth: 0)
    }

    /// Deeper nesting than this is left as it is (each parsed UN may hold more UN to parse).
    static let maxReinterpretDepth = 64

    func reinterpretingUN(depth: Int) -> DataSet {
        guard depth < DataSet.maxReinterpretDepth else { return self }
        var out = self
        for element in elements {
            var e = element
            if e.vr == .UN {
                if case .sequence = e.value {
                    // Read as a sequence already (undefined length, PS3.5 §6.2.2): it is one.
                    e.vr = .SQ
                } else if let vr = dictionaryVR(for: e.tag) {
                    if vr != .SQ {
                        e.vr = vr
                    } else if case .bytes(let bytes) = e.value, let items = parseImplicitItems(bytes) {
                        e.value = .sequence(items)
                        e.vr = .SQ
                    }
                }
            }
            if case .sequence(let items) = e.value {
                e.value = .sequence(items.map { item in
                    var item = item
                    item.dataSet = item.dataSet.reinterpretingUN(depth: depth + 1)
                    return item
                })
            }
            if e != element { out[e.tag] = e }
        }
        return out
    }

    /// Items of an Implicit VR Little Endian sequence value (PS3.5 §6.2.2, §7.5), read by the
    /// data set reader; nil when the bytes are not a sequence.
    func parseImplicitItems(_ bytes: [UInt8]) -> [SequenceItem]? {
        let reader = DataSetReader(source: MemoryByteSource(bytes))
        return try? reader.readItems(end: UInt64(bytes.count), encoding: .implicitLittle, depth: 1, parent: self)
    }
}
