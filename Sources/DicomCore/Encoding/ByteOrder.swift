/// Little/big endian helpers. Values in memory are little endian; Explicit VR Big Endian
/// (PS3.5 §7.3, retired) is swapped on the way in and out.
public enum ByteOrder {
    /// Reverses each `unit`-byte group in place (a trailing partial group is left alone).
    public static func swapInPlace(_ bytes: inout [UInt8], unit: Int) {
        guard unit > 1 else { return }
        let n = bytes.count - bytes.count % unit
        bytes.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < n {
                var a = i, b = i + unit - 1
                while a < b {
                    p.swapAt(a, b)
                    a += 1
                    b -= 1
                }
                i += unit
            }
        }
    }

    public static func swapped(_ bytes: [UInt8], unit: Int) -> [UInt8] {
        var b = bytes
        swapInPlace(&b, unit: unit)
        return b
    }
}
