/// The PS3.6 data dictionary: VR, VM, keyword and name of every standard tag, the repeating
/// groups (50xx, 60xx, …), and the private dictionary keyed by private creator.
///
/// The tables live in `DataDictionary+Generated.swift` as tab-separated text (made by
/// `Scripts/generate-dictionary.py` from `Scripts/data/*.tsv`); they are parsed once, on first use.
public struct DictionaryEntry: Sendable, Equatable {
    public let tag: Tag
    /// Usually one VR; two or three for the ambiguous ones ("US or SS", "OB or OW", "US or OW").
    public let vrs: [VR]
    public let vm: String
    public let keyword: String
    public let name: String
    public let isRetired: Bool

    /// The VR to use when the encoding does not say (Implicit VR) and nothing else decides.
    public var vr: VR { vrs.first ?? .UN }
}

public enum DataDictionary {
    struct Tables: Sendable {
        var byTag: [UInt32: DictionaryEntry] = [:]
        var byKeyword: [String: Tag] = [:]
        /// Repeating groups: (mask, value) pairs; a tag matches when tag & mask == value.
        var repeating: [(mask: UInt32, value: UInt32, entry: DictionaryEntry)] = []
        /// Private: creator → (group << 8 | element low byte) → entry.
        var privateEntries: [String: [UInt32: DictionaryEntry]] = [:]
    }

    static let tables: Tables = {
        var t = Tables()
        for line in standardTable.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 6 else { continue }
            let tagText = String(f[0])
            let vrs = f[1].split(separator: "|").compactMap { VR(rawValue: String($0)) }
            let retired = f[5] == "R"
            if tagText.contains("x") {
                let mask = UInt32(tagText.map { $0 == "x" ? "0" : "F" }.joined(), radix: 16) ?? 0
                let value = UInt32(tagText.replacingOccurrences(of: "x", with: "0"), radix: 16) ?? 0
                let entry = DictionaryEntry(tag: Tag(rawValue: value), vrs: vrs, vm: String(f[2]),
                                            keyword: String(f[3]), name: String(f[4]), isRetired: retired)
                t.repeating.append((mask, value, entry))
                if !entry.keyword.isEmpty { t.byKeyword[entry.keyword] = entry.tag }
            } else if let raw = UInt32(tagText, radix: 16) {
                let entry = DictionaryEntry(tag: Tag(rawValue: raw), vrs: vrs, vm: String(f[2]),
                                            keyword: String(f[3]), name: String(f[4]), isRetired: retired)
                t.byTag[raw] = entry
                if !entry.keyword.isEmpty { t.byKeyword[entry.keyword] = entry.tag }
            }
        }
        for line in privateTable.split(separator: "\n") {
            // creator \t ggggxxee \t VR \t VM \t name
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 5 else { continue }
            let tagText = String(f[1])
            guard tagText.count == 8,
                  let group = UInt32(tagText.prefix(4), radix: 16),
                  let low = UInt32(tagText.suffix(2), radix: 16) else { continue }
            let vrs = f[2].split(separator: "|").compactMap { VR(rawValue: String($0)) }
            let entry = DictionaryEntry(tag: Tag(rawValue: group << 16 | low), vrs: vrs, vm: String(f[3]),
                                        keyword: "", name: String(f[4]), isRetired: false)
            t.privateEntries[String(f[0]), default: [:]][group << 8 | low] = entry
        }
        return t
    }()

    /// The entry for a standard tag, including repeating groups and generic group lengths.
    public static func entry(for tag: Tag) -> DictionaryEntry? {
        if let e = tables.byTag[tag.rawValue] { return e }
        for r in tables.repeating where tag.rawValue & r.mask == r.value {
            return DictionaryEntry(tag: tag, vrs: r.entry.vrs, vm: r.entry.vm, keyword: r.entry.keyword,
                                   name: r.entry.name, isRetired: r.entry.isRetired)
        }
        if tag.element == 0 {
            return DictionaryEntry(tag: tag, vrs: [.UL], vm: "1", keyword: "GroupLength",
                                   name: "Group Length", isRetired: tag.group != 0 && tag.group != 2)
        }
        if tag.isPrivateCreator {
            return DictionaryEntry(tag: tag, vrs: [.LO], vm: "1", keyword: "PrivateCreator",
                                   name: "Private Creator", isRetired: false)
        }
        return nil
    }

    /// The entry for a private tag within the block that `creator` reserved.
    public static func entry(for tag: Tag, privateCreator creator: String?) -> DictionaryEntry? {
        guard tag.isPrivate else { return entry(for: tag) }
        if tag.isPrivateCreator { return entry(for: tag) }
        guard let creator, let table = tables.privateEntries[creator] else { return nil }
        let key = UInt32(tag.group) << 8 | UInt32(tag.element & 0xFF)
        return table[key]
    }

    public static func tag(forKeyword keyword: String) -> Tag? { tables.byKeyword[keyword] }
    public static func keyword(for tag: Tag) -> String? {
        guard let k = entry(for: tag)?.keyword, !k.isEmpty else { return nil }
        return k
    }
}
