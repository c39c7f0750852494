/// All patterns of one source (modules.alias, modules.symbols, builtin aliases, modprobe.d
/// aliases) as one trie whose edges are glob elements: shared prefixes are stored once, and a
/// node entered through `*` loops on every byte. Walking it with a set of live nodes is an NFA
/// simulation; `GlobAutomaton` caches those sets as DFA states.
///
/// Flat arrays only, so it serializes to the compiled index as it is.
public struct GlobNFA: Sendable, Equatable {
    /// Edge labels: 0...255 a byte, 256 `?`, 257 `*`, 258 + k the bracket set `sets[k]`.
    static let anyCode: UInt32 = 256
    static let starCode: UInt32 = 257
    static let setBase: UInt32 = 258
    static let none = UInt32.max

    /// Per node: its literal-byte edges are `litBytes/litTargets[litStart[n]..<litStart[n+1]]`,
    /// sorted by byte.
    var litStart: [UInt32] = [0]
    var litBytes: [UInt8] = []
    var litTargets: [UInt32] = []
    /// Per node: `?` and bracket edges, `wildCodes/wildTargets[wildStart[n]..<wildStart[n+1]]`.
    var wildStart: [UInt32] = [0]
    var wildCodes: [UInt32] = []
    var wildTargets: [UInt32] = []
    /// Per node: the child through `*`, or `none`.
    var starChild: [UInt32] = []
    /// Per node: 1 when the node was entered through `*` (it loops on every byte).
    var selfLoop: [UInt8] = []
    /// Per node: the entries of the patterns ending there, `values[valueStart[n]..<valueStart[n+1]]`.
    var valueStart: [UInt32] = [0]
    var values: [UInt32] = []
    var sets: [ByteSet] = []

    var nodeCount: Int { starChild.count }

    /// Builds the trie from element sequences; `entries[i]` is the value stored where pattern
    /// `i` ends (an index into the caller's entry table).
    init(patterns: [[GlobElement]], entries: [UInt32]) {
        var setIndex = [ByteSet: UInt32]()
        func code(_ e: GlobElement) -> UInt32 {
            switch e {
            case .byte(let b): return UInt32(b)
            case .any: return GlobNFA.anyCode
            case .star: return GlobNFA.starCode
            case .set(let s):
                if let k = setIndex[s] { return GlobNFA.setBase + k }
                let k = UInt32(sets.count)
                sets.append(s)
                setIndex[s] = k
                return GlobNFA.setBase + k
            }
        }
        let coded = patterns.map { $0.map(code) }
        // Sorted patterns let the trie be built by longest common prefix, no per-node maps.
        let order = coded.indices.sorted { a, b in
            let x = coded[a], y = coded[b]
            return x.lexicographicallyPrecedes(y) || (x == y && a < b)
        }
        var edgeParent = [UInt32](), edgeCode = [UInt32](), edgeChild = [UInt32]()
        var nodeValues = [[UInt32]]([[]])
        var path: [UInt32] = [0]  // path[d] = node after d elements of the previous pattern
        var previous: [UInt32] = []
        for idx in order {
            let p = coded[idx]
            var common = 0
            while common < p.count, common < previous.count, p[common] == previous[common] { common += 1 }
            path.removeSubrange((common + 1)...)
            for d in common..<p.count {
                let child = UInt32(nodeValues.count)
                nodeValues.append([])
                edgeParent.append(path[d]); edgeCode.append(p[d]); edgeChild.append(child)
                path.append(child)
            }
            nodeValues[Int(path[p.count])].append(entries[idx])
            previous = p
        }
        let n = nodeValues.count
        starChild = [UInt32](repeating: GlobNFA.none, count: n)
        selfLoop = [UInt8](repeating: 0, count: n)
        var litCount = [UInt32](repeating: 0, count: n), wildCount = [UInt32](repeating: 0, count: n)
        for e in edgeParent.indices {
            let parent = Int(edgeParent[e]), c = edgeCode[e]
            if c < 256 { litCount[parent] += 1 } else if c != GlobNFA.starCode { wildCount[parent] += 1 }
        }
        litStart = [UInt32](repeating: 0, count: n + 1)
        wildStart = [UInt32](repeating: 0, count: n + 1)
        for i in 0..<n {
            litStart[i + 1] = litStart[i] + litCount[i]
            wildStart[i + 1] = wildStart[i] + wildCount[i]
        }
        litBytes = [UInt8](repeating: 0, count: Int(litStart[n]))
        litTargets = [UInt32](repeating: 0, count: Int(litStart[n]))
        wildCodes = [UInt32](repeating: 0, count: Int(wildStart[n]))
        wildTargets = [UInt32](repeating: 0, count: Int(wildStart[n]))
        var litFill = Array(litStart.dropLast()), wildFill = Array(wildStart.dropLast())
        // Edges were created in sorted order per parent, so literal edges come out sorted by byte.
        for e in edgeParent.indices {
            let parent = Int(edgeParent[e]), c = edgeCode[e], child = edgeChild[e]
            if c < 256 {
                litBytes[Int(litFill[parent])] = UInt8(c)
                litTargets[Int(litFill[parent])] = child
                litFill[parent] += 1
            } else if c == GlobNFA.starCode {
                starChild[parent] = child
                selfLoop[Int(child)] = 1
            } else {
                wildCodes[Int(wildFill[parent])] = c
                wildTargets[Int(wildFill[parent])] = child
                wildFill[parent] += 1
            }
        }
        valueStart = [0]
        valueStart.reserveCapacity(n + 1)
        for v in nodeValues {
            values.append(contentsOf: v)
            valueStart.append(UInt32(values.count))
        }
    }

    init(litStart: [UInt32], litBytes: [UInt8], litTargets: [UInt32], wildStart: [UInt32],
         wildCodes: [UInt32], wildTargets: [UInt32], starChild: [UInt32], selfLoop: [UInt8],
         valueStart: [UInt32], values: [UInt32], sets: [ByteSet]) {
        self.litStart = litStart; self.litBytes = litBytes; self.litTargets = litTargets
        self.wildStart = wildStart; self.wildCodes = wildCodes; self.wildTargets = wildTargets
        self.starChild = starChild; self.selfLoop = selfLoop
        self.valueStart = valueStart; self.values = values; self.sets = sets
    }

    /// Bytes that every pattern treats alike share a class, so DFA rows stay short.
    func byteClasses() -> (classOf: [UInt8], count: Int) {
        var classOf = [Int](repeating: 0, count: 256)
        var count = 1
        func split(_ member: (UInt8) -> Bool) {
            var remap = [Int: Int]()
            for b in 0..<256 where member(UInt8(b)) {
                let old = classOf[b]
                if let new = remap[old] { classOf[b] = new } else {
                    remap[old] = count; classOf[b] = count; count += 1
                }
            }
            // Renumber densely: a class that moved whole leaves a gap.
            var dense = [Int: Int]()
            for b in 0..<256 {
                let c = classOf[b]
                if let d = dense[c] { classOf[b] = d } else {
                    let d = dense.count
                    dense[c] = d
                    classOf[b] = d
                }
            }
            count = dense.count
        }
        var literals = ByteSet()
        for b in litBytes { literals.insert(b) }
        for b in 0..<256 where literals.contains(UInt8(b)) { split { $0 == UInt8(b) } }
        for s in sets { split { s.contains($0) } }
        return (classOf.map { UInt8($0) }, count)
    }
}
