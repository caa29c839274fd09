import Delivery
import Foundation
import Testing

@Suite("Tracking tokens")
struct TrackingTokenTests {
    let tokens: TrackingTokens
    init() throws { tokens = try TrackingTokens(key: Data((0..<32).map { UInt8($0) })) }

    @Test("a token round-trips its link, is URL-safe and short", arguments: [
        TrackedLink(dispatchID: "d_48e5b2f6e5b3c010", linkIndex: 3, alias: "hero-button"),
        TrackedLink(dispatchID: "d_1", linkIndex: nil),
        TrackedLink(dispatchID: "d_|odd|id", linkIndex: 0, alias: "spaces and | bars, é"),
    ])
    func roundTrip(link: TrackedLink) {
        let token = tokens.token(for: link)
        #expect(tokens.verify(token) == link)
        #expect(token.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 || $0 == 46 })
        #expect(token.count < 100)
    }

    @Test("changing any character of a token, or another key, fails verification")
    func forgery() throws {
        let token = tokens.token(for: TrackedLink(dispatchID: "d_48e5b2f6e5b3c010", linkIndex: 2, alias: "cta"))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for position in token.indices where token[position] != "." {
            let replacement = alphabet.first { $0 != token[position] } ?? "A"
            var forged = token
            forged.replaceSubrange(position...position, with: String(replacement))
            #expect(tokens.verify(forged) == nil, "changed at \(token.distance(from: token.startIndex, to: position))")
        }
        let other = try TrackingTokens(key: Data(repeating: 9, count: 32))
        #expect(other.verify(token) == nil)
        #expect(tokens.verify("") == nil && tokens.verify("a.b.c") == nil && tokens.verify("%%.%%") == nil)
        #expect(throws: TrackingTokens.InvalidKey.self) { try TrackingTokens(key: Data(count: 16)) }
    }
}
