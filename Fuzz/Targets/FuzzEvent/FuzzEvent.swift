import ConnectorCore
import Foundation
import FuzzSupport

/// libFuzzer target: an event line and a user line, as `connector ingest` and
/// `import-users` read them. An accepted time must be a supported one.
func fuzzEvent(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    if let event = try? EventJSON.event(json: text) {
        guard event.time >= SupportedTime.earliest, event.time < SupportedTime.end else { fatalError("accepted time \(event.time)") }
    }
    _ = try? UserJSON.user(json: text)
    return 0
}

@_cdecl("FuzzEvent_main")
func fuzzEventMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzEvent)
}
