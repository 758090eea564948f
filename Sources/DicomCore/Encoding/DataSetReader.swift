/// What to read and what to leave in the source.
public struct ReadOptions: Sendable {
    /// Stop at the first top-level element at or after this tag (it is not read).
    public var stopBeforeTag: Tag?
    /// Leave bulk values (OB, OD, OF, OL, OV, OW, UN) longer than this in the file as
    /// `.bulkData` references. File sources only; ignored for memory and deflated data.
    public var bulkDataThreshold: UInt64?
    /// Leave Pixel Data (native or each encapsulated fragment) in the file as references.
    public var lazyPixelData: Bool
    /// Deepest sequence nesting accepted.
    public var maxDepth: Int
    /// Largest inflated size of a Deflated Explicit VR data set.
    public var maxInflatedSize: Int

    public init(stopBeforeTag: Tag? = nil, bulkDataThreshold: UInt64? = nil, lazyPixelData: Bool = false,
                maxDepth: Int = 64, maxInflatedSize: Int = 1 << 31) {
        self.stopBeforeTag = stopBeforeTag
        self.bulkDataThreshold = bulkDataThreshold
        self.lazyPixelData = lazyPixelData
        self.maxDepth = maxDepth
        self.maxInflatedSize = maxInflatedSize
    }

    public static let `default` = ReadOptions()
    /// Everything before Pixel Data (and Float/Double Float Pixel Data): for indexing.
    public static let headersOnly = ReadOptions(stopBeforeTag: Tag(0x7FE0, 0x0008))
}

/// How the bytes of a data set are laid out (from the transfer syntax).
public struct DataSetEncoding: Sendable, Equatable {
    public var explicitVR: Bool
    public var bigEndian: Bool
    public init(explicitVR: Bool, bigEndian: Bool) {
        self.explicitVR = explicitVR
        self.bigEndian = bigEndian
    }
    public static let implicitLittle = DataSetEncoding(explicitVR: false, bigEndian: false)
    public static let explicitLittle = DataSetEncoding(explicitVR: true, bigEndian: false)
    public static let explicitBig = DataSetEncoding(explicitVR: true, bigEndian: true)

    public init(_ ts: TransferSyntax) {
        self.init(explicitVR: ts.isExplicitVR, bigEndian: ts.isBigEndian)
    }
}

/// Reads a data set (PS3.5 §7) from a byte source, element by element.
public struct DataSetReader {
    let cursor: InputCursor
    let options: ReadOptions
    let canReference: Bool
    static let undefinedLength: UInt32 = 0xFFFF_FFFF

    /// - Parameters:
    ///   - source: the bytes.
    ///   - start: where the data set starts.
    ///   - canReference: values may be left in the source as references (false for inflated data).
    public init(source: ByteSource, start: UInt64 = 0, options: ReadOptions = .default, canReference: Bool = true) {
        self.cursor = InputCursor(source, start: start)
        self.options = options
        self.canReference = canReference && source.path != nil
    }

    public var position: UInt64 { cursor.position }

    /// Reads a top-level data set to the end of the source (or `options.stopBeforeTag`).
    /// - Throws: `DicomReadError` naming the offset and element.
    public func read(encoding: DataSetEncoding) throws(DicomReadError) -> DataSet {
        try readDetectingEncoding(encoding).dataSet
    }

    /// Reads a top-level data set and tells the encoding it really had (the first element decides
    /// explicit or implicit VR when the declared syntax is wrong).
    public func readDetectingEncoding(_ encoding: DataSetEncoding) throws(DicomReadError) -> (dataSet: DataSet, encoding: DataSetEncoding) {
        var ds = DataSet()
        let found = try readElements(into: &ds, end: nil, inUndefinedItem: false, encoding: encoding, depth: 0,
                                     topLevel: true, onlyGroup2: false)
        return (ds, found)
    }

