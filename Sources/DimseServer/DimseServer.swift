// DimseServer: the PS3.8 upper layer on SwiftNIO and the DIMSE services as SCP and SCU.
// Built by the receive/send issue; see docs/architecture.md.
import DicomCore
import DicomArchive

/// PS3.8 §9.3: the protocol version this implementation speaks in A-ASSOCIATE-RQ/AC.
public enum UpperLayer {
    public static let protocolVersion: UInt16 = 0x0001
}
