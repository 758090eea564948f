import Testing
@testable import DimseServer

@Suite("Upper layer constants")
struct UpperLayerConstantsTests {
    @Test("the protocol version in A-ASSOCIATE-RQ/AC is 0001H (PS3.8 §9.3.2)")
    func protocolVersion() {
        #expect(UpperLayer.protocolVersion == 0x0001)
    }
}
