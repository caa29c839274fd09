/// A set of 64-bit hashes: open addressing with linear probing in a power-of-two table.
///
/// The remembered event ids (``RememberedIDs``) are already 64-bit hashes, and there are
/// millions of them: `Set<UInt64>` runs SipHash over every key on every look-up and
/// insert. Here a key's slot is a multiply and a shift.
/// Removal shifts the following run back (no tombstones), so a table that keeps
/// forgetting old days never fills with dead slots. Zero marks an empty slot; the key 0
/// itself is kept in a flag.
struct HashSet64: Sendable {
    private var slots: [UInt64]
    private var shift: UInt64
    private var containsZero = false
    /// Keys in the table (not counting 0).
    private var stored = 0

    init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity * 7 / 10 < minimumCapacity { capacity *= 2 }
        slots = Array(repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
    }

    var count: Int { stored + (containsZero ? 1 : 0) }

    private var mask: Int { slots.count - 1 }

    /// The key's home slot (Fibonacci hashing: the top bits of key x golden ratio).
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    func contains(_ key: UInt64) -> Bool {
        guard key != 0 else { return containsZero }
        var index = home(key)
        while true {
            let slot = slots[index]
            if slot == key { return true }
            if slot == 0 { return false }
            index = (index + 1) & mask
        }
    }

    /// Adds `key`; false if it was there already.
    @discardableResult
    mutating func insert(_ key: UInt64) -> Bool {
        guard key != 0 else {
            defer { containsZero = true }
            return !containsZero
        }
        if (stored + 1) * 10 > slots.count * 7 { grow() }
        var index = home(key)
        while true {
            let slot = slots[index]
            if slot == key { return false }
            if slot == 0 {
                slots[index] = key
                stored += 1
                return true
            }
            index = (index + 1) & mask
        }
    }

    /// Removes `key`; false if it was not there.
    @discardableResult
    mutating func remove(_ key: UInt64) -> Bool {
        guard key != 0 else {
            defer { containsZero = false }
            return containsZero
        }
        var index = home(key)
        while slots[index] != key {
            if slots[index] == 0 { return false }
            index = (index + 1) & mask
        }
        // Backward shift: move each following key of the run into the hole if its home
        // slot does not lie (cyclically) after the hole.
        var hole = index
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let wanted = home(slots[next])
            let distanceFromHome = (next - wanted) & mask
            let distanceFromHole = (next - hole) & mask
            if distanceFromHome >= distanceFromHole {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
        stored -= 1
        return true
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        shift -= 1
        stored = 0
        for key in old where key != 0 {
            var index = home(key)
            while slots[index] != 0 { index = (index + 1) & mask }
            slots[index] = key
            stored += 1
        }
    }
}
