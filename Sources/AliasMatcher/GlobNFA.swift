/// All patterns of one source (modules.alias, modules.symbols, builtin aliases, modprobe.d
/// aliases) as one trie whose edges are glob elements: shared prefixes are stored once, and a
/// node entered through `*` loops on every byte. Walking it with a set of live nodes is an NFA
/// simulation; `GlobAutomaton` caches those sets as DFA states.
///
/// Flat arrays only, so it serializes to the compiled index as it is. Runs of single-child
/// literal nodes are folded into chains; a live state is a node and an offset in its chain.
public struct GlobNFA: Sendable, Equatable {
    /// Edge labels: 0...255 a byte, 256 `?`, 257 `*`, 258 + k the bracket set `sets[k]`.
    static let anyCode: UInt32 = 256
    static let starCode: UInt32 = 257
    static let setBase: UInt32 = 258
    static let none = UInt32.max

    /// Per node: its literal-byte edges are `litBytes/litTargets[litStart[n]..<litStart[n+1]]`,
    /// sorted by byte.
    var litStart = IndexArray<UInt32>([0])
    var litBytes = IndexArray<UInt8>()
    var litTargets = IndexArray<UInt32>()
    /// Per node: `?` and bracket edges, `wildCodes/wildTargets[wildStart[n]..<wildStart[n+1]]`.
    var wildStart = IndexArray<UInt32>([0])
    var wildCodes = IndexArray<UInt32>()
    var wildTargets = IndexArray<UInt32>()
    /// Per node: the child through `*`, or `none`.
    var starChild = IndexArray<UInt32>()
    /// Per node: 1 when the node was entered through `*` (it loops on every byte).
    var selfLoop = IndexArray<UInt8>()
    /// Per node: the entries of the patterns ending there, `values[valueStart[n]..<valueStart[n+1]]`.
    var valueStart = IndexArray<UInt32>([0])
    var values = IndexArray<UInt32>()
    var sets: [ByteSet] = []

    /// Per node: literal bytes to consume, from its entry point, before it branches:
    /// `chainBytes[chainStart[n]..<chainStart[n+1]]`, at most `maxChain` long.
    var chainStart = IndexArray<UInt32>([0])
    var chainBytes = IndexArray<UInt8>()

    /// Byte → byte class (see `computeByteClasses`), and how many classes: computed once when
    /// the patterns are compiled and stored in the index, since it scans every chain byte.
    var classOf = IndexArray<UInt8>()
    var classCount = 0

    var nodeCount: Int { starChild.count }

    /// A live NFA state is `node << 8 | offset`, offset 0...chain length: so chains are
    /// capped at 255 bytes and nodes at 2^24.
    static let maxChain = 255

    /// Builds the trie from element sequences; `entries[i]` is the value stored where pattern
    /// `i` ends (an index into the caller's entry table).
    init(patterns: [[GlobElement]], entries: [UInt32]) {
        var setIndex = [ByteSet: UInt32]()
        var sets = [ByteSet]()
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
        self.init(compressing: nodeValues, edgeParent, edgeCode, edgeChild, sets: sets)
    }

    /// Lays the element trie out with runs of single-child literal nodes folded into their
    /// parent's `chain` (as depmod's index folds shared prefixes): the alias trie shrinks from
    /// ~430k nodes to a few tens of thousands, which is what makes the index file small.
    private init(compressing nodeValues: [[UInt32]], _ edgeParent: [UInt32], _ edgeCode: [UInt32], _ edgeChild: [UInt32],
                 sets: [ByteSet]) {
        let n = nodeValues.count
        // Adjacency per uncompressed node, in creation order (= ascending label per parent).
        var adjStart = [Int](repeating: 0, count: n + 1)
        for p in edgeParent { adjStart[Int(p) + 1] += 1 }
        for i in 0..<n { adjStart[i + 1] += adjStart[i] }
        var fill = adjStart
        var adjCode = [UInt32](repeating: 0, count: edgeCode.count), adjChild = [UInt32](repeating: 0, count: edgeCode.count)
        var enteredByStar = [Bool](repeating: false, count: n)
        for e in edgeParent.indices {
            let p = Int(edgeParent[e])
            adjCode[fill[p]] = edgeCode[e]; adjChild[fill[p]] = edgeChild[e]; fill[p] += 1
            if edgeCode[e] == GlobNFA.starCode { enteredByStar[Int(edgeChild[e])] = true }
        }
        // Chain roots, breadth first; each gets its chain bytes and the node where it branches.
        var newId = [Int32](repeating: -1, count: n)
        var roots = [0], branchAt = [Int]()
        var chains = [UInt8](), chainEnds = [UInt32]()
        newId[0] = 0
        var i = 0
        while i < roots.count {
            var cur = roots[i]
            var length = 0
            while adjStart[cur + 1] - adjStart[cur] == 1, adjCode[adjStart[cur]] < 256, nodeValues[cur].isEmpty,
                  length < GlobNFA.maxChain {
                chains.append(UInt8(adjCode[adjStart[cur]]))
                cur = Int(adjChild[adjStart[cur]])
                length += 1
            }
            chainEnds.append(UInt32(chains.count))
            branchAt.append(cur)
            for k in adjStart[cur]..<adjStart[cur + 1] where newId[Int(adjChild[k])] < 0 {
                newId[Int(adjChild[k])] = Int32(roots.count)
                roots.append(Int(adjChild[k]))
            }
            i += 1
        }
        let m = roots.count
        var starChild = [UInt32](repeating: GlobNFA.none, count: m)
        var litStart: [UInt32] = [0], wildStart: [UInt32] = [0], valueStart: [UInt32] = [0]
        var litBytes = [UInt8](), litTargets = [UInt32](), wildCodes = [UInt32](), wildTargets = [UInt32]()
        var values = [UInt32]()
        for j in 0..<m {
            let b = branchAt[j]
            for k in adjStart[b]..<adjStart[b + 1] {
                let c = adjCode[k], t = UInt32(newId[Int(adjChild[k])])
                if c < 256 {
                    litBytes.append(UInt8(c)); litTargets.append(t)
                } else if c == GlobNFA.starCode {
                    starChild[j] = t
                } else {
                    wildCodes.append(c); wildTargets.append(t)
                }
            }
            litStart.append(UInt32(litBytes.count))
            wildStart.append(UInt32(wildCodes.count))
            values.append(contentsOf: nodeValues[b])
            valueStart.append(UInt32(values.count))
        }
        let (classOf, classCount) = Self.computeByteClasses(literals: [litBytes, chains], sets: sets)
        self.init(chainStart: IndexArray([0] + chainEnds), chainBytes: IndexArray(chains),
                  litStart: IndexArray(litStart), litBytes: IndexArray(litBytes), litTargets: IndexArray(litTargets),
                  wildStart: IndexArray(wildStart), wildCodes: IndexArray(wildCodes), wildTargets: IndexArray(wildTargets),
                  starChild: IndexArray(starChild), selfLoop: IndexArray(roots.map { enteredByStar[$0] ? 1 : 0 }),
                  valueStart: IndexArray(valueStart), values: IndexArray(values), sets: sets,
                  classOf: IndexArray(classOf), classCount: classCount)
    }

