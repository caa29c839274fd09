import CCurl

/// `curl_global_init` must run once per process before any other libcurl call.
enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(cc_global_all) == CURLE_OK
    }()

    /// Initialises libcurl once; later calls do nothing.
    static func ensureInitialized() {
        precondition(initialized, "curl_global_init failed")
    }
}
