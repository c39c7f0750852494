/// Matches a `GlobSet`: a walk down its literal prefix trie, then one lazily built DFA walk
/// over the remainder forest (`PrefixSplit`) in which each prefix the input starts with joins
/// its group's start states where the prefix ends. A forest state carries the rank of the
/// prefix it started from on this path (a 4-bit tag), not the prefix itself, so DFA states
/// are shared by every path with the same sequence of groups (thousands of device ids),
/// and a warm lookup costs one table load per byte however many patterns share a prefix.
/// The cache is bounded: past `maxStates` it starts over (as RE2 does), so memory stays flat
/// under any stream of inputs.
///
/// Mutates on lookup: one instance per thread.
public final class GlobAutomaton {
    public let patterns: GlobSet
    private let split: PrefixSplit
    /// The remainder forest the DFA runs over.
    private let nfa: GlobNFA
    private let classOf: UnsafeMutablePointer<UInt8>
    private let classCount: Int
    private let maxStates: Int

    private var transitions: TransitionRows
    private var states = DFAStateTable()
    /// Reused for every transition computed, so a new state allocates nothing of its own.
    private var scratch: [UInt32] = []
    /// Per state: index into `acceptLists`, or -1 when not computed yet.
    private var acceptIndex: [Int32] = []
    private var acceptLists: [[UInt32]] = []
    /// (state, group root, tag) → the state with that group joined at that tag.
    private var joins = JoinTable()
    /// Entries found by the current lookup, and the prefixes with a group on its path, as
    /// (slot, position) (both kept for their capacity).
    private var found: [UInt32] = []
    private var path: [(slot: Int, at: Int)] = []
    /// Tags fit in the forest state's top 4 bits while node ids need at most 20; a larger
    /// forest gets no tags, and one walk per prefix.
    private let tagged: Bool

    static let dead: Int32 = 0

    /// How many times the cache was dropped (visible to benchmarks and tests).
    public private(set) var flushes = 0
    public var stateCount: Int { states.count }

    public convenience init(_ patterns: GlobSet, maxStates: Int = 1 << 17) {
        self.init(patterns, maxStates: maxStates, tagged: patterns.split.forest.nodeCount < 1 << 20)
    }

    /// `tagged: false` makes one walk per prefix, as a forest of 2^20 nodes or more needs
    /// (tests use it on small sets).
    init(_ patterns: GlobSet, maxStates: Int, tagged: Bool) {
        self.patterns = patterns
        self.split = patterns.split
        self.nfa = patterns.split.forest
        self.tagged = tagged && nfa.nodeCount < 1 << 20
        // Stored with the patterns: computing them scans every chain byte.
        classOf = .allocate(capacity: 256)
        for i in 0..<256 { classOf[i] = nfa.classOf[i] }
        classCount = nfa.classCount
        let count = classCount
        self.maxStates = max(maxStates, 4)
        transitions = TransitionRows(classCount: count)
        reset()
    }

    deinit {
        classOf.deallocate()
        transitions.deallocate()
    }

    private func reset() {
        states.removeAll()
        transitions.removeAll()
        acceptIndex.removeAll(keepingCapacity: true)
        acceptLists.removeAll(keepingCapacity: true)
        joins.removeAll()
        _ = addState([])
    }

    /// Drops the cache when it is full, keeping `state` (it is being stepped from); returns
    /// its id afterwards.
    private func makeRoom(keeping state: Int32) -> Int32 {
        guard states.count >= maxStates else { return state }
        let source = Array(states.nodes(state))
        flushes += 1
        reset()
        return addState(source)
    }

    /// `state` with the start states of the group at `root` added, tagged `tag`.
    private func join(_ state: Int32, root: UInt32, tag: Int) -> Int32 {
        if let known = joins.find(JoinTable.key(state, root, tag)) { return known }
        let from = makeRoom(keeping: state)
        var set = Array(states.nodes(from))
        nfa.withView(tagged: tagged) { $0.enter(root, 0, tag: UInt32(tag) << 28, into: &set) }
        canonical(&set)
        let to = addState(set)
        joins.insert(JoinTable.key(from, root, tag), to)
        return to
    }

    private func addState(_ nodes: [UInt32]) -> Int32 {
        nodes.withUnsafeBufferPointer { addState($0) }
    }

    private func addState(_ nodes: UnsafeBufferPointer<UInt32>) -> Int32 {
        let (id, isNew) = states.intern(nodes)
        guard isNew else { return id }
        // The dead state (empty set) is never stepped from: the walk stops there.
        transitions.addRow(Int(id))
        acceptIndex.append(-1)
        return id
    }

    private func computeTransition(_ state: Int32, _ b: UInt8) -> Int32 {
        let from = makeRoom(keeping: state)
        // Swapped out, not copied: a copy would share the buffer and every append would
        // reallocate it (copy on write).
        var out = [UInt32]()
        swap(&out, &scratch)
        out.removeAll(keepingCapacity: true)
        nfa.withView(tagged: tagged) { view in
            states.withNodes(from) { for s in $0 { view.step(s, b, into: &out) } }
        }
        canonical(&out)
        let to = addState(out)
        swap(&out, &scratch)
        transitions.set(from, UInt32(classOf[Int(b)]), to)
        return to
    }

