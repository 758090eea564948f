// HL7 v2.5 Chapter 4 ORM^O01 (general order) → Modality Worklist entries, after the IHE
// Radiology Scheduled Workflow mapping (RAD-TF-2 Table 4.4-… "HL7 order to DICOM MWL"):
//   PID-3.1 Patient ID, PID-3.4 Issuer of Patient ID, PID-5 Patient's Name, PID-7 Birth Date,
//   PID-8 Sex, PV1-8 Referring Physician's Name, OBR-4.2 Requested Procedure / SPS Description,
//   OBR-18 Accession Number (else ORC-3.1, else ORC-2.1), OBR-19 Requested Procedure ID,
//   OBR-20 SPS ID, OBR-21 Scheduled Station AE Title, OBR-24 Modality, OBR-34 Scheduled
//   Performing Physician's Name, TQ1-7 / OBR-27.4 / OBR-36 / OBR-7 SPS start date and time,
//   ZDS-1.1 Study Instance UID.
// ORC-1 (Table 0119): NW new order → add; XO change → replace; CA, DC, OC cancel → DISCONTINUED;
// SC status change → the status of ORC-5 (Table 0038: SC, IP, CM, CA/DC).
import DicomArchive
import DicomCore

/// What one order in the message asks of the worklist.
public enum HL7OrderAction: Sendable, Equatable {
    case add(DataSet)
    case setStatus(ScheduledStepStatus, WorklistStepKey)
}

/// Why a message cannot be applied; `code` is the MSA-1 to answer with.
public struct HL7OrderError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: HL7AckCode
    public var reason: String
    public var description: String { reason }
}

public enum HL7OrderMapper {
    /// The actions of an ORM^O01, one per ORC/OBR pair.
    /// - Throws: `HL7OrderError` — AR for another message type, AE for a missing segment or an
    ///   order control or status we do not handle.
    public static func actions(for message: HL7Message) throws(HL7OrderError) -> [HL7OrderAction] {
        let type = message.messageType
        guard type.type == "ORM", type.event == "O01" || type.event.isEmpty else {
            throw HL7OrderError(code: .reject, reason: "unsupported message type \(type.type)^\(type.event); only ORM^O01")
        }
        guard let pid = message.segment("PID") else { throw HL7OrderError(code: .error, reason: "PID segment missing") }
        let pv1 = message.segment("PV1")
        let zds = message.segment("ZDS")
        // Pair every ORC with the OBR (and TQ1) that follow it.
        var orders: [(orc: HL7Segment, obr: HL7Segment?, tq1: HL7Segment?)] = []
        for seg in message.segments {
            switch seg.id {
            case "ORC": orders.append((seg, nil, nil))
            case "OBR": if !orders.isEmpty, orders[orders.count - 1].obr == nil { orders[orders.count - 1].obr = seg }
            case "TQ1": if !orders.isEmpty, orders[orders.count - 1].tq1 == nil { orders[orders.count - 1].tq1 = seg }
            default: break
            }
        }
        guard !orders.isEmpty else { throw HL7OrderError(code: .error, reason: "ORC segment missing") }
        var actions: [HL7OrderAction] = []
        for (orc, obr, tq1) in orders {
            let control = orc.value(1).uppercased()
            let accession = nonEmpty(obr?.value(18)) ?? nonEmpty(orc.value(3)) ?? nonEmpty(orc.value(2))
            let spsID = nonEmpty(obr?.value(20))
            switch control {
            case "NW", "XO":
                guard let obr else { throw HL7OrderError(code: .error, reason: "ORC-1 \(control) without an OBR segment") }
                var status = ScheduledStepStatus.scheduled
                if control == "XO", let s = nonEmpty(orc.value(5)) {
                    guard let st = orderStatus(s) else { throw HL7OrderError(code: .error, reason: "ORC-5 order status \(s) not handled") }
                    status = st
                }
                do {
                    actions.append(.add(try item(pid: pid, pv1: pv1, orc: orc, obr: obr, tq1: tq1, zds: zds,
                                                 accession: accession, status: status)))
                } catch {
                    throw HL7OrderError(code: .error, reason: "cannot build the worklist item: \(error)")
                }
            case "CA", "DC", "OC", "SC":
                guard accession != nil || spsID != nil else {
                    throw HL7OrderError(code: .error, reason: "ORC-1 \(control): no accession number (OBR-18, ORC-3, ORC-2) or OBR-20")
                }
                var status = ScheduledStepStatus.discontinued
                if control == "SC" {
                    let s = orc.value(5)
                    guard let st = orderStatus(s) else { throw HL7OrderError(code: .error, reason: "ORC-5 order status \"\(s)\" not handled") }
                    status = st
                }
                actions.append(.setStatus(status, WorklistStepKey(scheduledProcedureStepID: spsID, accessionNumber: accession)))
            default:
                throw HL7OrderError(code: .error, reason: "ORC-1 order control \"\(control)\" not handled (NW, XO, CA, DC, OC, SC)")
            }
        }
        return actions
    }

