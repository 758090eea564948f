import ArgumentParser
import DicomCore

/// A transfer syntax named on the command line or in the configuration: a UID, a registry keyword
/// (`ExplicitVRLittleEndian`) or a short name (`implicit`, `explicit`, `deflated`, `big`, `rle`,
/// `jpeg-lossless`, `sv1`, `jpeg-ls`, `jpeg-ls-near`, `j2k`, `j2k-lossy`, `htj2k`, `htj2k-rpcl`,
/// `jpeg-baseline`).
struct TransferSyntaxArgument: ExpressibleByArgument {
    let syntax: TransferSyntax

    init?(argument: String) {
        switch argument.lowercased() {
        case "implicit", "ivrle": syntax = .implicitVRLittleEndian
        case "explicit", "evrle": syntax = .explicitVRLittleEndian
        case "deflated", "deflate": syntax = .deflatedExplicitVRLittleEndian
        case "big", "bigendian", "evrbe": syntax = .explicitVRBigEndian
        case "rle": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.5")
        case "jpeg-lossless", "jpegll", "process14": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.57")
        case "jpeg-lossless-sv1", "sv1": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.70")
        case "jpeg-ls", "jpeg-ls-lossless", "jls": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.80")
        case "jpeg-ls-near", "jls-near": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.81")
        case "j2k", "j2k-lossless", "jpeg2000-lossless": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.90")
        case "j2k-lossy", "jpeg2000": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.91")
        case "htj2k", "htj2k-lossless": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.201")
        case "htj2k-rpcl": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.202")
        case "jpeg-baseline", "jpeg": syntax = TransferSyntax(uid: "1.2.840.10008.1.2.4.50")
        default:
            if argument.first?.isNumber == true {
                syntax = TransferSyntax(uid: argument)
            } else if let entry = UIDRegistry.all.first(where: { $0.keyword.lowercased() == argument.lowercased() && $0.type == "Transfer Syntax" }) {
                syntax = TransferSyntax(uid: entry.uid)
            } else {
                return nil
            }
        }
    }

    static var defaultCompletionKind: CompletionKind {
        .list(["implicit", "explicit", "deflated", "big", "rle", "jpeg-lossless", "sv1", "jpeg-ls", "j2k", "htj2k", "htj2k-rpcl"])
    }
}
