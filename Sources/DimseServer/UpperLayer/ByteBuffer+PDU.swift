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

    /// Writes one PDU.
    /// - Returns: the number of bytes written (6 + PDU-length).
    @discardableResult
    public mutating func writePDU(_ pdu: PDU) -> Int {
        let start = writerIndex
        writeInteger(pdu.type.rawValue)
        writeInteger(UInt8(0))                      // reserved
        let lengthIndex = writerIndex
        writeInteger(UInt32(0))                     // PDU-length, set below
        switch pdu {
        case .associateRQ(let rq):
            writeAssociateFixedFields(rq.protocolVersion, rq.calledAETitle, rq.callingAETitle)
            writeItem(PDUItemType.applicationContext) { $0.writeString(rq.applicationContextName) }
            for context in rq.presentationContexts {
                writeItem(PDUItemType.presentationContextRQ) { buffer in
                    buffer.writeInteger(context.id)
                    buffer.writeRepeatingByte(0, count: 3)      // PS3.8 Table 9-13, bytes 6–8 reserved
                    buffer.writeItem(PDUItemType.abstractSyntax) { $0.writeString(context.abstractSyntax) }
                    for syntax in context.transferSyntaxes {
                        buffer.writeItem(PDUItemType.transferSyntax) { $0.writeString(syntax) }
                    }
                }
            }
            writeUserInformation(rq.userInformation)
        case .associateAC(let ac):
            writeAssociateFixedFields(ac.protocolVersion, ac.calledAETitle, ac.callingAETitle)
            writeItem(PDUItemType.applicationContext) { $0.writeString(ac.applicationContextName) }
            for context in ac.presentationContexts {
                writeItem(PDUItemType.presentationContextAC) { buffer in
                    buffer.writeInteger(context.id)
                    buffer.writeInteger(UInt8(0))
                    buffer.writeInteger(context.result.rawValue)
                    buffer.writeInteger(UInt8(0))
                    if let syntax = context.transferSyntax {
                        buffer.writeItem(PDUItemType.transferSyntax) { $0.writeString(syntax) }
                    }
                }
            }
            writeUserInformation(ac.userInformation)
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
    private mutating func writeItem(_ type: UInt8, _ body: (inout ByteBuffer) -> Void) {
        writeInteger(type)
        writeInteger(UInt8(0))
        let lengthIndex = writerIndex
        writeInteger(UInt16(0))
        body(&self)
        let length = writerIndex - lengthIndex - 2
        precondition(length <= Int(UInt16.max), "item \(type) longer than 65535 bytes")
        setInteger(UInt16(length), at: lengthIndex)
    }

    /// A 2-byte length followed by the bytes (PS3.7 Annex D.3.3 sub-item fields).
    private mutating func writeLengthPrefixed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        let lengthIndex = writerIndex
        writeInteger(UInt16(0))
        let count = writeBytes(bytes)
        precondition(count <= Int(UInt16.max), "field longer than 65535 bytes")
        setInteger(UInt16(count), at: lengthIndex)
    }

    // PS3.8 §9.3.2.3, PS3.7 Annex D.3.3.
    private mutating func writeUserInformation(_ information: UserInformation) {
        writeItem(PDUItemType.userInformation) { buffer in
            for item in information.items {
                buffer.writeUserInformationItem(item)
            }
        }
    }

    private mutating func writeUserInformationItem(_ item: UserInformation.Item) {
        switch item {
        case .maximumLength(let length):
            writeItem(PDUItemType.maximumLength) { $0.writeInteger(length) }
        case .implementationClassUID(let uid):
            writeItem(PDUItemType.implementationClassUID) { $0.writeString(uid) }
        case .asynchronousOperationsWindow(let invoked, let performed):
            writeItem(PDUItemType.asynchronousOperationsWindow) {
                $0.writeInteger(invoked)
                $0.writeInteger(performed)
            }
        case .roleSelection(let role):
            writeItem(PDUItemType.roleSelection) {
                $0.writeLengthPrefixed(role.sopClassUID.utf8)
                $0.writeInteger(UInt8(role.scuRole ? 1 : 0))
                $0.writeInteger(UInt8(role.scpRole ? 1 : 0))
            }
        case .implementationVersionName(let name):
            writeItem(PDUItemType.implementationVersionName) { $0.writeString(name) }
        case .sopClassExtendedNegotiation(let negotiation):
            writeItem(PDUItemType.sopClassExtendedNegotiation) {
                $0.writeLengthPrefixed(negotiation.sopClassUID.utf8)
                $0.writeBytes(negotiation.serviceClassApplicationInformation)
            }
        case .sopClassCommonExtendedNegotiation(let negotiation):
            writeItem(PDUItemType.sopClassCommonExtendedNegotiation) { buffer in
                buffer.writeLengthPrefixed(negotiation.sopClassUID.utf8)
                buffer.writeLengthPrefixed(negotiation.serviceClassUID.utf8)
                var related = ByteBuffer()
                for uid in negotiation.relatedGeneralSOPClassUIDs {
                    related.writeLengthPrefixed(uid.utf8)
                }
                buffer.writeLengthPrefixed(related.readableBytesView)
            }
        case .userIdentityRQ(let identity):
            writeItem(PDUItemType.userIdentityRQ) {
                $0.writeInteger(identity.type.rawValue)
                $0.writeInteger(UInt8(identity.positiveResponseRequested ? 1 : 0))
                $0.writeLengthPrefixed(identity.primaryField)
                $0.writeLengthPrefixed(identity.secondaryField)
            }
        case .userIdentityAC(let response):
            writeItem(PDUItemType.userIdentityAC) { $0.writeLengthPrefixed(response) }
        case .unknown(let type, let value):
            writeItem(type) { $0.writeBytes(value) }
        }
    }
}
