/// The PS3.6 data dictionary: VR, VM, keyword and name of every standard tag, the repeating
/// groups (50xx, 60xx, …), and the private dictionary keyed by private creator.
///
/// The tables live in `DataDictionary+Generated.swift` as tab-separated text (made by
/// `Scripts/generate-dictionary.py` from `Scripts/data/*.tsv`); each is parsed once, on first use,
/// byte by byte (a few milliseconds).
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
    struct Standard: Sendable {
        var byTag: [UInt32: DictionaryEntry] = [:]
        var byKeyword: [String: Tag] = [:]
        /// Repeating groups: a tag matches when tag & mask == value.
        var repeating: [(mask: UInt32, value: UInt32, entry: DictionaryEntry)] = []
    }

    static let standard: Standard = {
        var t = Standard()
        t.byTag.reserveCapacity(5200)
        t.byKeyword.reserveCapacity(5200)
        forEachRow(standardTable) { f in
            guard f.count >= 6 else { return }
            let tagField = f[0]
            let vrs = parseVRs(f[1])
            let retired = f[5].first == UInt8(ascii: "R")
            let keyword = String(decoding: f[3], as: UTF8.self)
            if tagField.contains(UInt8(ascii: "x")) {
                var mask: UInt32 = 0, value: UInt32 = 0
                for c in tagField {
                    mask <<= 4
                    value <<= 4
                    if c != UInt8(ascii: "x") {
                        mask |= 0xF
                        value |= UInt32(hexValue(c))
                    }
                }
                let entry = DictionaryEntry(tag: Tag(rawValue: value), vrs: vrs, vm: String(decoding: f[2], as: UTF8.self),
                                            keyword: keyword, name: String(decoding: f[4], as: UTF8.self), isRetired: retired)
                t.repeating.append((mask, value, entry))
                if !keyword.isEmpty { t.byKeyword[keyword] = entry.tag }
            } else {
                var raw: UInt32 = 0
                for c in tagField { raw = raw << 4 | UInt32(hexValue(c)) }
                let entry = DictionaryEntry(tag: Tag(rawValue: raw), vrs: vrs, vm: String(decoding: f[2], as: UTF8.self),
                                            keyword: keyword, name: String(decoding: f[4], as: UTF8.self), isRetired: retired)
                t.byTag[raw] = entry
                if !keyword.isEmpty { t.byKeyword[keyword] = entry.tag }
            }
        }
        return t
    }()

    /// creator → (group << 8 | element low byte) → entry.
    static let privateEntries: [String: [UInt32: DictionaryEntry]] = {
        var d: [String: [UInt32: DictionaryEntry]] = [:]
        forEachRow(privateTable) { f in
            // creator \t ggggxxee \t VR \t VM \t name
            guard f.count >= 5, f[1].count == 8 else { return }
            let t = Array(f[1])
            var group: UInt32 = 0
            for c in t[0..<4] { group = group << 4 | UInt32(hexValue(c)) }
            let low = UInt32(hexValue(t[6])) << 4 | UInt32(hexValue(t[7]))
            let entry = DictionaryEntry(tag: Tag(rawValue: group << 16 | low), vrs: parseVRs(f[2]),
                                        vm: String(decoding: f[3], as: UTF8.self), keyword: "",
                                        name: String(decoding: f[4], as: UTF8.self), isRetired: false)
            d[String(decoding: f[0], as: UTF8.self), default: [:]][group << 8 | low] = entry
        }
        return d
    }()

    /// Calls `body` with the tab-separated fields of each line of `table`.
    static func forEachRow(_ table: String, _ body: ([ArraySlice<UInt8>]) -> Void) {
        let all = Array(table.utf8)
        var fields: [ArraySlice<UInt8>] = []
        var lineStart = 0
        for i in 0...all.count where i == all.count || all[i] == 0x0A {
            if i > lineStart {
                fields.removeAll(keepingCapacity: true)
                var fieldStart = lineStart
                for j in lineStart...i where j == i || all[j] == 0x09 {
                    fields.append(all[fieldStart..<j])
                    fieldStart = j + 1
                }
                body(fields)
            }
            lineStart = i + 1
        }
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return 0
        }
    }

    static func parseVRs(_ field: ArraySlice<UInt8>) -> [VR] {
        var out: [VR] = []
        var i = field.startIndex
        while i + 1 < field.endIndex {
            if let vr = VR(byte0: field[i], byte1: field[i + 1]) { out.append(vr) }
            i += 3 // "US|SS"
        }
        return out
    }

    /// The entry for a standard tag, including repeating groups and generic group lengths.
    public static func entry(for tag: Tag) -> DictionaryEntry? {
        let s = standard
        if let e = s.byTag[tag.rawValue] { return e }
        for r in s.repeating where tag.rawValue & r.mask == r.value {
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
        guard let creator, let table = privateEntries[creator] else { return nil }
        let key = UInt32(tag.group) << 8 | UInt32(tag.element & 0xFF)
        return table[key]
    }

    public static func tag(forKeyword keyword: String) -> Tag? { standard.byKeyword[keyword] }
    public static func keyword(for tag: Tag) -> String? {
        guard let k = entry(for: tag)?.keyword, !k.isEmpty else { return nil }
        return k
    }
}
