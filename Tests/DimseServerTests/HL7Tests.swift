import DicomArchive
import DicomCore
import Foundation
import Testing
@testable import DimseServer

@Suite("HL7 v2 parser, MLLP framing and ORM^O01 mapping")
struct HL7Tests {
    static let orm = [
        "MSH|^~\\&|RIS|HOSP|DICOMNODE|RAD|20261124120000||ORM^O01^ORM_O01|MSG001|P|2.5",
        "PID|||H100^^^HOSP&1.2.3&ISO||Brown^Bob^J^Jr^Dr||19800202|M",
        "PV1||O||||||1234^Referrer^Ray",
        "ORC|NW|PO-1|FO-1||SC",
        "OBR|1|PO-1|FO-1|US001^Abdomen \\T\\ pelvis \\F\\ \\X4D52\\|||20261124140000|||||||||||ACC1|RP1|SPS1|US01|||US||||||||||T1&Tech&Tina",
        "ZDS|1.2.3.4^DICOMNODE^Application^DICOM",
    ].joined(separator: "\r") + "\r"

    @Test("fields, components, subcomponents and escapes (\\T\\ \\F\\ \\Xhh\\) read as HL7 v2.5 §2.7 says")
    func parse() throws {
        let m = try HL7Message.parse(Self.orm)
        #expect(m.messageType.type == "ORM" && m.messageType.event == "O01")
        #expect(m.controlID == "MSG001")
        #expect(m.segment("MSH")?.raw(1) == "|")
        #expect(m.segment("MSH")?.raw(2) == "^~\\&")
        let obr = try #require(m.segment("OBR"))
        #expect(obr.value(4, 2) == "Abdomen & pelvis | MR")
        #expect(obr.value(18) == "ACC1")
        #expect(obr.subcomponents(34, 1) == ["T1", "Tech", "Tina"])
        #expect(m.segment("PID")?.value(3, 4) == "HOSP")
        #expect(HL7Message.unescape(HL7Message.escape("a|b^c&d~e\\f"), HL7Delimiters()) == "a|b^c&d~e\\f")
    }

    @Test("other delimiters in MSH-1/2 are honoured; LF-separated segments accepted")
    func otherDelimiters() throws {
        let m = try HL7Message.parse("MSH#!~\\&#A#B#C#D#x##ORM!O01#ID9#P#2.5\nPID###X1\n")
        #expect(m.messageType.type == "ORM" && m.messageType.event == "O01")
        #expect(m.controlID == "ID9")
        #expect(m.segment("PID")?.value(3) == "X1")
    }

    @Test("malformed messages are errors, not crashes", arguments: [
        "", "garbage", "MSH", "MSH|", "PID|1|2\r", "MSH|^^\\&|A\r", "MSH|^~\\&|A\rxx|1\r", "MSH|^~\\&|A\r\u{0}\u{1}|x",
    ])
    func malformed(_ text: String) {
        #expect(throws: HL7ParseError.self) { _ = try HL7Message.parse(text) }
    }

    @Test("ORM^O01 NW maps PID/PV1/OBR/ZDS to a worklist item")
    func mapNew() throws {
        let actions = try HL7OrderMapper.actions(for: HL7Message.parse(Self.orm))
        guard case .add(let ds)? = actions.first, actions.count == 1 else { Issue.record("\(actions)"); return }
        #expect(ds.string(.patientID) == "H100")
        #expect(ds.string(.issuerOfPatientID) == "HOSP")
        #expect(ds.string(.patientName) == "Brown^Bob^J^Dr^Jr")
        #expect(ds.string(.patientBirthDate) == "19800202")
        #expect(ds.string(.patientSex) == "M")
        #expect(ds.string(.referringPhysicianName) == "Referrer^Ray")
        #expect(ds.string(.accessionNumber) == "ACC1")
        #expect(ds.string(.requestedProcedureID) == "RP1")
        #expect(ds.string(.studyInstanceUID) == "1.2.3.4")
        let sps = try #require(ds.sequence(.scheduledProcedureStepSequence)?.first)
        #expect(sps.string(.scheduledStationAETitle) == "US01")
        #expect(sps.string(.modality) == "US")
        #expect(sps.string(.scheduledProcedureStepStartDate) == "20261124")
        #expect(sps.string(.scheduledProcedureStepStartTime) == "140000")
        #expect(sps.string(.scheduledProcedureStepID) == "SPS1")
        #expect(sps.string(.scheduledPerformingPhysicianName) == "Tech^Tina")
        #expect(sps.string(.scheduledProcedureStepStatus) == "SCHEDULED")
    }

