import Testing
import DicomCore

/// Inputs the fuzz targets in Fuzz/ found: each must be rejected with a `DicomReadError` or read, never trap.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
}
