// swift-metrics instruments of the DIMSE side (exported by `serve` as Prometheus text at /metrics).
import Metrics

enum DimseMetrics {
    static let associationsAccepted = Counter(label: "dicomnode_dimse_associations_accepted_total")
    static let associationsRejected = Counter(label: "dicomnode_dimse_associations_rejected_total")
    static let openAssociations = Gauge(label: "dicomnode_dimse_associations_open")
}
