/// Why a value could not be stored in a data set by the typed setters of `DataSet+Values.swift`.
public enum ValueError: Error, Equatable, Sendable {
    /// No VR was given and the dictionary does not know the tag (nor, for a private tag, its creator's block).
    case unknownVR(Tag)
    /// The VR cannot hold this kind of value, e.g. doubles into a US element (PS3.5 Table 6.2-1).
    case vrMismatch(Tag, VR)
    /// A value the VR does not allow: out of range, NaN in DS, "\" inside one value, several values
    /// in LT/ST/UT/UR, characters outside the default repertoire in a VR that has no other.
    case invalidValue(Tag, VR, String)
    /// Characters that the data set's Specific Character Set cannot encode.
    case unencodable(Tag, CharacterSetError)
}
