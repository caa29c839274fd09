import ConnectorCore
import JSONCore
import Liquid
import FuzzSupport

/// libFuzzer target: the one JSON reader, through both value types built on it.
func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let value = try? AttributeValue.parse(json: bytes) {
        // What is read must be written and read back the same.
        guard (try? AttributeValue(json: value.jsonText)) == value else { fatalError("round trip changed \(value)") }
    }
    _ = try? LiquidValue.parse(json: bytes)
    return 0
}

@_cdecl("FuzzJSON_main")
func fuzzJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzJSON)
}
