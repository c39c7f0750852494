/// Matches a `GlobSet`: a walk down its literal prefix trie, and behind each prefix the input
/// starts with, a lazily built DFA over that prefix's remainder group (`PrefixSplit`). Each
/// DFA state is a set of live forest nodes, made the first time some input reaches it and
/// cached, so a warm lookup costs one table load per byte no matter how many patterns share
/// a prefix, and prefixes with equal remainder groups share the states. The cache is
/// bounded: past `maxStates` it starts over (as RE2 does), so memory stays flat under any
/// stream of inputs.
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
    /// Per slot: the DFA state its group starts in, or -1 (sized at first use).
    private var slotStart: [Int32] = []
    /// Entries found by the current lookup (kept for its capacity).
    private var found: [UInt32] = []

    static let dead: Int32 = 0

    /// How many times the cache was dropped (visible to benchmarks and tests).
    public private(set) var flushes = 0
    public var stateCount: Int { states.count }

    public init(_ patterns: GlobSet, maxStates: Int = 1 << 17) {
        self.patterns = patterns
        self.split = patterns.split
        self.nfa = patterns.split.forest
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
        for i in slotStart.indices { slotStart[i] = -1 }
        _ = addState([])
    }

    /// The DFA state the group of `slot` starts in.
    @inline(__always)
    private func startState(_ slot: Int) -> Int32 {
        if slotStart.isEmpty { slotStart = Array(repeating: -1, count: split.slotCount) }
        let known = slotStart[slot]
        if known >= 0 { return known }
        if states.count >= maxStates {
            flushes += 1
            reset()
        }
        let s = addState(nfa.startStates(root: split.slotRoot[slot]))
        slotStart[slot] = s
        return s
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
        var from = state
        if states.count >= maxStates {
            let source = Array(states.nodes(state))
            flushes += 1
            reset()
            from = addState(source)
        }
        // Swapped out, not copied: a copy would share the buffer and every append would
        // reallocate it (copy on write).
        var out = [UInt32]()
        swap(&out, &scratch)
        out.removeAll(keepingCapacity: true)
        nfa.withView { view in
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

    /// The values (remainder indexes) of accepting state `s`, sorted, each once.
    @inline(__always)
    private func accepted(_ s: Int32) -> [UInt32] {
        let a = acceptIndex[Int(s)]
        if a >= 0 { return acceptLists[Int(a)] }
        var values = [UInt32]()
        for n in states.nodes(s) { values.append(contentsOf: nfa.values(at: n)) }
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
        split.forEachPrefix(of: input) { slot, at in
            if at == input.count { split.appendExact(slot: slot, to: &out) }
            guard split.slotRoot[slot] != GlobNFA.none else { return }
            let s = run(startState(slot), UnsafeBufferPointer(rebasing: input[at...]))
            if s == Self.dead { return }
            accepted(s).withUnsafeBufferPointer { split.appendEntries(slot: slot, matched: $0, to: &out) }
        }
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
        default: result = orderedModules(out)
        }
        swap(&out, &found)
        return result
    }

    public func modules(matching input: [UInt8]) -> [UInt32] {
        input.withUnsafeBufferPointer { modules(matching: $0) }
    }

    private func orderedModules(_ entries: [UInt32]) -> [UInt32] {
        let sorted = entries.sorted {
            (patterns.entries.order(Int($0)), $0) < (patterns.entries.order(Int($1)), $1)
        }
        var seen = Set<UInt32>(), out = [UInt32]()
        for e in sorted {
            let m = patterns.entries.module(Int(e))
            if seen.insert(m).inserted { out.append(m) }
        }
        return out
    }
}

@available(*, unavailable)
extension GlobAutomaton: Sendable {}