    @Test("ORC-1 CA and SC become status changes; other types and controls are refused with AR/AE")
    func mapControls() throws {
        let cancel = Self.orm.replacingOccurrences(of: "ORC|NW|", with: "ORC|CA|")
        #expect(try HL7OrderMapper.actions(for: HL7Message.parse(cancel))
                == [.setStatus(.discontinued, WorklistStepKey(scheduledProcedureStepID: "SPS1", accessionNumber: "ACC1"))])
        let sc = Self.orm.replacingOccurrences(of: "ORC|NW|PO-1|FO-1||SC", with: "ORC|SC|PO-1|FO-1||CM")
        #expect(try HL7OrderMapper.actions(for: HL7Message.parse(sc))
                == [.setStatus(.completed, WorklistStepKey(scheduledProcedureStepID: "SPS1", accessionNumber: "ACC1"))])
        let adt = Self.orm.replacingOccurrences(of: "ORM^O01^ORM_O01", with: "ADT^A01")
        #expect(throws: HL7OrderError(code: .reject, reason: "unsupported message type ADT^A01; only ORM^O01")) {
            _ = try HL7OrderMapper.actions(for: HL7Message.parse(adt))
        }
        let zz = Self.orm.replacingOccurrences(of: "ORC|NW|", with: "ORC|ZZ|")
        do {
            _ = try HL7OrderMapper.actions(for: HL7Message.parse(zz))
            Issue.record("ZZ accepted")
        } catch let e as HL7OrderError {
            #expect(e.code == .error)
        }
    }

    @Test("ACK: MSA-1 code, MSA-2 the control ID, sender and receiver swapped, ERR on failure")
    func ack() throws {
        let m = try HL7Message.parse(Self.orm)
        let ok = HL7Message.acknowledgement(to: m, code: .accept, text: nil, timestamp: "20260101000000", controlID: "C1")
        #expect(ok == "MSH|^~\\&|DICOMNODE|RAD|RIS|HOSP|20260101000000||ACK^O01^ACK|C1|P|2.5\rMSA|AA|MSG001\r")
        let bad = HL7Message.acknowledgement(to: nil, code: .reject, text: "a|b", timestamp: "T", controlID: "C2")
        #expect(bad.contains("\rMSA|AR||a\\F\\b\r"))
        #expect(bad.contains("\rERR|||200^"))
    }

    @Test("MLLP: frames are cut at FS CR, noise before VT dropped, partial frames wait, long frames refused")
    func mllp() {
        var buf: [UInt8] = Array("xx".utf8) + MLLPFrame.frame(Array("A".utf8)) + MLLPFrame.frame(Array("BC".utf8)) + [0x0B, 0x44]
        #expect(MLLPFrame.extract(from: &buf, maxLength: 100) == .message(Array("A".utf8)))
        #expect(MLLPFrame.extract(from: &buf, maxLength: 100) == .message(Array("BC".utf8)))
        #expect(MLLPFrame.extract(from: &buf, maxLength: 100) == nil)
        #expect(buf == [0x0B, 0x44])
        buf += [0x1C]
        #expect(MLLPFrame.extract(from: &buf, maxLength: 100) == nil)  // FS without CR yet
        buf += [0x0D]
        #expect(MLLPFrame.extract(from: &buf, maxLength: 100) == .message([0x44]))
        var long: [UInt8] = [0x0B] + Array(repeating: 0x41, count: 50)
        #expect(MLLPFrame.extract(from: &long, maxLength: 10) == .tooLong)
        var noise: [UInt8] = Array("no start".utf8)
        #expect(MLLPFrame.extract(from: &noise, maxLength: 10) == nil && noise.isEmpty)
    }

    @Test("the processor answers AA for an order and AE when a cancel finds no entry")
    func processor() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hl7-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteWorklistStore(dataDirectory: dir)
        let p = HL7OrderProcessor(store: store)
        let ack1 = await p.process(Array(Self.orm.utf8))
        #expect(ack1.contains("\rMSA|AA|MSG001"))
        #expect(try await store.entries(WorklistPrefilter()).count == 1)
        let cancel = Self.orm.replacingOccurrences(of: "ORC|NW|", with: "ORC|CA|").replacingOccurrences(of: "ACC1", with: "NONE")
            .replacingOccurrences(of: "SPS1", with: "NOSPS")
        #expect(await p.process(Array(cancel.utf8)).contains("\rMSA|AE|MSG001|no worklist entry"))
        #expect(await p.process([0xFF, 0x00, 0x41]).contains("\rMSA|AR||"))
    }
}
