// PS3.8 §9.3 and PS3.7 Annex D.3.3: decoding the body of one PDU.
import NIOCore

/// Walks the body of one PDU; `base` + reader index is the offset from the PDU's first byte.
struct PDUBodyReader {
    private var buffer: ByteBuffer
    private let base: Int

    init(buffer: ByteBuffer, base: Int) {
        self.buffer = buffer
        self.base = base
    }

    var offset: Int { base + buffer.readerIndex }
    var isEmpty: Bool { buffer.readableBytes == 0 }

    /// Item types PS3.8 §9.3 and PS3.7 Annex D.3.3 define; any other is unrecognised.
    private static let knownItemTypes: Set<UInt8> = Set([0x10, 0x20, 0x21, 0x30, 0x40, 0x50] + Array(0x51...0x59))

    mutating func readPDU(type: PDUType, length: UInt32) throws(PDUError) -> PDU {
        switch type {
        case .associateRQ:
            guard length >= 68 else { throw .invalidPDULength(type: type, length: length) }
            return .associateRQ(try readAssociateRQ())
        case .associateAC:
            guard length >= 68 else { throw .invalidPDULength(type: type, length: length) }
            return .associateAC(try readAssociateAC())
        case .associateRJ:
            guard length == 4 else { throw .invalidPDULength(type: type, length: length) }
            let bytes = try readBytes(4, itemType: type.rawValue)
            let source = AssociateRJ.Source(rawValue: bytes[2])
            return .associateRJ(AssociateRJ(
                result: AssociateRJ.Result(rawValue: bytes[1]),
                source: source,
                reason: AssociateRJ.Reason(rawValue: bytes[3], source: source)
            ))
        case .pDataTF:
            return .pDataTF(try readPDataTF())
        case .releaseRQ, .releaseRP:
            guard length == 4 else { throw .invalidPDULength(type: type, length: length) }
            return type == .releaseRQ ? .releaseRQ : .releaseRP
        case .abort:
            guard length == 4 else { throw .invalidPDULength(type: type, length: length) }
            let bytes = try readBytes(4, itemType: type.rawValue)
            return .abort(Abort(source: Abort.Source(rawValue: bytes[2]), reason: Abort.Reason(rawValue: bytes[3])))
        }
    }

    // MARK: A-ASSOCIATE-RQ / AC

    private struct FixedFields {
        var version: UInt16
        var called: String
        var calling: String
    }

    // PS3.8 Table 9-11 / 9-17, bytes 7–74; reserved fields are not tested.
    private mutating func readFixedFields(_ type: UInt8) throws(PDUError) -> FixedFields {
        let version = try readUInt16(itemType: type)
        _ = try readUInt16(itemType: type)
        let called = Self.aeTitle(try readBytes(16, itemType: type))
        let calling = Self.aeTitle(try readBytes(16, itemType: type))
        _ = try readBytes(32, itemType: type)
        return FixedFields(version: version, called: called, calling: calling)
    }

    private mutating func readAssociateRQ() throws(PDUError) -> AssociateRQ {
        let body = try readAssociateBody(PDUType.associateRQ.rawValue, contextItemType: PDUItemType.presentationContextRQ) {
            (item: inout PDUBodyReader) throws(PDUError) in try item.readPresentationContextRQ()
        }
        return AssociateRQ(
            protocolVersion: body.fixed.version, calledAETitle: body.fixed.called, callingAETitle: body.fixed.calling,
            applicationContextName: body.applicationContext, presentationContexts: body.contexts,
            userInformation: body.userInformation
        )
    }

    private mutating func readAssociateAC() throws(PDUError) -> AssociateAC {
        let body = try readAssociateBody(PDUType.associateAC.rawValue, contextItemType: PDUItemType.presentationContextAC) {
            (item: inout PDUBodyReader) throws(PDUError) in try item.readPresentationContextAC()
        }
        return AssociateAC(
            protocolVersion: body.fixed.version, calledAETitle: body.fixed.called, callingAETitle: body.fixed.calling,
            applicationContextName: body.applicationContext, presentationContexts: body.contexts,
            userInformation: body.userInformation
        )
    }

