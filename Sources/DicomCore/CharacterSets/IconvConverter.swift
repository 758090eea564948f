import Glibc
import Synchronization

/// A conversion between two encodings through glibc's iconv(3).
///
/// An `iconv_t` keeps shift state and is not thread safe, so a converter is used by one caller
/// at a time: `IconvConverter.with(from:to:_:)` lends one out of a small per-pair pool.
final class IconvConverter: @unchecked Sendable {
    private let handle: iconv_t

    /// The pair is not supported by this C library.
    init?(from source: String, to target: String) {
        guard let h = iconv_open(target, source), h != iconv_t(bitPattern: -1) else { return nil }
        handle = h
    }

    deinit { iconv_close(handle) }

    /// Converts all of `input`.
    /// - Parameter replacement: bytes written for each input byte that cannot be converted; nil
    ///   makes such input fail the whole conversion.
    /// - Returns: the converted bytes, or nil when `replacement` is nil and the input has bytes
    ///   that are invalid in the source encoding or have no equivalent in the target one.
    func convert(_ input: [UInt8], replacement: [UInt8]?) -> [UInt8]? {
        _ = iconv(handle, nil, nil, nil, nil)    // back to the initial shift state
        var output = [UInt8]()
        output.reserveCapacity(input.count * 2 + 8)
        var chunk = [UInt8](repeating: 0, count: max(64, input.count * 4 + 8))
        var failed = false
        input.withUnsafeBufferPointer { inBuffer in
            guard let base = inBuffer.baseAddress else { return }
            var inPointer = UnsafeMutablePointer<CChar>(mutating: UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self))
            var inLeft = inBuffer.count
            chunk.withUnsafeMutableBufferPointer { outBuffer in
                guard let outBase = outBuffer.baseAddress else { return }
                let outStart = UnsafeMutableRawPointer(outBase).assumingMemoryBound(to: CChar.self)
                while true {
                    var outPointer: UnsafeMutablePointer<CChar>? = outStart
                    var outLeft = outBuffer.count
                    var inOptional: UnsafeMutablePointer<CChar>? = inPointer
                    let result = inLeft > 0
                        ? iconv(handle, &inOptional, &inLeft, &outPointer, &outLeft)
                        : iconv(handle, nil, nil, &outPointer, &outLeft)   // flush the shift state
                    let error = result == -1 ? errno : 0
                    if let p = inOptional { inPointer = p }
                    output.append(contentsOf: UnsafeBufferPointer(start: outBase, count: outBuffer.count - outLeft))
                    if result != -1 {
                        if inLeft == 0 { break } else { continue }
                    }
                    if error == E2BIG { continue }
                    // EILSEQ (invalid or unconvertible) or EINVAL (incomplete sequence at the end).
                    guard let replacement else { failed = true; return }
                    output.append(contentsOf: replacement)
                    if error == EINVAL || inLeft <= 1 { inLeft = 0; break }
                    inPointer += 1
                    inLeft -= 1
                    _ = iconv(handle, nil, nil, nil, nil)
                }
            }
        }
        return failed ? nil : output
    }

    private struct Pair: Hashable { var from: String; var to: String }
    private static let pool = Mutex<[Pair: [IconvConverter]]>([:])

    /// Runs `body` with a converter for the pair, reusing one from the pool when there is one.
    /// Returns nil if iconv does not know the pair.
    static func with<R>(from source: String, to target: String, _ body: (IconvConverter) -> R) -> R? {
        let key = Pair(from: source, to: target)
        let pooled = pool.withLock { pool -> IconvConverter? in pool[key]?.popLast() }
        guard let converter = pooled ?? IconvConverter(from: source, to: target) else { return nil }
        let result = body(converter)
        pool.withLock { pool in
            if pool[key, default: []].count < 4 { pool[key, default: []].append(converter) }
        }
        return result
    }
}
