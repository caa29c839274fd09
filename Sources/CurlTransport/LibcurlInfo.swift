import CCurl

/// What the libcurl this process loaded can do.
public enum LibcurlInfo {
    /// The libcurl version, for example `7.88.1`.
    public static let version: String = {
        CurlGlobal.ensureInitialized()
        guard let info = cc_version_info(), let text = info.pointee.version else { return "unknown" }
        return String(cString: text)
    }()

    /// The libcurl version as `0xXXYYZZ` (major, minor, patch).
    public static let versionNumber: Int = {
        CurlGlobal.ensureInitialized()
        guard let info = cc_version_info() else { return 0 }
        return Int(info.pointee.version_num)
    }()

    /// Whether a connection opened with HTTP/2 prior knowledge (h2c) can carry more than
    /// one request. libcurl 7.88.0 and 7.88.1 fail the second request on such a
    /// connection with "Error in the HTTP2 framing layer" (curl issue 10634, fixed in
    /// 7.88.2); on those versions the client gives every h2c request its own connection.
    public static var reusesPriorKnowledgeConnections: Bool {
        !(0x075800...0x075801).contains(versionNumber)
    }
}