    /// The body shared by A-ASSOCIATE-RQ and -AC (PS3.8 Tables 9-11 and 9-17): fixed fields, then one
    /// application context item, presentation context items of `contextItemType`, one user information item.
    private mutating func readAssociateBody<Context>(
        _ pduType: UInt8, contextItemType: UInt8,
        readContext: (inout PDUBodyReader) throws(PDUError) -> Context
    ) throws(PDUError) -> (fixed: FixedFields, applicationContext: String, contexts: [Context], userInformation: UserInformation) {
        let fixed = try readFixedFields(pduType)
        var applicationContext: String?
        var contexts: [Context] = []
        var userInformation: UserInformation?
        while !isEmpty {
            let start = offset
            var (type, item) = try readItem()
            switch type {
            case PDUItemType.applicationContext where applicationContext == nil:
                applicationContext = item.readRestUID()
            case contextItemType:
                contexts.append(try readContext(&item))
            case PDUItemType.userInformation where userInformation == nil:
                userInformation = try item.readUserInformation()
            case let other where Self.knownItemTypes.contains(other):
                throw .unexpectedItem(itemType: other, offset: start)
            default:
                break   // PS3.8 §9.3.1: items of unrecognized types shall be ignored and skipped.
            }
        }
        guard let applicationContext else { throw .missingItem(itemType: PDUItemType.applicationContext) }
        guard let userInformation else { throw .missingItem(itemType: PDUItemType.userInformation) }
        return (fixed, applicationContext, contexts, userInformation)
    }

    // PS3.8 §9.3.2.2, Table 9-13.
    private mutating func readPresentationContextRQ() throws(PDUError) -> AssociateRQ.PresentationContext {
        let id = try readUInt8(itemType: PDUItemType.presentationContextRQ)
        _ = try readBytes(3, itemType: PDUItemType.presentationContextRQ)
        var abstractSyntax: String?
        var transferSyntaxes: [String] = []
        while !isEmpty {
            let start = offset
            var (type, item) = try readItem()
            switch type {
            case PDUItemType.abstractSyntax where abstractSyntax == nil:
                abstractSyntax = item.readRestUID()
            case PDUItemType.transferSyntax:
                transferSyntaxes.append(item.readRestUID())
            case let other where Self.knownItemTypes.contains(other):
                throw .unexpectedItem(itemType: other, offset: start)
            default:
                break   // PS3.8 §9.3.1
            }
        }
        guard let abstractSyntax else { throw .missingItem(itemType: PDUItemType.abstractSyntax) }
        guard !transferSyntaxes.isEmpty else { throw .missingItem(itemType: PDUItemType.transferSyntax) }
        return AssociateRQ.PresentationContext(id: id, abstractSyntax: abstractSyntax, transferSyntaxes: transferSyntaxes)
    }

    // PS3.8 §9.3.3.2, Table 9-18.
    private mutating func readPresentationContextAC() throws(PDUError) -> AssociateAC.PresentationContext {
        let bytes = try readBytes(4, itemType: PDUItemType.presentationContextAC)
        var transferSyntax: String?
        while !isEmpty {
            let start = offset
            var (type, item) = try readItem()
            switch type {
            case PDUItemType.transferSyntax where transferSyntax == nil:
                transferSyntax = item.readRestUID()
            case let other where Self.knownItemTypes.contains(other):
                throw .unexpectedItem(itemType: other, offset: start)
            default:
                break   // PS3.8 §9.3.1
            }
        }
        return AssociateAC.PresentationContext(
            id: bytes[0], result: AssociateAC.Result(rawValue: bytes[2]), transferSyntax: transferSyntax
        )
    }

    // MARK: User information (PS3.8 Annex D.1, PS3.7 Annex D.3.3)

