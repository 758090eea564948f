import DicomCore
import DicomTestSupport
import Foundation
import Synchronization
import Testing
@testable import DicomArchive

@Suite("Matching values (PS3.4 C.2.2.2)")
struct MatchConditionTests {
    @Test("Empty and * are universal; wildcards only for text VRs; lists split on backslash")
    func kinds() throws {
        #expect(try MatchCondition.parse("", vr: .LO, keyword: "k") == .universal)
        #expect(try MatchCondition.parse("*", vr: .PN, keyword: "k") == .universal)
        #expect(try MatchCondition.parse("SMI*", vr: .PN, keyword: "k") == .wildcard("SMI*"))
        #expect(try MatchCondition.parse("A?C", vr: .SH, keyword: "k") == .wildcard("A?C"))
        #expect(try MatchCondition.parse("1.2.3\\1.2.4", vr: .UI, keyword: "k") == .anyOf([.single("1.2.3"), .single("1.2.4")]))
        #expect(throws: MatchConditionError.self) { try MatchCondition.parse("1.2.*", vr: .UI, keyword: "k") }
        #expect(throws: MatchConditionError.self) { try MatchCondition.parse("seven", vr: .IS, keyword: "k") }
    }

    @Test("Date and time ranges: closed, open either side; TM upper bounds cover the unit they name")
    func ranges() throws {
        #expect(try MatchCondition.parse("20200101-20211231", vr: .DA, keyword: "d") == .range(lower: "20200101", upper: "20211231"))
        #expect(try MatchCondition.parse("-20200101", vr: .DA, keyword: "d") == .range(lower: nil, upper: "20200101"))
        #expect(try MatchCondition.parse("20230101-", vr: .DA, keyword: "d") == .range(lower: "20230101", upper: nil))
        #expect(try MatchCondition.parse("20200101", vr: .DA, keyword: "d") == .single("20200101"))
        #expect(try MatchCondition.parse("1000-1800", vr: .TM, keyword: "t") == .range(lower: "1000", upper: "180059.999999"))
        #expect(try MatchCondition.parse("-10", vr: .TM, keyword: "t") == .range(lower: nil, upper: "105959.999999"))
        #expect(throws: MatchConditionError.self) { try MatchCondition.parse("2020-abc", vr: .DA, keyword: "d") }
        #expect(throws: MatchConditionError.self) { try MatchCondition.parse("20201341", vr: .DA, keyword: "d") }
        #expect(throws: MatchConditionError.self) { try MatchCondition.parse("25-26", vr: .TM, keyword: "t") }
    }

    @Test("Person name keys: upper-cased groups, trailing separators dropped")
    func personNameKeys() {
        let g = PersonNameKey.groups(of: "Wang^XiaoDong=王^小东=")
        #expect(g.alphabetic == "WANG^XIAODONG")
        #expect(g.ideographic == "王^小东")
        #expect(g.phonetic == nil)
        #expect(PersonNameKey.groups(of: "Doe^John^^^ ").alphabetic == "DOE^JOHN")
        #expect(PersonNameKey.groups(of: nil).alphabetic == nil)
    }
}

@Suite("Index queries (C-FIND / QIDO matching on SQLite)")
struct IndexQueryTests {
    /// Three patients, four studies, six instances.
    static func populated(_ root: TemporaryRoot) async throws -> Archive {
        let archive = try root.archive()
        func put(_ sop: String, study: String, series: String, pid: String, name: String, date: String, time: String,
                 acc: String, modality: String, charset: String = "ISO_IR 192") async throws {
            var ds = Sample.dataSet(sop: sop, study: study, series: series, patientID: pid, modality: modality)
            ds[.specificCharacterSet] = .text(.specificCharacterSet, .CS, charset)
            ds.characterSet = SpecificCharacterSet(terms: [charset])
            try ds.set(.patientName, string: name)
            try ds.set(.studyDate, string: date)
            try ds.set(.studyTime, string: time)
            try ds.set(.accessionNumber, string: acc)
            _ = try await archive.ingest(try Sample.stage(try Sample.partTen(ds), in: archive), context: IngestContext())
        }
        try await put("1.1.1.1", study: "1.1", series: "1.1.1", pid: "P1", name: "Smith^John", date: "20200105", time: "101500", acc: "A1", modality: "CT")
        try await put("1.1.1.2", study: "1.1", series: "1.1.1", pid: "P1", name: "Smith^John", date: "20200105", time: "101500", acc: "A1", modality: "CT")
        try await put("1.1.2.1", study: "1.1", series: "1.1.2", pid: "P1", name: "Smith^John", date: "20200105", time: "101500", acc: "A1", modality: "MR")
        try await put("1.2.1.1", study: "1.2", series: "1.2.1", pid: "P1", name: "Smith^John", date: "20230301", time: "230000", acc: "A2", modality: "US")
        try await put("2.1.1.1", study: "2.1", series: "2.1.1", pid: "P2", name: "Wang^XiaoDong=王^小东=", date: "20210615", time: "0800", acc: "B1", modality: "CT", charset: "GB18030")
        try await put("3.1.1.1", study: "3.1", series: "3.1.1", pid: "P3", name: "smithers^wayland", date: "20191231", time: "120000", acc: "C1", modality: "MR")
        return archive
    }