    /// Reads File Meta elements (group 0002) until another group starts. The encoding is sniffed per
    /// element, since some writers put the meta group in Implicit VR.
    func readMetaGroup() throws(DicomReadError) -> (dataSet: DataSet, encoding: DataSetEncoding) {
        var ds = DataSet()
        let found = try readElements(into: &ds, end: nil, inUndefinedItem: false, encoding: .explicitLittle, depth: 0,
                         topLevel: true, onlyGroup2: true)
        return (ds, found)
    }

    /// True when the bytes at the cursor look like an explicit VR element header.
    func looksExplicit(bigEndian: Bool) -> Bool? {
        guard let head = try? cursor.peekBytes(6) else { return nil }
        let group = bigEndian ? UInt16(head[0]) << 8 | UInt16(head[1]) : UInt16(head[1]) << 8 | UInt16(head[0])
        if group == 0xFFFE { return nil }
        return VR(byte0: head[4], byte1: head[5]) != nil
    }

    // MARK: - Elements

    @discardableResult
    func readElements(into ds: inout DataSet, end: UInt64?, inUndefinedItem: Bool, encoding: DataSetEncoding,
                      depth: Int, topLevel: Bool, onlyGroup2: Bool) throws(DicomReadError) -> DataSetEncoding {
        var encoding = encoding
        var first = true
        var outOfOrder = false
        // A meta group with any explicit VR element is written back in Explicit VR: it keeps every VR.
        var explicitMeta = false
        defer {
            if outOfOrder && !encoding.explicitVR && !explicitMeta { DataSetReader.resolvingImplicitVRsAgain(&ds) }
            DataSetReader.inheritingCharacterSetAgain(&ds, outOfOrder: outOfOrder)
        }
        while true {
            if let end {
                if cursor.position >= end { break }
            } else if cursor.isAtEnd {
                if inUndefinedItem {
                    throw DicomReadError(.truncated(needed: 8, available: 0), offset: cursor.position)
                }
                break
            }
            let elementOffset = cursor.position
            if onlyGroup2 || topLevel {
                // Peek the group without consuming: meta reading stops at the first non-0002 group,
                // top-level reading may stop before a given tag.
                guard cursor.remaining >= 4 else {
                    if onlyGroup2 { break }
                    throw DicomReadError(.truncated(needed: 8, available: cursor.remaining), offset: elementOffset)
                }
                let head = try cursor.peekBytes(4)
                let g = encoding.bigEndian ? UInt16(head[0]) << 8 | UInt16(head[1]) : UInt16(head[1]) << 8 | UInt16(head[0])
                let e = encoding.bigEndian ? UInt16(head[2]) << 8 | UInt16(head[3]) : UInt16(head[3]) << 8 | UInt16(head[2])
                if onlyGroup2 && g != 0x0002 { break }
                if let stop = options.stopBeforeTag, topLevel, Tag(g, e) >= stop, g != 0xFFFE { break }
            }
            if first || onlyGroup2 {
                // The first element tells whether the data really is explicit VR (PS3.5 §A; many
                // writers get the meta group or the declared syntax wrong).
                if let explicit = looksExplicit(bigEndian: encoding.bigEndian) { encoding.explicitVR = explicit }
                first = false
                if onlyGroup2 && encoding.explicitVR { explicitMeta = true }
            }
            let group = try cursor.readUInt16(bigEndian: encoding.bigEndian)
            let elementNumber = try cursor.readUInt16(bigEndian: encoding.bigEndian)
            let tag = Tag(group, elementNumber)

            if group == 0xFFFE {
                _ = try cursor.readUInt32(bigEndian: encoding.bigEndian)
                if tag == .itemDelimitationItem && inUndefinedItem { return encoding }
                throw DicomReadError(.unexpectedTag(tag), offset: elementOffset, tag: tag)
            }

            do {
                let element = try readElement(tag: tag, in: ds, encoding: encoding, depth: depth, end: end)
                if let element {
                    if let last = ds.elements.last, !(last.tag < element.tag) { outOfOrder = true }
                    ds.append(element)
                }
            } catch {
                throw error.with(tag: tag)
            }
        }
        return explicitMeta ? .explicitLittle : encoding
    }

