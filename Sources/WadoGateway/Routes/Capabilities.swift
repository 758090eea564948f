// PS3.18 §8.9 capabilities, and the OpenAPI 3.1 description of the node's own endpoints.

enum Capabilities {
    /// What the DICOMweb root offers, as JSON (PS3.18 §8.9 allows a JSON description besides WADL).
    static func text(root: String) -> String {
        """
        {"root":"\(root)","services":{\
        "QIDO-RS":{"resources":["/studies","/series","/instances","/studies/{study}/series","/studies/{study}/instances",\
        "/studies/{study}/series/{series}/instances"],"parameters":["{attribute}={value}","includefield","limit","offset",\
        "fuzzymatching"],"mediaTypes":["application/dicom+json","multipart/related; type=\\"application/dicom+xml\\""]},\
        "WADO-RS":{"resources":["/studies/{study}","/studies/{study}/series/{series}",\
        "/studies/{study}/series/{series}/instances/{instance}","…/metadata",\
        "/studies/{study}/series/{series}/instances/{instance}/frames/{frames}",\
        "/studies/{study}/series/{series}/instances/{instance}/bulkdata/{tagPath}"],\
        "mediaTypes":["multipart/related; type=\\"application/dicom\\"","application/dicom+json",\
        "multipart/related; type=\\"application/octet-stream\\""]},\
        "STOW-RS":{"resources":["/studies","/studies/{study}"],"mediaTypes":["multipart/related; type=\\"application/dicom\\""]},\
        "WADO-URI":{"resources":["/wado"],"contentTypes":["application/dicom","image/jpeg","image/png"],\
        "parameters":["transferSyntax","frameNumber","rows","columns","region","windowCenter","windowWidth",\
        "imageQuality","anonymize"],"anonymize":"PS3.15 Basic Application Level Confidentiality Profile"}}}
        """
    }
}

enum OpenAPIDocument {
    static func text(basePath: String) -> String {
        """
        {"openapi":"3.1.0","info":{"title":"dicomnode REST API","version":"1"},"paths":{\
        "/health":{"get":{"summary":"Liveness with index and storage checks","responses":{\
        "200":{"description":"healthy","content":{"application/json":{}}},"503":{"description":"index or storage failing"}}}},\
        "/metrics":{"get":{"summary":"Prometheus text exposition","responses":{"200":{"description":"metrics",\
        "content":{"text/plain":{}}}}}},\
        "/api/worklist":{"get":{"summary":"Worklist items","parameters":[\
        {"name":"PatientID","in":"query","schema":{"type":"string"}},\
        {"name":"AccessionNumber","in":"query","schema":{"type":"string"}},\
        {"name":"Modality","in":"query","schema":{"type":"string"}},\
        {"name":"ScheduledStationAETitle","in":"query","schema":{"type":"string"}}],\
        "responses":{"200":{"description":"DICOM JSON array of items","content":{"application/dicom+json":{}}},\
        "400":{"description":"unknown filter"},"404":{"description":"worklist disabled"}}},\
        "post":{"summary":"Add worklist items (PS3.4 Table K.6-1) as DICOM JSON","requestBody":{"required":true,\
        "content":{"application/dicom+json":{}}},"responses":{"201":{"description":"stored items",\
        "content":{"application/dicom+json":{}}},"400":{"description":"not DICOM JSON or refused"},\
        "415":{"description":"wrong media type"}}}},\
        "\(basePath)/capabilities":{"get":{"summary":"DICOMweb capabilities (PS3.18 §8.9)","responses":{"200":{\
        "description":"capabilities","content":{"application/json":{}}}}}}}}
        """
    }
}
