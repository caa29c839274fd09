import Testing

@testable import ConnectorStore

@Suite("The remembered ids' hash set")
struct HashSet64Tests {
    /// SplitMix64: a fixed sequence, so a failure repeats.
    struct Numbers {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("inserts, look-ups and removals agree with Set<UInt64> through growth and long runs of removals, with 0 and colliding keys")
    func agreesWithSet() {
        var numbers = Numbers(state: 42)
        var table = HashSet64()
        var reference = Set<UInt64>()
        // Keys from a small range collide in their home slots; 0 and UInt64.max are edge keys.
        var pool: [UInt64] = [0, UInt64.max, 1]
        for _ in 0..<3000 { pool.append(numbers.next()) }
        for step in 0..<60_000 {
            let key = pool[Int(numbers.next() % UInt64(pool.count))]
            switch numbers.next() % 10 {
            case 0..<5:
                let (inserted, expected) = (table.insert(key), reference.insert(key).inserted)
                #expect(inserted == expected, "insert \(key) at step \(step)")
            case 5..<8:
                let (removed, expected) = (table.remove(key), reference.remove(key) != nil)
                #expect(removed == expected, "remove \(key) at step \(step)")
            default:
                #expect(table.contains(key) == reference.contains(key), "contains \(key) at step \(step)")
            }
            if step % 5000 == 0 {
                #expect(table.count == reference.count)
                #expect(pool.allSatisfy { table.contains($0) == reference.contains($0) }, "all keys at step \(step)")
            }
        }
        #expect(pool.allSatisfy { table.contains($0) == reference.contains($0) })
        // Empty it completely: every run shifts back cleanly.
        for key in reference {
            let removed = table.remove(key)
            #expect(removed)
        }
        #expect(table.count == 0 && pool.allSatisfy { !table.contains($0) })
    }
}