    private mutating func readUserInformation() throws(PDUError) -> UserInformation {
        var items: [UserInformation.Item] = []
        while !isEmpty {
            var (type, item) = try readItem()
            items.append(try item.readUserInformationItem(type))
        }
        return UserInformation(items: items)
    }

    private mutating func readUserInformationItem(_ type: UInt8) throws(PDUError) -> UserInformation.Item {
        let result: UserInformation.Item
        switch type {
        case PDUItemType.maximumLength:
            result = .maximumLength(try readUInt32(itemType: type))
        case PDUItemType.implementationClassUID:
            result = .implementationClassUID(readRestUID())
        case PDUItemType.asynchronousOperationsWindow:
            let invoked = try readUInt16(itemType: type)
            result = .asynchronousOperationsWindow(invoked: invoked, performed: try readUInt16(itemType: type))
        case PDUItemType.roleSelection:
            let uid = Self.uid(try readLengthPrefixed(itemType: type))
            let scuStart = offset
            let scu = try readUInt8(itemType: type)
            let scp = try readUInt8(itemType: type)
            guard scu <= 1, scp <= 1 else { throw .invalidParameterValue(itemType: type, offset: scuStart) }
            result = .roleSelection(RoleSelection(sopClassUID: uid, scuRole: scu == 1, scpRole: scp == 1))
        case PDUItemType.implementationVersionName:
            result = .implementationVersionName(Self.text(readRest()))
        case PDUItemType.sopClassExtendedNegotiation:
            let uid = Self.uid(try readLengthPrefixed(itemType: type))
            result = .sopClassExtendedNegotiation(
                SOPClassExtendedNegotiation(sopClassUID: uid, serviceClassApplicationInformation: readRest())
            )
        case PDUItemType.sopClassCommonExtendedNegotiation:
            let sopClass = Self.uid(try readLengthPrefixed(itemType: type))
            let serviceClass = Self.uid(try readLengthPrefixed(itemType: type))
            let relatedStart = offset
            var related = PDUBodyReader(
                buffer: ByteBuffer(bytes: try readLengthPrefixed(itemType: type)), base: relatedStart + 2
            )
            var relatedUIDs: [String] = []
            while !related.isEmpty {
                relatedUIDs.append(Self.uid(try related.readLengthPrefixed(itemType: type)))
            }
            result = .sopClassCommonExtendedNegotiation(SOPClassCommonExtendedNegotiation(
                sopClassUID: sopClass, serviceClassUID: serviceClass, relatedGeneralSOPClassUIDs: relatedUIDs
            ))
        case PDUItemType.userIdentityRQ:
            let identityType = UserIdentityRQ.IdentityType(rawValue: try readUInt8(itemType: type))
            let responseStart = offset
            let positive = try readUInt8(itemType: type)
            guard positive <= 1 else { throw .invalidParameterValue(itemType: type, offset: responseStart) }
            let primary = try readLengthPrefixed(itemType: type)
            let secondary = try readLengthPrefixed(itemType: type)
            result = .userIdentityRQ(UserIdentityRQ(
                type: identityType, positiveResponseRequested: positive == 1,
                primaryField: primary, secondaryField: secondary
            ))
        case PDUItemType.userIdentityAC:
            result = .userIdentityAC(serverResponse: try readLengthPrefixed(itemType: type))
        default:
            // PS3.7 D.3.3: sub-items this implementation does not know are kept, to be ignored by the caller.
            return .unknown(type: type, value: readRest())
        }
        // Fixed-layout sub-items must end where their fields end.
        guard isEmpty else { throw .invalidParameterValue(itemType: type, offset: offset) }
        return result
    }

    // MARK: P-DATA-TF (PS3.8 §9.3.5)