    static func key(_ keyword: String) throws -> QueryKey {
        try #require(QueryKey.all.first { $0.keyword == keyword })
    }

    static func run(_ archive: Archive, _ level: QueryLevel, _ conditions: [String: String], limit: Int = 0,
                    pageSize: Int = 100) async throws -> (matches: [QueryMatch], summary: FindSummary) {
        var c: [QueryKey: MatchCondition] = [:]
        for (k, v) in conditions {
            let key = try Self.key(k)
            c[key] = try MatchCondition.parse(v, vr: key.vr, keyword: k)
        }
        let collected = Mutex<[QueryMatch]>([])
        let summary = try await archive.index.find(IndexQuery(level: level, conditions: c, limit: limit), pageSize: pageSize) { page in
            collected.withLock { $0 += page }
            return true
        }
        return (collected.withLock { $0 }, summary)
    }

    static func uids(_ r: (matches: [QueryMatch], summary: FindSummary), _ keyword: String) -> [String] {
        r.matches.compactMap { $0[keyword] }.sorted()
    }

    @Test("Study level: single value, wildcard ignoring case, range, UID list, modalities in study")
    func studyLevel() async throws {
        let root = TemporaryRoot()
        let archive = try await Self.populated(root)
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientID": "P1"]), "StudyInstanceUID") == ["1.1", "1.2"])
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientName": "smith*"]), "StudyInstanceUID") == ["1.1", "1.2", "3.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientName": "SMITH^JOHN"]), "StudyInstanceUID") == ["1.1", "1.2"])
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientName": "smith"]), "StudyInstanceUID") == [])
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientName": "Sm?th^*"]), "StudyInstanceUID") == ["1.1", "1.2"])
        #expect(Self.uids(try await Self.run(archive, .study, ["StudyDate": "20200101-20211231"]), "StudyInstanceUID") == ["1.1", "2.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["StudyDate": "-20200105"]), "StudyInstanceUID") == ["1.1", "3.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["StudyDate": "20210101-"]), "StudyInstanceUID") == ["1.2", "2.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["StudyTime": "0800-1015"]), "StudyInstanceUID") == ["1.1", "2.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["StudyInstanceUID": "1.2\\3.1\\9.9"]), "StudyInstanceUID") == ["1.2", "3.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["AccessionNumber": "B1"]), "StudyInstanceUID") == ["2.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["ModalitiesInStudy": "MR"]), "StudyInstanceUID") == ["1.1", "3.1"])
        let one = try await Self.run(archive, .study, ["StudyInstanceUID": "1.1"]).matches
        #expect(one.count == 1)
        #expect(one.first?["ModalitiesInStudy"] == "CT\\MR")
        #expect(one.first?["NumberOfStudyRelatedInstances"] == "3")
        #expect(one.first?["NumberOfStudyRelatedSeries"] == "2")
        #expect(one.first?["SOPClassesInStudy"] == Sample.ctImageStorage)
        #expect(one.first?["PatientName"] == "Smith^John")
    }

    @Test("Combined date-time range (PS3.4 C.2.2.2.5.1): the time bounds apply to the first and last day only")
    func combinedDateTime() async throws {
        let root = TemporaryRoot()
        let archive = try await Self.populated(root)
        let date = try Self.key("StudyDate"), time = try Self.key("StudyTime")
        func uids(_ d: String, _ t: String, combined: Bool) async throws -> [String] {
            var q = IndexQuery(level: .study, conditions: [date: try MatchCondition.parse(d, vr: .DA, keyword: "d"),
                                                          time: try MatchCondition.parse(t, vr: .TM, keyword: "t")])
            q.combineDateTime = combined
            let found = Mutex<[String]>([])
            _ = try await archive.index.find(q, pageSize: 10) { page in
                found.withLock { $0 += page.compactMap { $0["StudyInstanceUID"] } }
                return true
            }
            return found.withLock { $0 }.sorted()
        }
        // 1.1 is 20200105 101500, 2.1 is 20210615 0800, 1.2 is 20230301 230000.
        #expect(try await uids("20200105-20230301", "1000-2200", combined: false) == ["1.1"])
        #expect(try await uids("20200105-20230301", "1000-2200", combined: true) == ["1.1", "2.1"])
        #expect(try await uids("20200105-20230301", "1100-2300", combined: true) == ["1.2", "2.1"])
    }

