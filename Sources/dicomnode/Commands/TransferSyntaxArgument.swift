import ArgumentParser
import DicomCore

/// A transfer syntax named on the command line: a UID, a registry keyword
/// (`ExplicitVRLittleEndian`) or a short name (`implicit`, `explicit`, `deflated`, `big`).
struct TransferSyntaxArgument: ExpressibleByArgument {
    let syntax: TransferSyntax

    init?(argument: String) {
        switch argument.lowercased() {
        case "implicit", "ivrle": syntax = .implicitVRLittleEndian
        case "explicit", "evrle": syntax = .explicitVRLittleEndian
        case "deflated", "deflate": syntax = .deflatedExplicitVRLittleEndian
        case "big", "bigendian", "evrbe": syntax = .explicitVRBigEndian
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
        .list(["implicit", "explicit", "deflated", "big"])
    }
}