    /// Reads the VR, length and value of the element whose tag was just read.
    func readElement(tag: Tag, in ds: DataSet, encoding: DataSetEncoding, depth: Int,
                     end: UInt64?) throws(DicomReadError) -> DataElement? {
        let headerOffset = cursor.position - 4
        var vr: VR
        let length: UInt32
        var dictionarySaysSequence = false
        if encoding.explicitVR {
            let (b0, b1) = try cursor.readTwoBytes()
            guard let v = VR(byte0: b0, byte1: b1) else {
                throw DicomReadError(.invalidVR(b0, b1), offset: headerOffset, tag: tag)
            }
            vr = v
            if vr.hasLongExplicitLength {
                _ = try cursor.readTwoBytes()
                length = try cursor.readUInt32(bigEndian: encoding.bigEndian)
            } else {
                length = UInt32(try cursor.readUInt16(bigEndian: encoding.bigEndian))
            }
        } else {
            length = try cursor.readUInt32(bigEndian: encoding.bigEndian)
            let entry = tag.isPrivate && !tag.isPrivateCreator
                ? DataDictionary.entry(for: tag, privateCreator: ds.privateCreator(of: tag))
                : DataDictionary.entry(for: tag)
            if let entry {
                vr = DataSetReader.resolveImplicitVR(entry, tag: tag, in: ds)
                dictionarySaysSequence = entry.vrs.contains(.SQ)
            } else {
                vr = .UN
            }
        }

        let valueOffset = cursor.position
        let limit = end ?? cursor.end
        let remaining = limit > valueOffset ? limit - valueOffset : 0

        if length == DataSetReader.undefinedLength {
            if vr == .SQ || vr == .UN || dictionarySaysSequence {
                // PS3.5 §6.2.2: a UN of undefined length holds a sequence in Implicit VR Little Endian.
                let itemEncoding = vr == .UN ? DataSetEncoding.implicitLittle : encoding
                let items = try readItems(end: nil, encoding: itemEncoding, depth: depth + 1, parent: ds)
                return DataElement(tag: tag, vr: vr == .UN && !encoding.explicitVR && dictionarySaysSequence ? .SQ : vr,
                                   value: .sequence(items), undefinedLength: true)
            }
            if vr == .OB || vr == .OW || tag == .pixelData {
                let lazy = options.lazyPixelData && tag == .pixelData
                let pixels = try readEncapsulated(lazy: lazy, encoding: encoding)
                return DataElement(tag: tag, vr: vr, value: .encapsulated(pixels), undefinedLength: true)
            }
            throw DicomReadError(.undefinedLengthNotAllowed, offset: headerOffset, tag: tag)
        }

        guard UInt64(length) <= remaining else {
            throw DicomReadError(.valueTooLong(length: UInt64(length), remaining: remaining), offset: headerOffset, tag: tag)
        }
        if vr == .SQ || (dictionarySaysSequence && !encoding.explicitVR) {
            let items = try readItems(end: valueOffset + UInt64(length), encoding: encoding, depth: depth + 1, parent: ds)
            return DataElement(tag: tag, vr: .SQ, value: .sequence(items))
        }
        if canReference, vr.isBulk,
           (options.lazyPixelData && tag == .pixelData) || (options.bulkDataThreshold.map { UInt64(length) > $0 } ?? false),
           let path = cursor.source.path {
            try cursor.skip(UInt64(length))
            let ref = BulkDataReference(path: path, offset: valueOffset, length: UInt64(length),
                                        swapUnit: encoding.bigEndian ? vr.byteSwapUnit : 1)
            return DataElement(tag: tag, vr: vr, value: .bulkData(ref))
        }
        var bytes = try cursor.readBytes(Int(length))
        if encoding.bigEndian && vr.byteSwapUnit > 1 { ByteOrder.swapInPlace(&bytes, unit: vr.byteSwapUnit) }
        return DataElement(tag: tag, vr: vr, value: .bytes(bytes))
    }

