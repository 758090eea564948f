/// A dcmdump-like text listing of a data set: one line per element, sequences and items indented,
/// `(gggg,eeee) VR value  # length, VM Keyword`.
public struct DumpFormatter: Sendable {
    /// Longest value text before it is cut with "...".
    public var maxValueLength: Int = 64
    /// Only elements with these tags (anywhere in the tree) are printed; all when empty.
    public var onlyTags: Set<Tag> = []

    public init(maxValueLength: Int = 64, onlyTags: Set<Tag> = []) {
        self.maxValueLength = maxValueLength
        self.onlyTags = onlyTags
    }

    public func lines(_ ds: DataSet, depth: Int = 0) -> [String] {
        var out: [String] = []
        append(ds, depth: depth, into: &out)
        return out
    }

    func append(_ ds: DataSet, depth: Int, into out: inout [String]) {
        for e in ds.elements {
            let show = onlyTags.isEmpty || onlyTags.contains(e.tag)
            if !show && e.items == nil { continue }
            let pad = String(repeating: "  ", count: depth)
            let keyword = show ? keywordFor(e.tag, in: ds) : ""
            switch e.value {
            case .sequence(let items):
                if show {
                    let kind = e.undefinedLength ? "undefined" : "explicit"
                    out.append(line(pad, e.tag, e.vr.rawValue, "(Sequence with \(kind) length #=\(items.count))",
                                    length: e.undefinedLength ? "u/l" : "?", vm: "1", keyword))
                }
                for item in items {
                    if show {
                        let kind = item.undefinedLength ? "undefined" : "explicit"
                        out.append(line(pad + "  ", .item, "na", "(Item with \(kind) length #=\(item.dataSet.count))",
                                        length: item.undefinedLength ? "u/l" : "?", vm: "1", "Item"))
                    }
                    append(item.dataSet, depth: depth + 2, into: &out)
                    if show && item.undefinedLength {
                        out.append(line(pad + "  ", .itemDelimitationItem, "na", "(ItemDelimitationItem)",
                                        length: "0", vm: "0", "ItemDelimitationItem"))
                    }
                }
                if show && e.undefinedLength {
                    out.append(line(pad, .sequenceDelimitationItem, "na", "(SequenceDelimitationItem)",
                                    length: "0", vm: "0", "SequenceDelimitationItem"))
                }
            case .encapsulated(let pixels):
                guard show else { continue }
                out.append(line(pad, e.tag, e.vr.rawValue, "(PixelSequence #=\(pixels.fragments.count + 1))",
                                length: "u/l", vm: "1", keyword))
                out.append(line(pad + "  ", .item, "pi", hexWords(pixels.basicOffsetTable, unit: 4),
                                length: "\(pixels.basicOffsetTable.count)", vm: "1", "Item"))
                for f in pixels.fragments {
                    let text: String
                    switch f {
                    case .bytes(let b): text = hexWords(Array(b.prefix(64)), unit: 1)
                    case .bulkData(let r): text = "(not loaded: \(r.length) bytes at offset \(r.offset))"
                    }
                    out.append(line(pad + "  ", .item, "pi", text, length: "\(f.length)", vm: "1", "Item"))
                }
                out.append(line(pad, .sequenceDelimitationItem, "na", "(SequenceDelimitationItem)",
                                length: "0", vm: "0", "SequenceDelimitationItem"))
            case .bulkData(let r):
                guard show else { continue }
                out.append(line(pad, e.tag, e.vr.rawValue, "(not loaded: \(r.length) bytes at offset \(r.offset))",
                                length: "\(r.length)", vm: "1", keyword))
            case .bytes(let bytes):
                guard show else { continue }
                let (text, vm) = valueText(e, bytes: bytes, characterSet: ds.characterSet)
                out.append(line(pad, e.tag, e.vr.rawValue, text, length: "\(bytes.count)", vm: "\(vm)", keyword))
            }
        }
    }

