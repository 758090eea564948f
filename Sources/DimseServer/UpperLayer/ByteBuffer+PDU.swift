// PS3.8 §9.3: reading and writing upper-layer PDUs on a ByteBuffer.
import NIOCore

extension ByteBuffer {
    /// Reads one PDU if the buffer holds all of it.
    ///
    /// The 6-byte header is examined first: an unknown PDU type or a PDU-length above `maxLength`
    /// is refused before the body is waited for (PS3.8 §9.3.1). The reader index moves only when a
    /// whole PDU was decoded.
    /// - Parameters:
    ///   - maxLength: the largest PDU-length field (bytes after the 6-byte header) accepted.
    /// - Returns: nil: not enough bytes yet.
    /// - Throws: `PDUError`: the peer sent something PS3.8 §9.3 does not allow.
    public mutating func readPDU(maxLength: UInt32) throws(PDUError) -> PDU? {
        guard let typeByte = getInteger(at: readerIndex, as: UInt8.self) else { return nil }
        guard let type = PDUType(rawValue: typeByte) else { throw .unrecognizedPDUType(typeByte) }
        guard let length = getInteger(at: readerIndex + 2, as: UInt32.self) else { return nil }
        guard length <= maxLength else { throw .pduTooLong(length: length, maxLength: maxLength) }
        guard readableBytes - 6 >= Int(length),
              let body = getSlice(at: readerIndex + 6, length: Int(length))
        else { return nil }
        var reader = PDUBodyReader(buffer: body, base: 6)
        let pdu = try reader.readPDU(type: type, length: length)
        moveReaderIndex(forwardBy: 6 + Int(length))
        return pdu
    }

