// PS3.8 §9.3.2, Table 9-11: A-ASSOCIATE-RQ PDU.

/// A-ASSOCIATE-RQ: the requestor proposes an association.
public struct AssociateRQ: Equatable, Sendable {
    /// Bit 0 set: version 1 (PS3.8 Table 9-11, bytes 7–8).
    public var protocolVersion: UInt16
    /// Called AE title without its padding; sent as 16 bytes, space padded (PS3.8 Table 9-11, bytes 11–26).
    public var calledAETitle: String
    /// Calling AE title without its padding (bytes 27–42).
    public var callingAETitle: String
    /// Item 10H (PS3.8 §9.3.2.1); "1.2.840.10008.3.1.1.1" is the DICOM application context.
    public var applicationContextName: String
    /// Items 20H (PS3.8 §9.3.2.2), in the order received.
    public var presentationContexts: [PresentationContext]
    /// Item 50H (PS3.8 §9.3.2.3).
    public var userInformation: UserInformation

    public init(
        protocolVersion: UInt16 = UpperLayer.protocolVersion,
        calledAETitle: String,
        callingAETitle: String,
        applicationContextName: String = "1.2.840.10008.3.1.1.1",
        presentationContexts: [PresentationContext],
        userInformation: UserInformation
    ) {
        self.protocolVersion = protocolVersion
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.applicationContextName = applicationContextName
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }

    /// A proposed presentation context: item 20H with one abstract syntax 30H and one or more
    /// transfer syntaxes 40H (PS3.8 §9.3.2.2, Table 9-13).
    public struct PresentationContext: Equatable, Sendable {
        /// Odd, 1–255 (PS3.8 Table 9-13, byte 5).
        public var id: UInt8
        public var abstractSyntax: String
        public var transferSyntaxes: [String]

        public init(id: UInt8, abstractSyntax: String, transferSyntaxes: [String]) {
            self.id = id
            self.abstractSyntax = abstractSyntax
            self.transferSyntaxes = transferSyntaxes
        }
    }
}