    func keywordFor(_ tag: Tag, in ds: DataSet) -> String {
        if tag.isPrivate && !tag.isPrivateCreator {
            if let entry = DataDictionary.entry(for: tag, privateCreator: ds.privateCreator(of: tag)) {
                return entry.name
            }
            return "PrivateTag"
        }
        return DataDictionary.keyword(for: tag) ?? "Unknown Tag & Data"
    }

    func line(_ pad: String, _ tag: Tag, _ vr: String, _ value: String, length: String, vm: String, _ keyword: String) -> String {
        let tagText = "(\(hex4(tag.group).lowercased()),\(hex4(tag.element).lowercased()))"
        var head = "\(pad)\(tagText) \(vr) \(value)"
        let column = 52
        if head.count < column { head += String(repeating: " ", count: column - head.count) }
        let lengthText = String(repeating: " ", count: max(0, 3 - length.count)) + length
        return "\(head) # \(lengthText), \(vm) \(keyword)"
    }

    func valueText(_ e: DataElement, bytes: [UInt8], characterSet: SpecificCharacterSet) -> (String, Int) {
        if bytes.isEmpty { return ("(no value available)", 0) }
        if e.vr.isString {
            var text = characterSet.decode(bytes, vr: e.vr)
            while let last = text.last, last == " " || last == "\0" { text.removeLast() }
            let vm = e.vr.allowsMultipleValues ? text.split(separator: "\\", omittingEmptySubsequences: false).count : 1
            if e.vr == .UI, let name = UIDRegistry.entry(for: text)?.keyword, !name.isEmpty {
                return ("=\(name)", vm)
            }
            return ("[\(cut(text))]", vm)
        }
        switch e.vr {
        case .US: return numbers(bytes, 2) { String(UInt16(truncatingIfNeeded: $0)) }
        case .SS: return numbers(bytes, 2) { String(Int16(truncatingIfNeeded: $0)) }
        case .UL: return numbers(bytes, 4) { String(UInt32(truncatingIfNeeded: $0)) }
        case .SL: return numbers(bytes, 4) { String(Int32(truncatingIfNeeded: $0)) }
        case .UV: return numbers(bytes, 8) { String($0) }
        case .SV: return numbers(bytes, 8) { String(Int64(bitPattern: $0)) }
        case .FL: return numbers(bytes, 4) { String(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) }
        case .FD: return numbers(bytes, 8) { String(Double(bitPattern: $0)) }
        case .AT:
            var tags: [String] = []
            var i = 0
            while i + 3 < bytes.count {
                let g = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
                let el = UInt16(bytes[i + 2]) | UInt16(bytes[i + 3]) << 8
                tags.append("(\(hex4(g).lowercased()),\(hex4(el).lowercased()))")
                i += 4
            }
            return (cut(tags.joined(separator: "\\")), tags.count)
        case .OW: return (hexWords(Array(bytes.prefix(maxValueLength)), unit: 2), 1)
        case .OL, .OF: return (hexWords(Array(bytes.prefix(maxValueLength)), unit: 4), 1)
        case .OD, .OV: return (hexWords(Array(bytes.prefix(maxValueLength)), unit: 8), 1)
        default: return (hexWords(Array(bytes.prefix(maxValueLength)), unit: 1), 1)
        }
    }

    func numbers(_ bytes: [UInt8], _ size: Int, _ format: (UInt64) -> String) -> (String, Int) {
        var parts: [String] = []
        var i = 0
        while i + size <= bytes.count {
            var v: UInt64 = 0
            for k in 0..<size { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            parts.append(format(v))
            i += size
            if parts.count > 32 { break }
        }
        return (cut(parts.joined(separator: "\\")), bytes.count / size)
    }

    func hexWords(_ bytes: [UInt8], unit: Int) -> String {
        var parts: [String] = []
        var i = 0
        while i + unit <= bytes.count {
            var s = ""
            for k in (0..<unit).reversed() {
                let b = bytes[i + k]
                s += String(b >> 4, radix: 16) + String(b & 0xF, radix: 16)
            }
            parts.append(s)
            i += unit
        }
        return cut(parts.joined(separator: "\\"))
    }

    func cut(_ s: String) -> String {
        s.count > maxValueLength ? String(s.prefix(maxValueLength)) + "..." : s
    }
}