    private mutating func readPDataTF() throws(PDUError) -> PDataTF {
        var pdvs: [PDataTF.PDV] = []
        while !isEmpty {
            let start = offset
            guard let length = buffer.readInteger(as: UInt32.self) else {
                throw .itemOverrun(itemType: PDUType.pDataTF.rawValue, offset: start)
            }
            // PS3.8 Table 9-23: the item length counts the context ID and the control header.
            guard length >= 2, Int(length) <= buffer.readableBytes,
                  let id = buffer.readInteger(as: UInt8.self),
                  let header = buffer.readInteger(as: UInt8.self),
                  let data = buffer.readSlice(length: Int(length) - 2)
            else { throw .invalidPDVLength(length: length, offset: start) }
            pdvs.append(PDataTF.PDV(
                presentationContextID: id, isCommand: header & 0x01 != 0, isLast: header & 0x02 != 0, data: data
            ))
        }
        // PS3.8 Table 9-22: one or more PDV items.
        guard !pdvs.isEmpty else { throw .invalidPDULength(type: .pDataTF, length: 0) }
        return PDataTF(pdvs: pdvs)
    }

    // MARK: Primitives

    /// An item with a 2-byte length (PS3.8 §9.3.2): its type and a reader over its value.
    private mutating func readItem() throws(PDUError) -> (UInt8, PDUBodyReader) {
        let start = offset
        guard let type = buffer.readInteger(as: UInt8.self) else { throw .itemOverrun(itemType: 0, offset: start) }
        guard buffer.readInteger(as: UInt8.self) != nil,
              let length = buffer.readInteger(as: UInt16.self)
        else { throw .itemOverrun(itemType: type, offset: start) }
        let valueStart = offset
        guard let value = buffer.readSlice(length: Int(length)) else {
            throw .itemOverrun(itemType: type, offset: start)
        }
        return (type, PDUBodyReader(buffer: value, base: valueStart))
    }

    private mutating func readUInt8(itemType: UInt8) throws(PDUError) -> UInt8 {
        guard let value = buffer.readInteger(as: UInt8.self) else { throw .itemOverrun(itemType: itemType, offset: offset) }
        return value
    }

    private mutating func readUInt16(itemType: UInt8) throws(PDUError) -> UInt16 {
        guard let value = buffer.readInteger(as: UInt16.self) else { throw .itemOverrun(itemType: itemType, offset: offset) }
        return value
    }

    private mutating func readUInt32(itemType: UInt8) throws(PDUError) -> UInt32 {
        guard let value = buffer.readInteger(as: UInt32.self) else { throw .itemOverrun(itemType: itemType, offset: offset) }
        return value
    }

    private mutating func readBytes(_ count: Int, itemType: UInt8) throws(PDUError) -> [UInt8] {
        guard let value = buffer.readBytes(length: count) else { throw .itemOverrun(itemType: itemType, offset: offset) }
        return value
    }

    /// A 2-byte length and that many bytes (PS3.7 Annex D.3.3 sub-item fields).
    private mutating func readLengthPrefixed(itemType: UInt8) throws(PDUError) -> [UInt8] {
        let start = offset
        guard let length = buffer.readInteger(as: UInt16.self),
              let value = buffer.readBytes(length: Int(length))
        else { throw .itemOverrun(itemType: itemType, offset: start) }
        return value
    }

    private mutating func readRest() -> [UInt8] {
        buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    private mutating func readRestUID() -> String {
        Self.uid(readRest())
    }

    /// AE titles: leading and trailing spaces are not significant (PS3.8 Table 9-11, PS3.5 AE).
    /// Each byte is one character (Latin-1), so any 16 bytes re-encode to themselves.
    private static func aeTitle(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })
        while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
        while let first = scalars.first, first == " " || first == "\0" { scalars.removeFirst() }
        return String(scalars)
    }

    /// UIDs in PDUs are not padded, but some peers add a trailing NUL or space (PS3.8 Annex F); drop it.
    private static func uid(_ bytes: [UInt8]) -> String {
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == 0 || bytes[end - 1] == 0x20 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
