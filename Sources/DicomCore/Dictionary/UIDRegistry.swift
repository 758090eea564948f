/// The registry of DICOM unique identifiers of PS3.6 Annex A (transfer syntaxes, SOP classes, …).
/// Data in `UIDRegistry+Generated.swift`, made by `Scripts/generate-dictionary.py`.
public struct UIDEntry: Sendable, Equatable {
    public let uid: String
    public let name: String
    /// "Transfer Syntax", "SOP Class", "Well-known SOP Instance", …
    public let type: String
    public let keyword: String
    public let isRetired: Bool
}

public enum UIDRegistry {
    static let entries: [String: UIDEntry] = {
        var d: [String: UIDEntry] = [:]
        for line in uidTable.split(separator: "\n") {
            // uid \t name \t type \t keyword \t retired
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 5 else { continue }
            d[String(f[0])] = UIDEntry(uid: String(f[0]), name: String(f[1]), type: String(f[2]),
                                       keyword: String(f[3]), isRetired: f[4] == "R")
        }
        return d
    }()

    public static func entry(for uid: String) -> UIDEntry? { entries[uid] }
    public static func name(for uid: String) -> String? { entries[uid]?.name }
    public static var all: [UIDEntry] { entries.values.sorted { $0.uid < $1.uid } }
}
