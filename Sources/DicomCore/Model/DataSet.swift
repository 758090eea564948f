/// An ordered collection of data elements, sorted by tag (PS3.5 §7.1). Items of sequences are
/// data sets too; they carry the Specific Character Set in force where they sit.
public struct DataSet: Sendable, Equatable {
    public private(set) var elements: [DataElement] = []
    /// The character set that decodes this data set's strings: its own (0008,0005), or the
    /// enclosing data set's for an item without one (PS3.5 §6.1.2.3).
    public var characterSet: SpecificCharacterSet = .default

    public init() {}
    public init(_ elements: [DataElement]) {
        for e in elements { self[e.tag] = e }
    }

    public var isEmpty: Bool { elements.isEmpty }
    public var count: Int { elements.count }
    public var tags: [Tag] { elements.map(\.tag) }

    /// Index of `tag`, or where it would be inserted.
    @inline(__always)
    func position(of tag: Tag) -> (index: Int, found: Bool) {
        // Elements mostly arrive in order: check the end first.
        if let last = elements.last {
            if last.tag < tag { return (elements.count, false) }
            if last.tag == tag { return (elements.count - 1, true) }
        }
        var lo = 0, hi = elements.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let t = elements[mid].tag
            if t == tag { return (mid, true) }
            if t < tag { lo = mid + 1 } else { hi = mid }
        }
        return (lo, false)
    }

    public subscript(tag: Tag) -> DataElement? {
        get {
            let p = position(of: tag)
            return p.found ? elements[p.index] : nil
        }
        set {
            let p = position(of: tag)
            if let e = newValue {
                precondition(e.tag == tag, "element stored under another tag")
                if p.found { elements[p.index] = e } else { elements.insert(e, at: p.index) }
                if tag == .specificCharacterSet { refreshCharacterSet() }
            } else if p.found {
                elements.remove(at: p.index)
                if tag == .specificCharacterSet { characterSet = .default }
            }
        }
    }

    public func contains(_ tag: Tag) -> Bool { position(of: tag).found }

    /// Appends an element known to sort after every element present (the reader's fast path).
    /// Falls back to a sorted insert otherwise.
    public mutating func append(_ element: DataElement) {
        if let last = elements.last, !(last.tag < element.tag) {
            self[element.tag] = element
            return
        }
        elements.append(element)
        if element.tag == .specificCharacterSet { refreshCharacterSet() }
    }

    @discardableResult
    public mutating func remove(_ tag: Tag) -> DataElement? {
        let old = self[tag]
        self[tag] = nil
        return old
    }

    /// Removes every element for which `predicate` is true.
    public mutating func removeAll(where predicate: (DataElement) -> Bool) {
        elements.removeAll(where: predicate)
        if !contains(.specificCharacterSet) { characterSet = .default }
    }

    mutating func refreshCharacterSet() {
        if let e = self[.specificCharacterSet] {
            characterSet = SpecificCharacterSet(definedTermsBytes: e.bytes)
        }
    }

    /// The private creator that reserves `tag`'s block, e.g. "SIEMENS CSA HEADER" (PS3.5 §7.8.1).
    public func privateCreator(of tag: Tag) -> String? {
        guard let ct = tag.privateCreatorTag, let e = self[ct] else { return nil }
        // PS3.5 §6.2: LO may carry leading/trailing spaces; some writers pad with NUL.
        let bytes = e.bytes
        var lo = 0, hi = bytes.count
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0 { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0 { hi -= 1 }
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }
}

extension DataSet {
    /// Two data sets are equal when their elements are; the character set in force is context.
    public static func == (a: DataSet, b: DataSet) -> Bool { a.elements == b.elements }
}

extension DataSet: Sequence {
    public func makeIterator() -> IndexingIterator<[DataElement]> { elements.makeIterator() }
}

import Foundation
