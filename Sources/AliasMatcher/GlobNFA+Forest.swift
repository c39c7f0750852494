extension GlobNFA {
    /// Several tries laid side by side in one NFA: each part's node ids, chain and edge
    /// offsets and bracket-set codes moved past the parts before it. Nothing links the parts,
    /// so a walk started at one part's root stays inside it. Returns the roots.
    static func forest(_ parts: [GlobNFA]) -> (GlobNFA, roots: [UInt32]) {
        guard !parts.isEmpty else { return (GlobNFA(patterns: [], entries: []), []) }
        var chainStart: [UInt32] = [0], chainBytes = [UInt8]()
        var litStart: [UInt32] = [0], litBytes = [UInt8](), litTargets = [UInt32]()
        var wildStart: [UInt32] = [0], wildCodes = [UInt32](), wildTargets = [UInt32]()
        var starChild = [UInt32](), selfLoop = [UInt8]()
        var valueStart: [UInt32] = [0], values = [UInt32]()
        var sets = [ByteSet](), setIndex = [ByteSet: UInt32]()
        var roots = [UInt32]()
        for p in parts {
            let base = UInt32(starChild.count)
            roots.append(base)
            // Equal bracket sets in different parts share one code.
            let setCode = p.sets.map { s -> UInt32 in
                if let k = setIndex[s] { return k }
                let k = UInt32(sets.count)
                sets.append(s)
                setIndex[s] = k
                return k
            }
            for n in 0..<p.nodeCount {
                chainBytes += p.chainBytes[Int(p.chainStart[n])..<Int(p.chainStart[n + 1])]
                chainStart.append(UInt32(chainBytes.count))
                for e in Int(p.litStart[n])..<Int(p.litStart[n + 1]) {
                    litBytes.append(p.litBytes[e])
                    litTargets.append(base + p.litTargets[e])
                }
                litStart.append(UInt32(litBytes.count))
                for e in Int(p.wildStart[n])..<Int(p.wildStart[n + 1]) {
                    let c = p.wildCodes[e]
                    wildCodes.append(c >= GlobNFA.setBase ? GlobNFA.setBase + setCode[Int(c - GlobNFA.setBase)] : c)
                    wildTargets.append(base + p.wildTargets[e])
                }
                wildStart.append(UInt32(wildCodes.count))
                starChild.append(p.starChild[n] == GlobNFA.none ? GlobNFA.none : base + p.starChild[n])
                selfLoop.append(p.selfLoop[n])
                values += p.values[Int(p.valueStart[n])..<Int(p.valueStart[n + 1])]
                valueStart.append(UInt32(values.count))
            }
        }
        let (classOf, classCount) = computeByteClasses(literals: [litBytes, chainBytes], sets: sets)
        let nfa = GlobNFA(chainStart: IndexArray(chainStart), chainBytes: IndexArray(chainBytes),
                          litStart: IndexArray(litStart), litBytes: IndexArray(litBytes), litTargets: IndexArray(litTargets),
                          wildStart: IndexArray(wildStart), wildCodes: IndexArray(wildCodes), wildTargets: IndexArray(wildTargets),
                          starChild: IndexArray(starChild), selfLoop: IndexArray(selfLoop),
                          valueStart: IndexArray(valueStart), values: IndexArray(values), sets: sets,
                          classOf: IndexArray(classOf), classCount: classCount)
        return (nfa, roots)
    }
}