    /// Walks the DFA from `start` over `input` (normalized bytes) and returns the final state.
    @inline(__always)
    private func run(_ start: Int32, _ input: UnsafeBufferPointer<UInt8>) -> Int32 {
        // Locals, not stored properties, in the loop: reading a class's `var` inside it would
        // cost a dynamic exclusivity check per byte. `rows` and `dense` are reloaded after a
        // miss, which may have grown (moved) them.
        var rows = transitions.rows, dense = transitions.dense
        let classes = classOf, width = classCount
        var s = start
        for b in input {
            let t = TransitionRows.target(rows, dense, width, s, UInt32(classes[Int(b)]))
            if t >= 0 {
                s = t
            } else {
                s = computeTransition(s, b)
                (rows, dense) = (transitions.rows, transitions.dense)
            }
            if s == Self.dead { break }
        }
        return s
    }

    /// The values of accepting state `s` (remainder index, tag in the top 4 bits), sorted, each once.
    @inline(__always)
    private func accepted(_ s: Int32) -> [UInt32] {
        let a = acceptIndex[Int(s)]
        if a >= 0 { return acceptLists[Int(a)] }
        var values = [UInt32]()
        let nodeMask: UInt32 = tagged ? 0xF_FFFF : 0xFF_FFFF
        for n in states.nodes(s) {
            let tag = tagged ? n & 0xF000_0000 : 0
            for v in nfa.values(at: n, nodeMask: nodeMask) { values.append(tag | v) }
        }
        canonical(&values)
        acceptIndex[Int(s)] = Int32(acceptLists.count)
        acceptLists.append(values)
        return values
    }

    /// The modules (entry `module` ids) whose patterns match, in libkmod's order (ascending entry
    /// `order`), each once.
    public func modules(matching input: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var out = [UInt32]()
        swap(&out, &found)
        out.removeAll(keepingCapacity: true)
        var prefixes = [(slot: Int, at: Int)]()
        swap(&prefixes, &path)
        prefixes.removeAll(keepingCapacity: true)
        split.forEachPrefix(of: input) { slot, at in
            if at == input.count { split.appendExact(slot: slot, to: &out) }
            if split.slotRoot[slot] != GlobNFA.none { prefixes.append((slot, at)) }
        }
        // One walk for up to 16 prefixes (one per prefix without tags): each group joins the
        // walk where its prefix ends.
        let batch = tagged ? 16 : 1
        var first = 0
        while first < prefixes.count {
            let last = min(first + batch, prefixes.count)
            var s = Self.dead
            for k in first..<last {
                s = join(s, root: split.slotRoot[prefixes[k].slot], tag: k - first)
                let end = k + 1 < last ? prefixes[k + 1].at : input.count
                s = run(s, UnsafeBufferPointer(rebasing: input[prefixes[k].at..<end]))
            }
            if s != Self.dead {
                let values = accepted(s)
                // Values sort by tag first: one run of them per prefix.
                var i = 0
                while i < values.count {
                    let tag = Int(values[i] >> 28)
                    var j = i
                    while j < values.count, Int(values[j] >> 28) == tag { j += 1 }
                    values.withUnsafeBufferPointer {
                        split.appendEntries(slot: prefixes[first + tag].slot, matched: UnsafeBufferPointer(rebasing: $0[i..<j]),
                                            mask: 0x0FFF_FFFF, to: &out)
                    }
                    i = j
                }
            }
            first = last
        }
        swap(&prefixes, &path)
        if !patterns.fallback.isEmpty {
            let bytes = Array(input)
            for f in patterns.fallback
            where GlobFallback.matches(Array(patterns.entries.pattern(Int(f.entry))), prefix: Int(f.prefix), bytes) {
                out.append(f.entry)
            }
        }
        let result: [UInt32]
        switch out.count {
        case 0: result = []
        case 1: result = [patterns.entries.module(Int(out[0]))]
        default: result = orderedModules(&out)
        }
        swap(&out, &found)
        return result
    }

    public func modules(matching input: [UInt8]) -> [UInt32] {
        input.withUnsafeBufferPointer { modules(matching: $0) }
    }

    /// Entries to modules in libkmod's order: by (order, entry), each module once. Results
    /// hold a few entries, so an insertion sort and a linear duplicate check, no allocation
    /// but the result's.
    private func orderedModules(_ entries: inout [UInt32]) -> [UInt32] {
        let table = patterns.entries
        // Thousands of entries (a pattern like `*` repeated across modules) would make both
        // quadratic: sort, and remember modules in a set.
        if entries.count > 64 {
            entries.sort { (table.order(Int($0)), $0) < (table.order(Int($1)), $1) }
            var seen = Set<UInt32>(), out = [UInt32]()
            for x in entries {
                let m = table.module(Int(x))
                if seen.insert(m).inserted { out.append(m) }
            }
            return out
        }
        entries.withUnsafeMutableBufferPointer { e in
            for i in 1..<e.count {
                let x = e[i], key = (table.order(Int(x)), x)
                var j = i
                while j > 0, key < (table.order(Int(e[j - 1])), e[j - 1]) {
                    e[j] = e[j - 1]
                    j -= 1
                }
                e[j] = x
            }
        }
        var out = [UInt32]()
        out.reserveCapacity(entries.count)
        for x in entries {
            let m = table.module(Int(x))
            if !out.contains(m) { out.append(m) }
        }
        return out
    }
}

@available(*, unavailable)
extension GlobAutomaton: Sendable {}