    /// Implicit VR: the dictionary's VR, with the ambiguous ones decided as PS3.5 Annex A and
    /// PS3.3 decide them (Pixel Data is OW in Implicit VR; US/SS from Pixel Representation).
    static func resolveImplicitVR(_ entry: DictionaryEntry, tag: Tag, in ds: DataSet) -> VR {
        let vrs = entry.vrs
        guard vrs.count > 1 else { return vrs.first ?? .UN }
        if vrs.contains(.OW) && vrs.contains(.OB) { return .OW }
        if vrs.contains(.SS) {
            if let pr = ds[.pixelRepresentation]?.bytes, pr.count >= 2, pr[0] == 1 { return .SS }
            return .US
        }
        if vrs.contains(.US) { return .US }
        return vrs[0]
    }

    // MARK: - Items

    func readItems(end: UInt64?, encoding: DataSetEncoding, depth: Int,
                   parent: DataSet) throws(DicomReadError) -> [SequenceItem] {
        guard depth <= options.maxDepth else {
            throw DicomReadError(.nestingTooDeep(options.maxDepth), offset: cursor.position)
        }
        var items: [SequenceItem] = []
        while true {
            if let end, cursor.position >= end { break }
            let (itemOffset, tag, length) = try readItemHeader(encoding)
            if tag == .sequenceDelimitationItem { break }
            guard tag == .item else {
                throw DicomReadError(.unexpectedTag(tag), offset: itemOffset)
            }
            var item = DataSet()
            item.characterSet = parent.characterSet
            if length == DataSetReader.undefinedLength {
                try readElements(into: &item, end: nil, inUndefinedItem: true, encoding: encoding, depth: depth,
                                 topLevel: false, onlyGroup2: false)
                items.append(SequenceItem(item, undefinedLength: true))
            } else {
                let limit = end ?? cursor.end
                let remaining = limit > cursor.position ? limit - cursor.position : 0
                guard UInt64(length) <= remaining else {
                    throw DicomReadError(.valueTooLong(length: UInt64(length), remaining: remaining), offset: itemOffset)
                }
                try readElements(into: &item, end: cursor.position + UInt64(length), inUndefinedItem: false,
                                 encoding: encoding, depth: depth, topLevel: false, onlyGroup2: false)
                items.append(SequenceItem(item, undefinedLength: false))
            }
        }
        return items
    }

    /// An item or delimiter header: tag (FFFE,xxxx) and 32-bit length in any encoding (PS3.5 §7.5).
    func readItemHeader(_ encoding: DataSetEncoding) throws(DicomReadError) -> (offset: UInt64, tag: Tag, length: UInt32) {
        let offset = cursor.position
        let group = try cursor.readUInt16(bigEndian: encoding.bigEndian)
        let element = try cursor.readUInt16(bigEndian: encoding.bigEndian)
        let length = try cursor.readUInt32(bigEndian: encoding.bigEndian)
        return (offset, Tag(group, element), length)
    }

    /// Encapsulated Pixel Data: Basic Offset Table item, fragment items, Sequence Delimitation Item (PS3.5 §A.4).
    func readEncapsulated(lazy: Bool, encoding: DataSetEncoding) throws(DicomReadError) -> EncapsulatedPixelData {
        var table: [UInt8]? = nil
        var fragments: [EncapsulatedPixelData.Fragment] = []
        while true {
            let (itemOffset, tag, length) = try readItemHeader(encoding)
            if tag == .sequenceDelimitationItem { break }
            guard tag == .item, length != DataSetReader.undefinedLength else {
                throw DicomReadError(.unexpectedTag(tag), offset: itemOffset)
            }
            guard UInt64(length) <= cursor.remaining else {
                throw DicomReadError(.valueTooLong(length: UInt64(length), remaining: cursor.remaining), offset: itemOffset)
            }
            if table == nil {
                table = try cursor.readBytes(Int(length))
            } else if lazy && canReference, let path = cursor.source.path {
                fragments.append(.bulkData(BulkDataReference(path: path, offset: cursor.position, length: UInt64(length))))
                try cursor.skip(UInt64(length))
            } else {
                fragments.append(.bytes(try cursor.readBytes(Int(length))))
            }
        }
        return EncapsulatedPixelData(basicOffsetTable: table ?? [], fragments: fragments)
    }
}
