import Foundation

/// A new UID for instances, series and studies made here (worklist entries, MPPS, img2dcm): a
/// UUID-derived UID under the 2.25 root (PS3.5 §B.2).
public enum GeneratedUID {
    public static func make() -> String {
        let u = UUID().uuid
        return uid(uuid: [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15])
    }

    /// "2.25." and the decimal value of a 128-bit UUID (PS3.5 §B.2), its 16 bytes big endian.
    public static func uid(uuid bytes: [UInt8]) -> String {
        "2.25." + decimal(bytes)
    }

    /// A big-endian unsigned integer in decimal, by repeated division by 10.
    static func decimal(_ value: [UInt8]) -> String {
        var bytes = value
        var digits: [UInt8] = []
        while bytes.contains(where: { $0 != 0 }) {
            var remainder = 0
            for i in bytes.indices {
                let v = remainder * 256 + Int(bytes[i])
                bytes[i] = UInt8(v / 10)
                remainder = v % 10
            }
            digits.append(UInt8(0x30 + remainder))
        }
        return digits.isEmpty ? "0" : String(decoding: digits.reversed(), as: UTF8.self)
    }
}
