/// Why a string could not be written in a data set's Specific Character Set.
public enum CharacterSetError: Error, Equatable, Sendable {
    /// The string has characters that none of the data set's character sets can represent.
    case unencodable(string: String, characterSet: [String])
    /// A defined term that PS3.3 Table C.12-2/3/4/5 does not list.
    case unknownTerm(String)
}