    /// Writes one PDU; on failure nothing is written.
    /// - Returns: the number of bytes written (6 + PDU-length).
    /// - Throws: `PDUEncodingError` when a field or item does not fit its 16-bit length
    ///   (PS3.8 §9.3.2): e.g. a user identity token longer than 65,535 bytes.
    @discardableResult
    public mutating func writePDU(_ pdu: PDU) throws(PDUEncodingError) -> Int {
        let start = writerIndex
        do {
            return try writePDUUnchecked(pdu, start: start)
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
    }

    private mutating func writePDUUnchecked(_ pdu: PDU, start: Int) throws(PDUEncodingError) -> Int {
        writeInteger(pdu.type.rawValue)
        writeInteger(UInt8(0))                      // reserved
        let lengthIndex = writerIndex
        writeInteger(UInt32(0))                     // PDU-length, set below
        switch pdu {
        case .associateRQ(let rq):
            writeAssociateFixedFields(rq.protocolVersion, rq.calledAETitle, rq.callingAETitle)
            try writeItem(PDUItemType.applicationContext) { $0.writeString(rq.applicationContextName) }
            for context in rq.presentationContexts {
                try writeItem(PDUItemType.presentationContextRQ) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
                    buffer.writeInteger(context.id)
                    buffer.writeRepeatingByte(0, count: 3)      // PS3.8 Table 9-13, bytes 6–8 reserved
                    try buffer.writeItem(PDUItemType.abstractSyntax) { $0.writeString(context.abstractSyntax) }
                    for syntax in context.transferSyntaxes {
                        try buffer.writeItem(PDUItemType.transferSyntax) { $0.writeString(syntax) }
                    }
                }
            }
            try writeUserInformation(rq.userInformation)
        case .associateAC(let ac):
            writeAssociateFixedFields(ac.protocolVersion, ac.calledAETitle, ac.callingAETitle)
            try writeItem(PDUItemType.applicationContext) { $0.writeString(ac.applicationContextName) }
            for context in ac.presentationContexts {
                try writeItem(PDUItemType.presentationContextAC) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
                    buffer.writeInteger(context.id)
                    buffer.writeInteger(UInt8(0))
                    buffer.writeInteger(context.result.rawValue)
                    buffer.writeInteger(UInt8(0))
                    if let syntax = context.transferSyntax {
                        try buffer.writeItem(PDUItemType.transferSyntax) { $0.writeString(syntax) }
                    }
                }
            }
            try writeUserInformation(ac.userInformation)
        case .associateRJ(let rj):
            writeInteger(UInt8(0))
            writeInteger(rj.result.rawValue)
            writeInteger(rj.source.rawValue)
            writeInteger(rj.reason.rawValue)
        case .pDataTF(let pData):
            for pdv in pData.pdvs {
                writeInteger(UInt32(2 + pdv.data.readableBytes))   // PS3.8 Table 9-23: item-length
                writeInteger(pdv.presentationContextID)
                writeInteger(pdv.messageControlHeader)
                writeImmutableBuffer(pdv.data)
            }
        case .releaseRQ, .releaseRP:
            writeInteger(UInt32(0))                 // PS3.8 Tables 9-24, 9-25: reserved
        case .abort(let abort):
            writeInteger(UInt16(0))
            writeInteger(abort.source.rawValue)
            writeInteger(abort.reason.rawValue)
        }
        let written = writerIndex - start
        setInteger(UInt32(written - 6), at: lengthIndex)
        return written
    }

    // PS3.8 Table 9-11 / 9-17, bytes 7–74.
    private mutating func writeAssociateFixedFields(_ version: UInt16, _ called: String, _ calling: String) {
        writeInteger(version)
        writeInteger(UInt16(0))
        writeAETitle(called)
        writeAETitle(calling)
        writeRepeatingByte(0, count: 32)
    }

    /// 16 bytes, space padded (PS3.8 Table 9-11, bytes 11–26). One byte per character (the AE
    /// repertoire is ASCII; other characters up to U+00FF are kept as their Latin-1 byte, any
    /// beyond as "?"); longer titles are cut to 16 bytes.
    private mutating func writeAETitle(_ title: String) {
        let bytes = title.unicodeScalars.prefix(16).map { $0.value < 0x100 ? UInt8($0.value) : 0x3F }
        writeBytes(bytes)
        writeRepeatingByte(0x20, count: 16 - bytes.count)
    }

    /// An item with a 2-byte length: type, reserved, item-length, value (PS3.8 §9.3.2).
    private mutating func writeItem(_ type: UInt8, _ body: (inout ByteBuffer) throws(PDUEncodingError) -> Void) throws(PDUEncodingError) {
        writeInteger(type)
        writeInteger(UInt8(0))
        let lengthIndex = writerIndex
        writeInteger(UInt16(0))
        try body(&self)
        let length = writerIndex - lengthIndex - 2
        guard length <= Int(UInt16.max) else { throw .fieldTooLong(itemType: type, length: length) }
        setInteger(UInt16(length), at: lengthIndex)
    }

    /// A 2-byte length followed by the bytes (PS3.7 Annex D.3.3 sub-item fields).
    private mutating func writeLengthPrefixed<Bytes: Sequence<UInt8>>(_ bytes: Bytes, in itemType: UInt8) throws(PDUEncodingError) {
        let lengthIndex = writerIndex
        writeInteger(UInt16(0))
        let count = writeBytes(bytes)
        guard count <= Int(UInt16.max) else { throw .fieldTooLong(itemType: itemType, length: count) }
        setInteger(UInt16(count), at: lengthIndex)
    }

    // PS3.8 §9.3.2.3, PS3.7 Annex D.3.3.
    private mutating func writeUserInformation(_ information: UserInformation) throws(PDUEncodingError) {
        try writeItem(PDUItemType.userInformation) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
            for item in information.items {
                try buffer.writeUserInformationItem(item)
            }
        }
    }

    private mutating func writeUserInformationItem(_ item: UserInformation.Item) throws(PDUEncodingError) {
        switch item {
        case .maximumLength(let length):
            try writeItem(PDUItemType.maximumLength) { $0.writeInteger(length) }
        case .implementationClassUID(let uid):
            try writeItem(PDUItemType.implementationClassUID) { $0.writeString(uid) }
        case .asynchronousOperationsWindow(let invoked, let performed):
            try writeItem(PDUItemType.asynchronousOperationsWindow) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
                buffer.writeInteger(invoked)
                buffer.writeInteger(performed)
            }
        case .roleSelection(let role):
            try writeItem(PDUItemType.roleSelection) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
                try buffer.writeLengthPrefixed(role.sopClassUID.utf8, in: PDUItemType.roleSelection)
                buffer.writeInteger(UInt8(role.scuRole ? 1 : 0))
                buffer.writeInteger(UInt8(role.scpRole ? 1 : 0))
            }
        case .implementationVersionName(let name):
            try writeItem(PDUItemType.implementationVersionName) { $0.writeString(name) }
        case .sopClassExtendedNegotiation(let negotiation):
            try writeItem(PDUItemType.sopClassExtendedNegotiation) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
                try buffer.writeLengthPrefixed(negotiation.sopClassUID.utf8, in: PDUItemType.sopClassExtendedNegotiation)
                buffer.writeBytes(negotiation.serviceClassApplicationInformation)
            }
        case .sopClassCommonExtendedNegotiation(let negotiation):
            try writeItem(PDUItemType.sopClassCommonExtendedNegotiation) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
                try buffer.writeLengthPrefixed(negotiation.sopClassUID.utf8, in: PDUItemType.sopClassCommonExtendedNegotiation)
                try buffer.writeLengthPrefixed(negotiation.serviceClassUID.utf8, in: PDUItemType.sopClassCommonExtendedNegotiation)
                var related = ByteBuffer()
                for uid in negotiation.relatedGeneralSOPClassUIDs {
                    try related.writeLengthPrefixed(uid.utf8, in: PDUItemType.sopClassCommonExtendedNegotiation)
                }
                try buffer.writeLengthPrefixed(related.readableBytesView, in: PDUItemType.sopClassCommonExtendedNegotiation)
            }
        case .userIdentityRQ(let identity):
            try writeItem(PDUItemType.userIdentityRQ) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
                buffer.writeInteger(identity.type.rawValue)
                buffer.writeInteger(UInt8(identity.positiveResponseRequested ? 1 : 0))
                try buffer.writeLengthPrefixed(identity.primaryField, in: PDUItemType.userIdentityRQ)
                try buffer.writeLengthPrefixed(identity.secondaryField, in: PDUItemType.userIdentityRQ)
            }
        case .userIdentityAC(let response):
            try writeItem(PDUItemType.userIdentityAC) { (buffer: inout ByteBuffer) throws(PDUEncodingError) in
                try buffer.writeLengthPrefixed(response, in: PDUItemType.userIdentityAC)
            }
        case .unknown(let type, let value):
            try writeItem(type) { $0.writeBytes(value) }
        }
    }
}
