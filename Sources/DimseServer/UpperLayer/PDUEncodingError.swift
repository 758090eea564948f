// PS3.8 §9.3.2: item and sub-item lengths are 16-bit fields.

/// Why a PDU could not be encoded. Nothing is written when encoding fails.
public enum PDUEncodingError: Error, Equatable, Sendable {
    /// An item or a length-prefixed field of the item `itemType` holds more than 65,535 bytes.
    case fieldTooLong(itemType: UInt8, length: Int)
}
