// PS3.15 Annex E, Table E.1-1 "Application Level Confidentiality Profile Attributes", the
// "Basic Prof." column (https://dicom.nema.org/medical/dicom/2023b/output/chtml/part15/chapter_E.html).
// Edition: checked row by row against PS3.15 2023b Table E.1-1: every row of that edition is here
// with its code, including the retired attributes. 13 rows that PS3.15 2023b does not have were
// taken from the 2024b edition (the Issuer of Clinical Trial ... ID attributes (0012,0022), (0012,0023),
// (0012,0032), (0012,0041), (0012,0043), (0012,0055), (0012,0073); Date of Manufacture (0018,1204),
// Date of Installation (0018,1205); ROI DateTime (3006,002D), ROI Observation DateTime (3006,002E),
// ROI Creator Sequence (3006,004D), ROI Interpreter Sequence (3006,004E)), all X; they are marked
// "2024b" below. Each row keeps the action code the standard gives; `BasicProfile.resolved` picks
// one action for the combined codes. Attributes not listed are kept (K); the rows that name no
// single tag (private attributes (gggg,eeee) with gggg odd, Curve Data (50xx,xxxx), Overlay Data
// (60xx,3000), Overlay Comments (60xx,4000)) are applied in `BasicProfile.action(for:)`.
// Update this table together with the edition named above.

/// An action code of PS3.15 Table E.1-1 as the table writes it.
public enum ProfileActionCode: Sendable, Equatable {
    /// D: a non-zero length dummy value consistent with the VR.
    case D
    /// Z: a zero length value (or a dummy).
    case Z
    /// X: remove.
    case X
    /// U: a non-zero length UID, internally consistent within a set of instances.
    case U
    /// Z/D: Z unless D is required to keep the IOD conformant (Type 2 versus Type 1).
    case ZD
    /// X/Z: X unless Z is required (Type 3 versus Type 2).
    case XZ
    /// X/D: X unless D is required (Type 3 versus Type 1).
    case XD
    /// X/Z/D: X unless Z or D is required (Type 3 versus 2 versus 1).
    case XZD
    /// X/Z/U*: X unless Z or replacing the contained instance UIDs is required.
    case XZU
}

extension BasicProfile {
    /// Table E.1-1, Basic Profile column (PS3.15 2023b, and the 2024b rows named above), keyed by the
    /// tag's 32-bit value.
    static let table: [UInt32: ProfileActionCode] = {
        var t: [UInt32: ProfileActionCode] = [:]
        for (code, tags) in rows { for tag in tags { t[tag] = code } }
        return t
    }()

