// Which accepted context an instance is transcoded to when its own syntax was not accepted
// (C-STORE SCU, C-MOVE and C-GET sub-operations): an uncompressed syntax first, then a lossless
// compressed one; never a lossy one (PS3.5 §A.4.1: JPEG Baseline/Extended), which would replace
// the original without anyone asking for it.
import DicomCore

extension Array where Element == AcceptedContext {
    /// The contexts worth transcoding to, in the order to try them.
    func transcodingTargets() -> [AcceptedContext] {
        let lossy: Set<String> = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"]
        let usable = filter { !lossy.contains($0.transferSyntax) }
        return usable.filter { !TransferSyntax(uid: $0.transferSyntax).isEncapsulated }
            + usable.filter { TransferSyntax(uid: $0.transferSyntax).isEncapsulated }
    }
}
