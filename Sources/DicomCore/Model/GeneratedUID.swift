import Foundation

/// A new UID for instances, series and studies made here (worklist entries, MPPS, img2dcm): a
/// UUID-derived UID under the 2.25 root (PS3.5 §B.2).
public enum GeneratedUID {
    public static func make() -> String {
        let u = UUID().uuid
        var bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        // 128-bit unsigned → decimal by repeated division by 10.
        var digits: [Character] = []
        while bytes.contains(where: { $0 != 0 }) {
            var remainder = 0
            for i in bytes.indices {
                let v = remainder * 256 + Int(bytes[i])
                bytes[i] = UInt8(v / 10)
                remainder = v % 10
            }
            digits.append(Character(String(remainder)))
        }
        return "2.25." + (digits.isEmpty ? "0" : String(digits.reversed()))
    }
}
