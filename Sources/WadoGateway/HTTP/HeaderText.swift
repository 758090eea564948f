// RFC 9110 §5.6.3: optional whitespace (OWS) around header list items and parameters is spaces
// and horizontal tabs. Trimmed in Swift, without Foundation's CharacterSet (which bridges through
// NSString: measurable on a request per frame).
extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmedOWS: String {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isOWS($0) }), let last = lastIndex(where: { !isOWS($0) }) else { return "" }
        return String(self[first...last])
    }
}
