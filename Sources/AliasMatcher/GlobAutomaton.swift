/// A lazily built DFA over a `GlobSet`: each state is a set of live trie nodes, made the first
/// time some input reaches it and cached, so a warm lookup costs one table load per byte no
/// matter how many patterns share a prefix. The cache is bounded: past `maxStates` it starts
/// over (as RE2 does), so memory stays flat under any stream of inputs.
///
/// Mutates on lookup: one instance per thread.
public final class GlobAutomaton {
    public let patterns: GlobSet
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

    static let dead: Int32 = 0
    static let start: Int32 = 1

    /// How many times the cache was dropped (visible to benchmarks and tests).
    public private(set) var flushes = 0
    public var stateCount: Int { states.count }

    public init(_ patterns: GlobSet, maxStates: Int = 1 << 17) {
        self.patterns = patterns
        self.nfa = patterns.nfa
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
        _ = addState([])
        _ = addState(nfa.startStates())
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

    /// Walks the DFA over `input` (normalized bytes) and returns the final state.
    @inline(__always)
    private func run(_ input: UnsafeBufferPointer<UInt8>) -> Int32 {
        // Locals, not stored properties, in the loop: reading a class's `var` inside it would
        // cost a dynamic exclusivity check per byte. `rows` and `dense` are reloaded after a
        // miss, which may have grown (moved) them.
        var rows = transitions.rows, dense = transitions.dense
        let classes = classOf, width = classCount
        var s = Self.start
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

    /// The modules (entry `module` ids) whose patterns match, in libkmod's order (ascending entry
    /// `order`), each once.
    public func modules(matching input: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        let s = run(input)
        var result: [UInt32]
        let a = acceptIndex[Int(s)]
        if a >= 0 {
            result = acceptLists[Int(a)]
        } else {
            var entries = [UInt32]()
            for n in states.nodes(s) { entries.append(contentsOf: nfa.values(at: n)) }
            result = orderedModules(entries)
            acceptIndex[Int(s)] = Int32(acceptLists.count)
            acceptLists.append(result)
        }
        if !patterns.fallback.isEmpty {
            let bytes = Array(input)
            var extra = [UInt32]()
            for f in patterns.fallback
            where GlobFallback.matches(Array(patterns.entries.pattern(Int(f.entry))), prefix: Int(f.prefix), bytes) {
                extra.append(f.entry)
            }
            if !extra.isEmpty {
                var all = extra
                for n in states.nodes(s) { all.append(contentsOf: nfa.values(at: n)) }
                result = orderedModules(all)
            }
        }
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
