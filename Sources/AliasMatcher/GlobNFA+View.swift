/// The NFA's arrays as raw buffers, and the NFA's one definition of a step: a live state is
/// `node << 8 | offset` in the node's chain, plus, in a tagged view, a 4-bit tag in the top
/// bits (node ids then below 2^20) that every state stepped to inherits. Raw buffers mean no reference counting or
/// exclusivity checks per access in the inner loop. Only valid inside `withView`.
struct GlobNFAView {
    let chainStart: UnsafeBufferPointer<UInt32>, chainBytes: UnsafeBufferPointer<UInt8>
    let litStart: UnsafeBufferPointer<UInt32>, litBytes: UnsafeBufferPointer<UInt8>
    let litTargets: UnsafeBufferPointer<UInt32>
    let wildStart: UnsafeBufferPointer<UInt32>, wildCodes: UnsafeBufferPointer<UInt32>
    let wildTargets: UnsafeBufferPointer<UInt32>
    let starChild: UnsafeBufferPointer<UInt32>, selfLoop: UnsafeBufferPointer<UInt8>
    let sets: UnsafeBufferPointer<ByteSet>
    let nodeMask: UInt32, tagMask: UInt32

    /// Adds `(node, offset)` and, at a branch point with a `*` child, that child's entry.
    @inline(__always)
    func enter(_ node: UInt32, _ offset: Int, tag: UInt32 = 0, into out: inout [UInt32]) {
        out.append(tag | node << 8 | UInt32(offset))
        let n = Int(node)
        if offset == Int(chainStart[n + 1] &- chainStart[n]) {
            let s = starChild[n]
            if s != GlobNFA.none { out.append(tag | s << 8) }
        }
    }

    /// The index of node `n`'s literal edge for byte `b` (edges sorted by byte), if any: the
    /// search both the NFA step and `PrefixSplit`'s literal trie walk make.
    @inline(__always)
    static func literalEdge(_ litStart: UnsafeBufferPointer<UInt32>, _ litBytes: UnsafeBufferPointer<UInt8>,
                            node n: Int, byte b: UInt8) -> Int? {
        var lo = Int(litStart[n]), hi = Int(litStart[n + 1])
        while lo < hi {
            let mid = (lo + hi) >> 1
            let m = litBytes[mid]
            if m == b { return mid }
            if m < b { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// The states one byte leads to from `state`, closed under `*` (which matches empty).
    @inline(__always)
    func step(_ state: UInt32, _ b: UInt8, into out: inout [UInt32]) {
        let n = Int((state >> 8) & nodeMask), k = Int(state & 255), tag = state & tagMask
        if k == 0, selfLoop[n] != 0 { out.append(state) }
        let chain = Int(chainStart[n]), length = Int(chainStart[n + 1]) &- chain
        if k < length {
            if chainBytes[chain + k] == b { enter(UInt32(n), k + 1, tag: tag, into: &out) }
            return
        }
        if let e = Self.literalEdge(litStart, litBytes, node: n, byte: b) { enter(litTargets[e], 0, tag: tag, into: &out) }
        for e in Int(wildStart[n])..<Int(wildStart[n + 1]) {
            let c = wildCodes[e]
            if c == GlobNFA.anyCode || sets[Int(c - GlobNFA.setBase)].contains(b) { enter(wildTargets[e], 0, tag: tag, into: &out) }
        }
    }
}

extension GlobNFA {
    /// `tagged`: states carry a tag (see `GlobNFAView`); the caller has checked node ids fit.
    func withView<R>(tagged: Bool = false, _ body: (GlobNFAView) -> R) -> R {
        sets.withUnsafeBufferPointer { st in
            body(GlobNFAView(chainStart: chainStart.buffer, chainBytes: chainBytes.buffer, litStart: litStart.buffer,
                             litBytes: litBytes.buffer, litTargets: litTargets.buffer, wildStart: wildStart.buffer,
                             wildCodes: wildCodes.buffer, wildTargets: wildTargets.buffer, starChild: starChild.buffer,
                             selfLoop: selfLoop.buffer, sets: st,
                             nodeMask: tagged ? 0xF_FFFF : 0xFF_FFFF, tagMask: tagged ? 0xF000_0000 : 0))
        }
    }
}