    private static let rows: [(ProfileActionCode, [UInt32])] = [
        (.D, [
            0x0018_11BB, 0x006A_0005, 0x006A_0003, 0x0044_0104, 0x0400_0562, 0x300C_0127, 0x0400_0115, // FOV label … Certificate of Signer
            0x0012_0081, 0x0012_0020, 0x0012_0010, 0x0012_0040, 0x0012_0042, // clinical trial committee, protocol ID, sponsor, subject IDs
            0x0040_0512, 0x0040_A730, 0x0008_0107, 0x0008_0106, 0x0040_A121, 0x0040_A120, // Container Identifier, Content Sequence, context group versions, Date, DateTime
            0x0018_9701, 0x2100_0140, 0x3010_002D, 0x0400_0105, 0x0068_6226, 0x0042_0011, // Decay Correction DateTime, Destination AE, Device Label, Digital Signature DateTime, Effective DateTime, Encapsulated Document
            0x3010_0035, 0x3010_0038, 0x0018_9804, 0x0034_0002, 0x0034_0001, 0x0018_9074, // Entity Label/Long Label, Exclusion Start DateTime, Flow Identifier (Sequence), Frame Acquisition DateTime
            0x0034_0007, 0x0018_9151, 0x0018_9623, 0x0070_0001, 0x0072_000A, 0x003A_0314, // Frame Origin Timestamp, Frame Reference DateTime, Functional Sync Pulse, Graphic Annotation Sequence, HP Creation DateTime, Impedance Measurement DateTime
            0x0068_6270, 0x300A_0741, 0x300A_0742, 0x300A_0783, 0x0400_0563, 0x300A_0760, // Information Issue DateTime, Interlock DateTime/Description/Origin, Modifying System, Override DateTime
            0x0040_1101, 0x0040_A123, 0x300A_0002, 0x3010_0054, 0x300A_062A, 0x300A_0619, // Person Identification Code Sequence, Person Name, RT Plan Label, RT Prescription Label, RT Tolerance Set Label, Radiation Dose Identification Label
            0x300A_0623, 0x300A_067C, 0x0400_0565, 0x300A_073A, 0x0040_A13A, // Dose In-Vivo Measurement Label, Generation Mode Label, Reason for Modification, Recorded CP DateTime, Referenced DateTime
            0x3008_0162, 0x3008_0164, 0x3008_0166, 0x3008_0168, // Safe Position Exit/Return Date/Time
            0x0072_005E, 0x0072_005F, 0x0072_0061, 0x0072_0063, 0x0072_0066, 0x0072_0068, 0x0072_0065, // Selector AE/AS/DA/DT/LO/LT/OB Value
            0x0072_006A, 0x0072_006C, 0x0072_006E, 0x0072_006B, 0x0072_006D, 0x0072_0071, 0x0072_0070, // Selector PN/SH/ST/TM/UN/UR/UT Value
            0x0018_936A, 0x0034_0005, 0x0018_9369, 0x300A_022C, 0x300A_022E, 0x0040_0551, // Source End DateTime, Source Identifier, Source Start DateTime, Source Strength Reference Date/Time, Specimen Identifier
            0x3006_0002, 0x0040_A122, 0x3008_0024, 0x3008_0025, 0x300A_0608, 0x300A_0736, 0x300A_0734, // Structure Set Label, Time, Treatment CP Date/Time, Treatment Position Group Label, Tolerance Violation DateTime/Description
            0x3010_0033, 0x3010_0034, 0x0040_A030, 0x0040_A075, 0x0040_A073, 0x0040_A027, // User Content (Long) Label, Verification DateTime, Verifying Observer Name/Sequence, Verifying Organization
            0x0018_9371, 0x0018_9367, // X-Ray Detector ID, X-Ray Source ID
        ]),
        (.Z, [
            0x0008_0050, 0x0018_1203, 0x0012_0060, 0x0012_0021, 0x0012_0030, 0x0012_0031, 0x0012_0050, // Accession Number, Calibration DateTime, clinical trial names and IDs
            0x3010_000F, 0x3010_0017, 0x0008_009C, 0x3010_001B, 0x0040_2017, 0x3010_007F, // Conceptual Volume descriptions, Consulting Physician's Name, Device Alternate Identifier, Filler Order Number, Fractionation Notes
            0x0040_0513, 0x0040_0562, 0x3010_0043, 0x0040_A082, // Issuer of Container/Specimen Identifier Sequence, Manufacturer's Device Identifier, Participation DateTime
            0x0010_0030, 0x0010_0010, 0x0010_0020, 0x0010_0040, 0x0040_2016, 0x3010_007B, 0x3010_0081, // Patient's Birth Date, Name, ID, Sex, Placer Order Number, Prescription Notes (Sequence)
            0x3006_00A6, 0x3006_0026, 0x300A_0615, 0x300A_0611, 0x3010_005A, 0x300A_067D, 0x3010_005C, // ROI Interpreter, ROI Name, RT slot IDs, Physician Intent Narrative, Generation Mode Description, Reason for Superseding
            0x0008_0090, 0x300E_0004, 0x300E_0005, 0x0400_0564, 0x0040_0610, 0x3006_0008, 0x3006_0009, // Referring Physician's Name, Review Date/Time, Source of Previous Values, Specimen Preparation Sequence, Structure Set Date/Time
            0x0008_0020, 0x0020_0010, 0x0008_0030, 0x3010_007A, 0x0040_A088, // Study Date, Study ID, Study Time, Treatment Technique Notes, Verifying Observer Identification Code Sequence
        ]),
        (.X, [
            0x0018_4000, 0x0018_9424, 0x0040_4035, 0x0010_21B0, 0x0040_A353, 0x0038_0010, 0x0038_0020, // Acquisition Comments … Admitting Date
            0x0008_1084, 0x0008_1080, 0x0038_0021, 0x0000_1000, 0x0010_2110, 0x006A_0006, 0x0044_0004, // Admitting Diagnoses …, Affected SOP Instance UID, Allergies, Annotation Group Description, Approval Status DateTime
            0x4000_0010, 0x0044_0105, 0x0040_A078, 0x300A_00C3, 0x300A_00DD, 0x0010_1081, 0x0014_407E, // Arbitrary, Assertion Expiration DateTime, Author Observer Sequence, Beam/Bolus Description, Branch of Service, Calibration Date
            0x0014_407C, 0x0016_004D, 0x0018_1007, 0x0400_0310, 0x0012_0082, 0x0012_0072, 0x0012_0071, // Calibration Time, Camera Owner Name, Cassette ID, Certified Timestamp, trial approval number, series description/ID
            0x0012_0051, 0x0040_0310, 0x0040_0280, 0x300A_02EB, 0x0040_3001, 0x0008_009D, 0x0050_001B, // Time Point Description, Comments on Radiation Dose/PPS, Compensator Description, Confidentiality Constraint, Consulting Physician Identification Sequence, Container Component ID
            0x0040_051A, 0x0070_0086, 0x0018_1042, 0x0018_1043, 0x0018_A002, 0x0018_A003, 0x0010_2150, // Container Description, Content Creator's Identification Code Sequence, Contrast/Bolus Start/Stop Time, Contribution DateTime/Description, Country of Residence
            0x2100_0040, 0x2100_0050, 0x0040_A307, 0x0038_0300, 0x0008_0025, 0x0008_0035, 0x0040_A07C, // Creation Date/Time, Current Observer, Current Patient Location, Curve Date/Time, Custodial Organization Sequence
            0xFFFC_FFFC, 0x0040_A110, 0x0018_1200, 0x0018_1012, 0x0018_1202, // Data Set Trailing Padding, document date, calibration/secondary capture dates
            0x0018_937F, 0x0008_2111, 0x0050_0020, 0x0016_004B, 0xFFFA_FFFA, 0x0038_0030, 0x0038_0040, // Decomposition/Derivation/Device/Device Setting Description, Digital Signatures Sequence, Discharge Date/Diagnosis
            0x0038_0032, 0x300A_079A, 0x4008_011A, 0x4008_0119, 0x300A_0016, 0x3010_0037, 0x3010_0036, // Discharge Time, Displacement Reference Label, Distribution Address/Name, Dose Reference Description, Entity Description/Name
            0x300A_0676, 0x0012_0087, 0x0012_0086, 0x0010_2160, 0x0040_4011, 0x003A_032B, 0x0040_A023, // Equipment FoR Description, Ethics Committee dates, Ethnic Group, Expected Completion DateTime, Filter LUT Description, Findings Group Recording Date
            0x0040_A024, 0x300A_0196, 0x300A_0072, 0x0020_9158, // Findings Group Recording Time, Fixation Device/Fraction Group Description, Frame Comments
            0x0016_0076, 0x0016_0075, 0x0016_008C, 0x0016_007B, 0x0016_008D, 0x0016_0088, 0x0016_008A, // GPS …
            0x0016_0089, 0x0016_0086, 0x0016_0085, 0x0016_0087, 0x0016_0084, 0x0016_0083, 0x0016_008E, // GPS …
            0x0016_0081, 0x0016_0080, 0x0016_0072, 0x0016_0071, 0x0016_0074, 0x0016_0073, 0x0016_0082, // GPS …
            0x0016_007A, 0x0016_008B, 0x0016_0078, 0x0016_007D, 0x0016_007C, 0x0016_0079, 0x0016_0077, // GPS …
            0x0016_007F, 0x0016_007E, 0x0016_0070, 0x0018_1008, 0x0018_1005, 0x0040_E004, 0x0040_4037, // GPS Track (Ref), GPS Version ID, Gantry ID, Generator ID, HL7 Document Effective Time, Human Performer's Name
            0x0040_4036, 0x0088_0200, 0x0008_4000, 0x0020_4000, 0x0028_4000, 0x0040_2400, 0x4008_0300, // Human Performer's Organization, Icon Image Sequence, Identifying/Image/Image Presentation/Request Comments, Impressions
            0x0008_0015, 0x0400_0600, 0x0008_0081, 0x0008_1040, 0x0008_1041, 0x0010_1050, 0x3010_0085, // Instance Coercion DateTime, Instance Origin Status, Institution Address, Department Name/Type, Insurance Plan, Intended Fraction Start Time
            0x0040_1011, 0x4008_0112, 0x4008_0113, 0x4008_0111, 0x4008_010C, 0x4008_0115, 0x4008_0200, // Intended Recipients Identification Sequence, Interpretation …
            0x4008_0202, 0x4008_0100, 0x4008_0101, 0x4008_0102, 0x4008_010B, 0x4008_010A, 0x4008_0108, // Interpretation …
            0x4008_0109, 0x0018_0035, 0x0018_0027, 0x0040_2004, 0x0040_2005, 0x0038_0011, 0x0038_0014, // Interpretation Transcription Time, Intervention Drug Start/Stop Time, Issue Date/Time of Request, Issuer of Admission ID (Sequence)
            0x0010_0021, // Issuer of Patient ID
            0x0038_0061, 0x0038_0064, 0x0010_21D0, 0x0016_004F, 0x0016_0050, 0x0016_0051, 0x0016_004E, // Issuer of Service Episode ID (Sequence), Last Menstrual Date, Lens Make/Model/Serial Number/Specification
            0x0050_0021, 0x0400_0404, 0x0016_002B, 0x0010_2000, 0x0010_1090, 0x0010_1080, 0x0400_0550, // Long Device Description, MAC, Maker Note, Medical Alerts, Medical Record Locator, Military Rank, Modified Attributes Sequence
            0x0020_3403, 0x0020_3406, 0x0020_3405, 0x0020_3401, 0x0018_937B, 0x0008_1060, 0x0040_1010, // Modified Image Date/Description/Time, Modifying Device ID, Multi-energy Description, Name of Physician(s) Reading Study, Names of Intended Recipients
            0x0008_1000, 0x0400_0552, 0x0400_0551, 0x0040_A192, 0x0040_A033, 0x0040_A193, 0x0010_2180, // Network ID, Nonconforming Data Element Value / Modified Attributes Sequence, Observation Date/Start DateTime/Time, Occupation
            0x0040_2010, 0x0040_2011, 0x0040_2008, 0x0040_2009, 0x0400_0561, 0x2100_0070, // Order Callback Phone/Telecom, Order Entered By, Order Enterer's Location, Original Attributes Sequence, Originator
            0x0010_1000, 0x0010_1002, 0x0010_1001, 0x0008_0024, 0x0008_0034, 0x0040_A07A, 0x0010_4000, // Other Patient IDs (Sequence), Other Patient Names, Overlay Date/Time, Participant Sequence, Patient Comments
            0x300A_0794, 0x0038_0500, 0x0040_1004, 0x300A_0792, 0x300A_078E, 0x0010_1040, 0x0010_1010, // Patient Setup Photo Description, Patient State, Transport Arrangements, Treatment Preparation …, Patient's Address, Patient's Age
            0x0010_1005, 0x0010_0032, 0x0038_0400, 0x0010_0050, 0x0010_1060, 0x0010_0101, 0x0010_0102, // Patient's Birth Name/Time, Institution Residence, Insurance Plan Code Sequence, Mother's Birth Name, Primary Language (Modifier) Code Sequence
            0x0010_21F0, 0x0010_1020, 0x0010_2155, 0x0010_2154, 0x0010_1030, 0x0040_0243, 0x0040_0254, // Religious Preference, Size, Telecom, Telephone Numbers, Weight, Performed Location, PPS Description
            0x0040_0250, 0x0040_4051, 0x0040_0251, 0x0040_0253, 0x0040_0244, 0x0040_4050, 0x0040_0245, // PPS End Date/DateTime/Time, PPS ID, PPS Start Date/DateTime/Time
            0x0040_0241, 0x0040_4030, 0x0040_0242, 0x0040_4028, 0x0008_1052, 0x0008_1050, 0x0040_1102, // Performed Station AE Title/Geographic Location/Name (Code Sequence), Performing Physician (Identification Sequence), Person's Address
            0x0040_1104, 0x0040_1103, 0x4008_0114, 0x0008_1062, 0x0008_1048, 0x0008_1049, 0x0018_1004, // Person's Telecom/Telephone, Physician Approving Interpretation, Physician(s) Reading Study Identification Sequence, Physician(s) of Record (Identification Sequence), Plate ID
            0x3002_0123, 0x3002_0121, 0x0040_0012, 0x0010_21C0, 0x300A_000E, 0x0070_0082, 0x0070_0083, // Position Acquisition Template Description/Name, Pre-Medication, Pregnancy Status, Prescription Description, Presentation Creation Date/Time
            0x3010_0061, 0x0040_4052, 0x0044_000B, 0x0008_1088, 0x0020_0027, // Prior Treatment Dose Description, Procedure Step Cancellation DateTime, Product Expiration DateTime, Pyramid Description/Label
            0x3006_0028, 0x3006_0038, 0x3006_0088, 0x3006_0085, 0x300A_0004, // ROI Description, ROI Generation Description, ROI Observation Description/Label, RT Plan Description
            0x300A_0003, 0x0018_1078, 0x0018_1072, 0x0018_1079, 0x0018_1073, 0x300C_0113, 0x0040_100A, // RT Plan Name, Radiopharmaceutical Start/Stop DateTime/Time, Reason for Omission Description, Reason for Requested Procedure Code Sequence
            0x0032_1030, 0x0032_1066, 0x0032_1067, 0x0040_2001, 0x0040_1002, 0x0074_1234, 0x0400_0402, // Reason for Study/Visit (Code Sequence), Reason for the Imaging Service Request / Requested Procedure, Receiving AE, Referenced Digital Signature Sequence
            0x0038_0004, 0x0010_1100, 0x0008_1120, 0x0400_0403, 0x0008_0096, 0x0008_0092, 0x0008_0094, // Referenced Patient Alias/Photo/Patient Sequence, Referenced SOP Instance MAC Sequence, Referring Physician Identification Sequence/Address/Telephone
            0x0010_2152, 0x0040_0275, 0x0032_1070, 0x0040_1400, 0x0040_1001, 0x0040_1005, 0x0018_9937, // Region of Residence, Request Attributes Sequence, Requested Contrast Agent, Requested Procedure Comments/ID/Location, Requested Series Description
            0x0074_1236, 0x0032_1032, 0x0032_1033, 0x0018_9185, 0x0010_2299, 0x0010_2297, 0x4008_4000, // Requesting AE/Physician/Service, Respiratory Motion Compensation Description, Responsible Organization/Person, Results Comments
            0x4008_0118, 0x4008_0040, 0x4008_0042, 0x0008_0054, 0x0100_0420, 0x0038_001A, 0x0038_001B, // Results Distribution List Sequence, Results ID (Issuer), Retrieve AE Title, SOP Authorization DateTime, Scheduled Admission Date/Time
            0x0038_001C, 0x0038_001D, 0x0040_4034, 0x0038_001E, 0x0040_000B, 0x0040_0006, 0x0040_0007, // Scheduled Discharge Date/Time, Scheduled Human Performers Sequence, Scheduled Patient Institution Residence, Scheduled Performing Physician …, SPS Description
            0x0040_0004, 0x0040_0005, 0x0040_4008, 0x0040_0009, 0x0040_0011, 0x0040_4010, 0x0040_0002, // SPS End Date/Time, Expiration DateTime, ID, Location, Modification DateTime, Start Date
            0x0040_4005, 0x0040_0003, 0x0040_0001, 0x0040_4027, 0x0040_0010, 0x0040_4025, 0x0032_1020, // SPS Start DateTime/Time, Scheduled Station AE Title/Geographic Location/Name (Code Sequence), Scheduled Study Location
            0x0032_1021, 0x0032_1000, 0x0032_1001, 0x0032_1010, 0x0032_1011, 0x0008_103E, 0x0038_0062, // Scheduled Study Location AE Title/Start/Stop Date/Time, Series Description, Service Episode Description
            0x0038_0060, 0x300A_01B2, 0x300A_01A6, 0x0040_06FA, 0x0010_21A0, 0x300A_0216, 0x0038_0050, // Service Episode ID, Setup Technique/Shielding Device Description, Slide Identifier, Smoking Status, Source Manufacturer, Special Needs
            0x0040_050A, 0x0040_0602, 0x0040_0600, 0x0008_0055, 0x3006_0006, 0x3006_0004, 0x0032_1040, // Specimen Accession Number/Detailed/Short Description, Station AE Title, Structure Set Description/Name, Study Arrival Date
            0x0032_1041, 0x0032_4000, 0x0032_1050, 0x0032_1051, 0x0008_1030, 0x0032_0012, 0x0032_0034, // Study Arrival Time, Study Comments, Study Completion Date/Time, Study Description, Study ID Issuer, Study Read Date
            0x0032_0035, 0x0032_0032, 0x0032_0033, 0x0044_0010, 0x0040_A354, 0x0040_DB07, 0x0040_DB06, // Study Read Time, Study Verified Date/Time, Substance Administration DateTime, Telephone Number, Template (Local) Version
            0x4000_4000, 0x2030_0020, 0x0040_A112, 0x0018_1201, 0x0018_1014, 0x0008_0201, 0x0088_0910, // Text Comments, Text String, Time of Document Creation, Time of Last Calibration, Time of Secondary Capture, Timezone Offset From UTC, Topic Author
            0x0088_0912, 0x0088_0906, 0x0088_0904, 0x0018_5011, 0x300A_000B, 0x0018_100A, 0x0018_1009, // Topic Keywords/Subject/Title, Transducer Identification Sequence, Treatment Sites, UDI Sequence, Unique Device Identifier
            0x0040_A352, 0x0040_A358, 0x0038_4000, 0x0018_9373, 0x003A_0329, // Verbal Source (Identifier Code Sequence), Visit Comments, X-Ray Detector Label, Waveform Filter Description
            // 2024b (not in PS3.15 2023b): Issuer of Clinical Trial Protocol/Site/Subject/Subject Reading/Time Point/Series ID,
            // Other Clinical Trial Protocol IDs Sequence, Date of Manufacture/Installation, ROI (Observation) DateTime,
            // ROI Creator Sequence, ROI Interpreter Sequence.
            0x0012_0022, 0x0012_0032, 0x0012_0041, 0x0012_0043, 0x0012_0055, 0x0012_0073, 0x0012_0023,
            0x0018_1204, 0x0018_1205, 0x3006_002D, 0x3006_002E, 0x3006_004D, 0x3006_004E,
        ]),
        (.U, [
            0x0008_0017, 0x0020_9161, 0x3010_0006, 0x3010_0013, 0x0018_1002, 0x0400_0100, 0x0020_9164, // Acquisition, Concatenation, Conceptual Volume, Constituent CV, Device, Digital Signature, Dimension Organization UID
            0x300A_0013, 0x3010_006E, 0x0008_0058, 0x0070_031A, 0x0020_0052, 0x0008_0014, 0x0008_3010, // Dose Reference, Dosimetric Objective, Failed SOP Instance UID List, Fiducial, Frame of Reference, Instance Creator, Irradiation Event UID
            0x0028_1214, 0x0018_100B, 0x0002_0003, 0x003A_0310, 0x0040_A402, 0x0040_A171, 0x0028_1199, // Large Palette LUT, Manufacturer's Device Class, Media Storage SOP Instance, Multiplex Group, Observation Subject, Observation, Palette LUT UID
            0x300A_0650, 0x0070_1101, 0x0070_1102, 0x0008_0019, 0x3010_003B, 0x3010_000B, 0x300A_0083, // Patient Setup, Presentation Display/Sequence Collection, Pyramid, RT Treatment Phase, Referenced Conceptual Volume, Referenced Dose Reference UID
            0x3010_006F, 0x3010_0031, 0x3006_0024, 0x0040_4023, 0x0040_A172, 0x0008_1155, 0x0004_1511, // Referenced Dosimetric Objective/Fiducials/Frame of Reference/GP-SPS Transaction/Observation/SOP Instance UID (in File)
            0x300A_0785, 0x3006_00C2, 0x0000_1001, 0x0008_0018, 0x0020_000E, 0x3010_0015, 0x0064_0003, // Referenced Treatment Position Group, Related FoR, Requested SOP Instance, SOP Instance, Series Instance, Source CV, Source FoR UID
            0x0040_0554, 0x0088_0140, 0x0020_000D, 0x0020_0200, 0x0018_2042, 0x0040_DB0D, 0x0040_DB0C, // Specimen, Storage Media File-set, Study Instance, Synchronization FoR, Target, Template Extension Creator/Organization UID
            0x0062_0021, 0x0008_1195, 0x300A_0609, 0x300A_0700, 0x0040_A124, // Tracking, Transaction, Treatment Position Group, Treatment Session UID, UID
        ]),
        (.ZD, [
            0x0070_0084, 0x0008_0023, 0x0008_0033, 0x0018_0010, 0x0018_9919, // Content Creator's Name, Content Date/Time, Contrast/Bolus Agent, Instruction Performed DateTime
        ]),
        (.XZ, [
            0x0040_0555, 0x0008_0022, 0x0008_0032, 0x2200_0005, 0x2200_0002, 0x0010_2203, // Acquisition Context Sequence, Acquisition Date/Time, Barcode Value, Label Text, Patient's Sex Neutered
            0x0008_1110, 0x0032_1060, 0x300E_0008, 0x3008_0105, 0x300A_00B2, // Referenced Study Sequence, Requested Procedure Description, Reviewer Name, Source Serial Number, Treatment Machine Name
        ]),
        (.XD, [
            0x0018_1400, 0x0018_700C, 0x0018_700A, 0x0018_9517, 0x3008_0054, 0x0008_0012, 0x3010_004D, // Acquisition Device Processing Description, Last Detector Calibration Date, Detector ID, End Acquisition DateTime, First Treatment Date, Instance Creation Date, Intended Phase End Date
            0x3010_004C, 0x3008_0056, 0x0040_A032, 0x0008_1072, 0x0018_1030, 0x300A_0006, 0x300A_0007, // Intended Phase Start Date, Most Recent Treatment Date, Observation DateTime, Operator Identification Sequence, Protocol Name, RT Plan Date/Time
            0x3010_0056, 0x0008_0021, 0x0008_0031, 0x0018_9516, 0x0018_700E, 0x3008_0250, 0x3010_0077, 0x3008_0251, // RT Treatment Approach Label, Series Date/Time, Start Acquisition DateTime, Last Detector Calibration Time, Treatment Date, Treatment Site, Treatment Time
        ]),
        (.XZD, [
            0x0008_002A, 0x0018_1000, 0x0008_0013, 0x0008_0082, 0x0008_0080, 0x0008_1070, 0x0008_1111, 0x0008_1010, // Acquisition DateTime, Device Serial Number, Instance Creation Time, Institution Code Sequence, Institution Name, Operators' Name, Referenced PPS Sequence, Station Name
        ]),
        (.XZU, [
            0x0008_1140, 0x0008_2112, // Referenced Image Sequence, Source Image Sequence
        ]),
    ]
}
