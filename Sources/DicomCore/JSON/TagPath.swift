/// Where an element sits in a data set: the sequences and items that enclose it, then its tag.
///
/// `(0008,1199)[0].(0008,1150)` is Referenced SOP Class UID in the first item of Referenced
/// SOP Sequence. Item indexes count from 0 here; PS3.18 §F.3 numbers items from 1 in XML.
public struct TagPath: Hashable, Sendable, CustomStringConvertible {
    /// One enclosing sequence element and the index (from 0) of the item within it.
    public struct Step: Hashable, Sendable {
        public var tag: Tag
        public var item: Int

        public init(tag: Tag, item: Int) {
            self.tag = tag
            self.item = item
        }
    }

    public var sequence: [Step]
    public var tag: Tag

    public init(_ tag: Tag, in sequence: [Step] = []) {
        self.tag = tag
        self.sequence = sequence
    }

    /// The path of an element inside item `item` of the sequence element at this path.
    public func appending(item: Int, tag child: Tag) -> TagPath {
        TagPath(child, in: sequence + [Step(tag: tag, item: item)])
    }

    /// "(0008,1199)[0].(0008,1150)", the form DCMTK uses for tag paths.
    public var description: String {
        sequence.map { "\($0.tag)[\($0.item)]." }.joined() + tag.description
    }

    /// The RFC 6901 JSON Pointer of the element's object in a DICOM JSON document:
    /// "/00081199/Value/0/00081150".
    public var jsonPointer: String {
        sequence.map { "/\($0.tag.jsonKey)/Value/\($0.item)" }.joined() + "/" + tag.jsonKey
    }
}