    /// HL7 Table 0038 order status → SPS status.
    static func orderStatus(_ s: String) -> ScheduledStepStatus? {
        switch s.uppercased() {
        case "SC": .scheduled
        case "IP": .started
        case "CM": .completed
        case "CA", "DC": .discontinued
        default: nil
        }
    }

    static func nonEmpty(_ s: String?) -> String? {
        guard let s else { return nil }
        let t = s.trimmingCharacters(in: .whitespaces)
        return t.isEmpty ? nil : t
    }

    /// HL7 XPN (family^given^middle^suffix^prefix) → DICOM PN (family^given^middle^prefix^suffix).
    static func personName(_ c: [String]) -> String? {
        func at(_ i: Int) -> String { i < c.count ? c[i] : "" }
        var parts = [at(0), at(1), at(2), at(4), at(3)]
        while let last = parts.last, last.isEmpty { parts.removeLast() }
        return parts.isEmpty ? nil : parts.joined(separator: "^")
    }

    /// HL7 DTM "YYYYMMDDHHMMSS[.S][+ZZZZ]" → DICOM DA and TM.
    static func dateTime(_ s: String) -> (date: String?, time: String?) {
        let digits = String(s.prefix { $0.isNumber || $0 == "." })
        guard digits.count >= 8 else { return (nil, nil) }
        let date = String(digits.prefix(8))
        let time = String(digits.dropFirst(8))
        return (date, time.isEmpty ? nil : time)
    }

    static func item(pid: HL7Segment, pv1: HL7Segment?, orc: HL7Segment, obr: HL7Segment, tq1: HL7Segment?,
                     zds: HL7Segment?, accession: String?, status: ScheduledStepStatus) throws -> DataSet {
        var ds = DataSet()
        ds.characterSet = SpecificCharacterSet(terms: ["ISO_IR 192"])
        try ds.set(.specificCharacterSet, string: "ISO_IR 192")
        func put(_ d: inout DataSet, _ tag: Tag, _ v: String?) throws {
            if let v = nonEmpty(v) { try d.set(tag, string: v) }
        }
        try put(&ds, .patientID, pid.value(3, 1))
        try put(&ds, .issuerOfPatientID, pid.value(3, 4))
        try put(&ds, .patientName, personName(pid.components(5)))
        try put(&ds, .patientBirthDate, dateTime(pid.value(7)).date)
        let sex = pid.value(8).uppercased()
        if ["M", "F", "O"].contains(sex) { try ds.set(.patientSex, string: sex) }
        if let pv1 {
            let c = pv1.components(8)                    // XCN: ID^family^given^middle^suffix^prefix
            try put(&ds, .referringPhysicianName, personName(Array(c.dropFirst())))
        }
        try put(&ds, .accessionNumber, accession)
        let description = nonEmpty(obr.value(4, 2)) ?? nonEmpty(obr.value(4, 5)) ?? nonEmpty(obr.value(4, 1))
        try put(&ds, .requestedProcedureID, nonEmpty(obr.value(19)) ?? accession)
        try put(&ds, .requestedProcedureDescription, description)
        try put(&ds, .studyInstanceUID, zds?.value(1, 1))

        var sps = DataSet()
        sps.characterSet = ds.characterSet
        try put(&sps, .scheduledStationAETitle, obr.value(21))
        try put(&sps, .modality, obr.value(24))
        let candidates: [String?] = [tq1?.value(7), obr.value(27, 4), obr.value(36), obr.value(7), orc.value(9)]
        var start: (date: String?, time: String?) = (nil, nil)
        if let first = candidates.compactMap({ nonEmpty($0) }).first { start = dateTime(first) }
        try put(&sps, .scheduledProcedureStepStartDate, start.date)
        try put(&sps, .scheduledProcedureStepStartTime, start.time)
        try put(&sps, .scheduledProcedureStepID, nonEmpty(obr.value(20)) ?? nonEmpty(obr.value(19)) ?? accession)
        try put(&sps, .scheduledProcedureStepDescription, description)
        // OBR-34 NDL: its first component is a CNN (ID&family&given…) in v2.5, ID^family^given in older senders.
        let technician = obr.subcomponents(34, 1).count > 1 ? obr.subcomponents(34, 1) : obr.components(34)
        try put(&sps, .scheduledPerformingPhysicianName, personName(Array(technician.dropFirst())))
        try sps.set(.scheduledProcedureStepStatus, string: status.rawValue)
        ds.set(.scheduledProcedureStepSequence, sequence: [sps])
        return ds
    }
}
