import Foundation

/// Strings compared as Ruby compares them: by their UTF-8 bytes (not by Unicode canonical
/// equivalence, as Swift's `==` and `<` do). UTF-8's byte order is code point order.
enum ByteOrder {
    /// -1, 0 or 1 as `a` sorts before, with or after `b`.
    static func compare(_ a: String, _ b: String) -> Int {
        var left = a, right = b
        return left.withUTF8 { x in
            right.withUTF8 { y in
                let common = min(x.count, y.count)
                if common > 0, let p = x.baseAddress, let q = y.baseAddress {
                    let order = memcmp(p, q, common)
                    if order != 0 { return order < 0 ? -1 : 1 }
                }
                return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
            }
        }
    }

    /// Whether the two strings have the same bytes.
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && compare(a, b) == 0
    }
}
