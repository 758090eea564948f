// What every fuzz target shares: how a failed check is reported.
#if canImport(Glibc)
import Glibc
#endif

/// Reports a finding on stderr and aborts, so that libFuzzer saves the input like any crash.
public func finding(_ message: String) -> Never {
    let text = Array("FINDING: \(message)\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
