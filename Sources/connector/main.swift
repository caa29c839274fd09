import CurlTransport
let client = CurlClient()
do {
    let r = try await client.execute(HTTPRequest(method: .post, url: "http://127.0.0.1:18080/echo", body: Array("hi".utf8)))
    print(r.status, r.version, r.bodyText)
} catch { print("error", error) }
await client.shutdown()
print("done")
