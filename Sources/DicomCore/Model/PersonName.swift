/// A Person Name (PN) value, PS3.5 §6.2.1: up to three component groups — alphabetic, ideographic
/// and phonetic — separated by "=", each of up to five components separated by "^":
/// family name, given name, middle name, name prefix, name suffix.
///
/// "Yamada^Tarou=山田^太郎=やまだ^たろう" has all three groups; "Smith^John" only the alphabetic one.
/// Trailing empty components and groups, and their delimiters, are omitted when formatting
/// (PS3.5 §6.2.1.1, §6.2.1.2).
public struct PersonName: Sendable, Hashable, CustomStringConvertible {
    /// One component group: the five components of PS3.5 §6.2.1.1.
    public struct ComponentGroup: Sendable, Hashable, CustomStringConvertible {
        public var familyName: String
        public var givenName: String
        public var middleName: String
        public var namePrefix: String
        public var nameSuffix: String

        public init(familyName: String = "", givenName: String = "", middleName: String = "",
                    namePrefix: String = "", nameSuffix: String = "") {
            self.familyName = familyName
            self.givenName = givenName
            self.middleName = middleName
            self.namePrefix = namePrefix
            self.nameSuffix = nameSuffix
        }

        /// Parses "Family^Given^Middle^Prefix^Suffix"; nil when there are more than five components.
        /// Trailing spaces of each component are insignificant and dropped.
        public init?(parsing text: some StringProtocol) {
            let parts = text.split(separator: "^", omittingEmptySubsequences: false)
            guard parts.count <= 5 else { return nil }
            let c = parts.map { String($0.trimmingTrailingSpaces()) } + Array(repeating: "", count: 5 - parts.count)
            self.init(familyName: c[0], givenName: c[1], middleName: c[2], namePrefix: c[3], nameSuffix: c[4])
        }

        /// The five components in order.
        public var components: [String] { [familyName, givenName, middleName, namePrefix, nameSuffix] }

        public var isEmpty: Bool { components.allSatisfy(\.isEmpty) }

        /// "Family^Given", trailing empty components and their "^" left out.
        public var description: String {
            var c = components
            while let last = c.last, last.isEmpty { c.removeLast() }
            return c.joined(separator: "^")
        }
    }

    public var alphabetic: ComponentGroup
    public var ideographic: ComponentGroup
    public var phonetic: ComponentGroup

    public init(alphabetic: ComponentGroup = .init(), ideographic: ComponentGroup = .init(),
                phonetic: ComponentGroup = .init()) {
        self.alphabetic = alphabetic
        self.ideographic = ideographic
        self.phonetic = phonetic
    }

    /// Parses one PN value (already decoded from its character set). nil when it has more than
    /// three component groups or a group has more than five components.
    public init?(parsing text: some StringProtocol) {
        let groups = text.split(separator: "=", omittingEmptySubsequences: false)
        guard groups.count <= 3 else { return nil }
        var parsed: [ComponentGroup] = []
        for g in groups {
            guard let group = ComponentGroup(parsing: g) else { return nil }
            parsed.append(group)
        }
        while parsed.count < 3 { parsed.append(ComponentGroup()) }
        self.init(alphabetic: parsed[0], ideographic: parsed[1], phonetic: parsed[2])
    }

    /// The three groups in order.
    public var groups: [ComponentGroup] { [alphabetic, ideographic, phonetic] }

    public var isEmpty: Bool { groups.allSatisfy(\.isEmpty) }

    /// The PN value: "Yamada^Tarou=山田^太郎=やまだ^たろう"; trailing empty groups and their "="
    /// left out, inner empty groups kept ("Wang^XiaoDong==" is written "Wang^XiaoDong").
    public var description: String {
        var g = groups.map(\.description)
        while let last = g.last, last.isEmpty { g.removeLast() }
        return g.joined(separator: "=")
    }
}

extension StringProtocol {
    /// The text without trailing spaces.
    func trimmingTrailingSpaces() -> Substring {
        let s = Substring(self)
        guard let last = s.lastIndex(where: { $0 != " " }) else { return "" }
        return s[...last]
    }
}
