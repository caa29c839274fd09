import ConnectorCore
import FuzzSupport

/// libFuzzer target: one campaign file (YAML or JSON), then the checks `connector
/// check-campaigns` runs on it.
func fuzzCampaign(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let text = String(validating: bytes, as: UTF8.self),
          let campaign = try? CampaignFileReader.campaign(from: text, file: "fuzz.yaml") else { return 0 }
    _ = CampaignValidator.validate([campaign])
    _ = CampaignValidator.publishWarningsForActive(among: [campaign])
    return 0
}

@_cdecl("FuzzCampaign_main")
func fuzzCampaignMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzCampaign)
}
