// PS3.8 §9.3.5, Table 9-22 and Annex E: P-DATA-TF PDU and its presentation data value items.
import NIOCore

/// P-DATA-TF: one or more presentation data values (command or data set fragments).
public struct PDataTF: Equatable, Sendable {
    public var pdvs: [PDV]

    public init(pdvs: [PDV]) {
        self.pdvs = pdvs
    }

    /// A presentation data value item (PS3.8 §9.3.5.1, Table 9-23; message control header PS3.8 Annex E.2).
    public struct PDV: Equatable, Sendable {
        public var presentationContextID: UInt8
        /// Message control header bit 0: 1 = command information, 0 = data set information.
        public var isCommand: Bool
        /// Message control header bit 1: 1 = last fragment of the command or data set.
        public var isLast: Bool
        /// The fragment (a slice of the received buffer, no copy).
        public var data: ByteBuffer

        public init(presentationContextID: UInt8, isCommand: Bool, isLast: Bool, data: ByteBuffer) {
            self.presentationContextID = presentationContextID
            self.isCommand = isCommand
            self.isLast = isLast
            self.data = data
        }

        /// The message control header byte (PS3.8 Annex E.2); the other six bits are sent as 0.
        public var messageControlHeader: UInt8 {
            (isCommand ? 0x01 : 0x00) | (isLast ? 0x02 : 0x00)
        }
    }
}