    @Test("Chinese names: the ideographic group matches, stored from GB18030")
    func chinese() async throws {
        let root = TemporaryRoot()
        let archive = try await Self.populated(root)
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientName": "王*"]), "StudyInstanceUID") == ["2.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientName": "王^小东"]), "StudyInstanceUID") == ["2.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientName": "wang*=王*"]), "StudyInstanceUID") == ["2.1"])
        #expect(Self.uids(try await Self.run(archive, .study, ["PatientName": "wang*=李*"]), "StudyInstanceUID") == [])
        let m = try await Self.run(archive, .patient, ["PatientID": "P2"]).matches
        #expect(m.first?["PatientName"] == "Wang^XiaoDong=王^小东=")
    }

    @Test("Patient, series and image levels; image matches carry where the file is")
    func otherLevels() async throws {
        let root = TemporaryRoot()
        let archive = try await Self.populated(root)
        let patients = try await Self.run(archive, .patient, ["PatientName": "*"]).matches
        #expect(patients.count == 3)
        #expect(patients.first { $0["PatientID"] == "P1" }?["NumberOfPatientRelatedStudies"] == "2")
        #expect(patients.first { $0["PatientID"] == "P1" }?["NumberOfPatientRelatedInstances"] == "4")
        #expect(Self.uids(try await Self.run(archive, .series, ["StudyInstanceUID": "1.1"]), "SeriesInstanceUID") == ["1.1.1", "1.1.2"])
        #expect(Self.uids(try await Self.run(archive, .series, ["Modality": "CT"]), "SeriesInstanceUID") == ["1.1.1", "2.1.1"])
        let images = try await Self.run(archive, .image, ["SeriesInstanceUID": "1.1.1"]).matches
        #expect(images.map(\.stored?.sopInstanceUID) == ["1.1.1.1", "1.1.1.2"])
        #expect(images.allSatisfy { $0.stored?.objectPath.hasPrefix("objects/") == true })
        #expect(images.first?["InstanceNumber"] == "7")
    }

    @Test("Pages, limit and stopping: every match once, in order; the caller can stop")
    func paging() async throws {
        let root = TemporaryRoot()
        let archive = try await Self.populated(root)
        let all = try await Self.run(archive, .image, [:], pageSize: 2)
        #expect(all.matches.count == 6)
        #expect(Set(all.matches.compactMap(\.stored?.sopInstanceUID)).count == 6)
        let limited = try await Self.run(archive, .image, [:], limit: 4, pageSize: 3)
        #expect(limited.matches.count == 4)
        #expect(limited.summary.matched == 6)
        let pages = Mutex(0)
        let stopped = try await archive.index.find(IndexQuery(level: .image), pageSize: 2) { _ in
            pages.withLock { $0 += 1 }
            return false
        }
        #expect(stopped.stoppedByCaller)
        #expect(stopped.delivered == 2)
        #expect(pages.withLock { $0 } == 1)
    }

    @Test("Wildcard prefix search uses an index, not a table scan")
    func prefixUsesIndex() throws {
        let key = try Self.key("PatientName")
        let root = TemporaryRoot()
        let index = try SQLiteIndex(path: root.path + ".sqlite", durable: false)
        defer { try? FileManager.default.removeItem(atPath: root.path + ".sqlite") }
        let plan = try index.queryPlan(IndexQuery(level: .study, conditions: [key: .wildcard("SMI*")]))
        #expect(plan.contains { $0.contains("patient_patientNameKey") })
        #expect(!plan.contains { $0 == "SCAN p" || $0 == "SCAN s" })
        let date = try Self.key("StudyDate")
        let datePlan = try index.queryPlan(IndexQuery(level: .study, conditions: [date: .range(lower: "20200101", upper: "20200107")]))
        #expect(datePlan.contains { $0.contains("study_studyDate") })
        // No patient-level key: the study_studyDate index answers alone, without the patient table.
        #expect(datePlan.contains { $0.contains("COVERING INDEX study_studyDate") })
        #expect(!datePlan.contains { $0.hasPrefix("SEARCH p ") || $0.hasPrefix("SCAN p") })
    }
}