    init(chainStart: IndexArray<UInt32>, chainBytes: IndexArray<UInt8>,
         litStart: IndexArray<UInt32>, litBytes: IndexArray<UInt8>, litTargets: IndexArray<UInt32>,
         wildStart: IndexArray<UInt32>, wildCodes: IndexArray<UInt32>, wildTargets: IndexArray<UInt32>,
         starChild: IndexArray<UInt32>, selfLoop: IndexArray<UInt8>,
         valueStart: IndexArray<UInt32>, values: IndexArray<UInt32>, sets: [ByteSet],
         classOf: IndexArray<UInt8>, classCount: Int) {
        self.chainStart = chainStart; self.chainBytes = chainBytes
        self.litStart = litStart; self.litBytes = litBytes; self.litTargets = litTargets
        self.wildStart = wildStart; self.wildCodes = wildCodes; self.wildTargets = wildTargets
        self.starChild = starChild; self.selfLoop = selfLoop
        self.valueStart = valueStart; self.values = values; self.sets = sets
        self.classOf = classOf; self.classCount = classCount
    }

    /// Bytes that every pattern treats alike share a class, so DFA rows stay short: two bytes
    /// are alike when neither is a literal anywhere and every bracket set holds both or neither.
    /// Partition refinement (each literal, then each set, splits the classes it cuts), then
    /// classes numbered by their smallest byte; no per-byte keys, so compiling a small tree
    /// allocates next to nothing here.
    static func computeByteClasses(literals: [[UInt8]], sets: [ByteSet]) -> (classOf: [UInt8], count: Int) {
        var part = [UInt16](repeating: 0, count: 256)
        var parts = 1
        var isLiteral = [Bool](repeating: false, count: 256)
        for l in literals { for b in l { isLiteral[Int(b)] = true } }
        for b in 0..<256 where isLiteral[b] {
            part[b] = UInt16(parts)
            parts += 1
        }
        // Per set: a class with members inside and outside the set sends its inside members
        // to a new class; `moved[c]` is that new class (0 when not made yet).
        var moved = [UInt16](repeating: 0, count: 257)
        for s in sets {
            for c in 0..<parts { moved[c] = 0 }
            for b in 0..<256 where !isLiteral[b] && s.contains(UInt8(b)) {
                let c = Int(part[b])
                if moved[c] == 0 {
                    moved[c] = UInt16(parts)
                    parts += 1
                }
                part[b] = moved[c]
            }
            // A class wholly inside the set was renamed, not split; ids are compacted when
            // they pass 256 (at most 256 classes are non-empty) and at the end.
            if parts > 256 { compact(&part, &parts) }
        }
        compact(&part, &parts)
        return (part.map { UInt8($0) }, parts)
    }

    /// Renumbers classes 0, 1, 2, ... in the order of their smallest byte.
    private static func compact(_ part: inout [UInt16], _ parts: inout Int) {
        var id = [Int32](repeating: -1, count: max(parts, 1))
        var next: Int32 = 0
        for b in 0..<256 {
            let c = Int(part[b])
            if id[c] < 0 { id[c] = next; next += 1 }
            part[b] = UInt16(id[c])
        }
        parts = Int(next)
    }
}
