// PS3.8 Annex E and PS3.7 §6.3: a DIMSE message travels as PDVs — first the command fragments
// (message control header bit 0 set), the last with bit 1 set; then, when the command says so,
// the data set fragments on the same presentation context, the last again with bit 1 set.
import NIOCore

/// Turns the PDVs of P-DATA-TF PDUs into DIMSE events. Command fragments are gathered (they are
/// small and bounded by ``CommandSet/maximumEncodedLength``); data set fragments are handed on
/// one by one, never gathered, so that an instance of any size streams to its destination.
public struct MessageAssembler: Sendable {
    /// What one PDV completed.
    public enum Event: Sendable, Equatable {
        /// A whole command set arrived; `expectsDataSet` says whether data PDVs follow.
        case command(CommandSet, contextID: UInt8, expectsDataSet: Bool)
        /// A fragment of the current message's data set.
        case dataFragment(ByteBuffer, contextID: UInt8, isLast: Bool)
    }

    /// A PDV that breaks the rules of PS3.7 §6.3 / PS3.8 Annex E; the association is aborted.
    public enum Violation: Error, Sendable, Equatable, CustomStringConvertible {
        case commandSet(CommandSetError)
        case dataWithoutCommand(contextID: UInt8)
        case commandDuringDataSet(contextID: UInt8)
        case contextChanged(expected: UInt8, found: UInt8)
        case commandTooLong(Int)

        public var description: String {
            switch self {
            case .commandSet(let e): "bad command set: \(e)"
            case .dataWithoutCommand(let id): "data PDV on context \(id) without a command that announced a data set"
            case .commandDuringDataSet(let id): "command PDV on context \(id) while a data set was still arriving"
            case .contextChanged(let expected, let found): "PDV on context \(found) inside a message on context \(expected)"
            case .commandTooLong(let n): "command set longer than \(n) bytes"
            }
        }
    }

    private enum Phase: Sendable {
        case idle
        case command(contextID: UInt8, fragments: ByteBuffer)
        case dataSet(contextID: UInt8)
    }

    private var phase: Phase = .idle

    public init() {}

    /// True between the first PDV of a message and the last PDV of its data set.
    public var isInsideMessage: Bool {
        if case .idle = phase { return false }
        return true
    }

    /// Feeds one PDV.
    /// - Returns: the event it completes, or nil (a command fragment that is not the last).
    /// - Throws: `Violation` for a PDV out of order.
    public mutating func feed(_ pdv: PDataTF.PDV) throws(Violation) -> Event? {
        switch phase {
        case .idle:
            guard pdv.isCommand else { throw .dataWithoutCommand(contextID: pdv.presentationContextID) }
            phase = .command(contextID: pdv.presentationContextID, fragments: ByteBuffer())
            return try feed(pdv)
        case .command(let id, var fragments):
            guard pdv.presentationContextID == id else { throw .contextChanged(expected: id, found: pdv.presentationContextID) }
            guard pdv.isCommand else { throw .dataWithoutCommand(contextID: id) }
            var data = pdv.data
            guard fragments.readableBytes + data.readableBytes <= CommandSet.maximumEncodedLength else {
                throw .commandTooLong(CommandSet.maximumEncodedLength)
            }
            fragments.writeBuffer(&data)
            guard pdv.isLast else {
                phase = .command(contextID: id, fragments: fragments)
                return nil
            }
            let command: CommandSet
            do { command = try CommandSet(decoding: fragments) } catch { throw .commandSet(error) }
            let expects = command.hasDataSet
            phase = expects ? .dataSet(contextID: id) : .idle
            return .command(command, contextID: id, expectsDataSet: expects)
        case .dataSet(let id):
            guard !pdv.isCommand else { throw .commandDuringDataSet(contextID: pdv.presentationContextID) }
            guard pdv.presentationContextID == id else { throw .contextChanged(expected: id, found: pdv.presentationContextID) }
            if pdv.isLast { phase = .idle }
            return .dataFragment(pdv.data, contextID: id, isLast: pdv.isLast)
        }
    }
}

extension PDataTF {
    /// Splits one message part (command or data set bytes) into P-DATA-TF PDUs that each fit
    /// the peer's maximum PDU length (PS3.8 §D.1: the limit counts the PDV items, 6 bytes of
    /// header each: 4 length + 1 context ID + 1 message control header).
    /// - Parameters:
    ///   - bytes: the encoded command set or data set.
    ///   - maxPDULength: the peer's maximum length; 0 means no limit (we still cut at 1 MiB).
    public static func fragments(of bytes: ByteBuffer, contextID: UInt8, isCommand: Bool, maxPDULength: UInt32) -> [PDataTF] {
        let limit = maxPDULength == 0 ? 1 << 20 : Int(min(maxPDULength, 1 << 24))
        let chunk = max(limit - 6, 1)
        var out: [PDataTF] = []
        var rest = bytes
        repeat {
            let n = min(chunk, rest.readableBytes)
            let slice = rest.readSlice(length: n) ?? ByteBuffer()
            out.append(PDataTF(pdvs: [PDV(presentationContextID: contextID, isCommand: isCommand,
                                         isLast: rest.readableBytes == 0, data: slice)]))
        } while rest.readableBytes > 0
        return out
    }
}

extension PDataTF {
    /// The P-DATA-TF PDUs of one DIMSE message: its command set, then its data set if any. When
    /// both fit one PDU they travel together as two PDVs, the command first: PS3.8 §9.3.5 lets a
    /// P-DATA-TF carry several PDV items (the limit counts them with their 6-byte headers, §D.1)
    /// as long as they belong to the same message (Annex E.1), so the PDVs of two messages never
    /// share a PDU. Otherwise each part is cut into PDUs of its own, as
    /// ``fragments(of:contextID:isCommand:maxPDULength:)`` does.
    public static func message(command: ByteBuffer, dataSet: ByteBuffer?, contextID: UInt8, maxPDULength: UInt32) -> [PDataTF] {
        let limit = maxPDULength == 0 ? 1 << 20 : Int(min(maxPDULength, 1 << 24))
        guard let dataSet else {
            return fragments(of: command, contextID: contextID, isCommand: true, maxPDULength: maxPDULength)
        }
        if command.readableBytes + dataSet.readableBytes + 12 <= limit {
            return [PDataTF(pdvs: [PDV(presentationContextID: contextID, isCommand: true, isLast: true, data: command),
                                   PDV(presentationContextID: contextID, isCommand: false, isLast: true, data: dataSet)])]
        }
        return fragments(of: command, contextID: contextID, isCommand: true, maxPDULength: maxPDULength)
            + fragments(of: dataSet, contextID: contextID, isCommand: false, maxPDULength: maxPDULength)
    }
}
