// libFuzzer target: the PS3.8 §9.3 PDU reader. Bytes are read as PDUs back to back; every PDU
// that decodes must encode (unless a field is too long for its 16-bit length) and decode again
// to the same value. Build and run with `Fuzz/run.sh FuzzPDUReader SECONDS`.
import DimseServer
import FuzzSupport
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    while true {
        let pdu: PDU?
        do {
            pdu = try buffer.readPDU(maxLength: 1 << 20)
        } catch {
            _ = error.abortReason           // every error has an A-ABORT reason
            return 0
        }
        guard let pdu else { return 0 }
        var out = ByteBuffer()
        do {
            try out.writePDU(pdu)
        } catch {
            continue
        }
        let again: PDU?
        do {
            again = try out.readPDU(maxLength: UInt32.max)
        } catch {
            finding("an encoded PDU does not decode: \(error)\n\(pdu)")
        }
        if again != pdu { finding("round trip differs:\n\(pdu)\n\(String(describing: again))") }
    }
}
