/// When a run is settled: nothing queued or loading, no walk due, the uevent socket drained
/// up to the kernel's own event count, and nothing new for `quietSeconds`. What counts as
/// new is the engine's business (a device path or MODALIAS not seen before, a load
/// finishing); a device re-announcing itself, or a `change`, is not new, so it cannot hold a
/// run open.
///
/// The quiet time covers children that appear a moment after their parent's driver is live
/// (a USB host controller's ports enumerate from a workqueue after its init returned; a SCSI
/// host scans after it). One-shot coldplug leaves when settled, so it waits longer than the
/// daemon, which reports ready and goes on loading what comes later.
struct Settle {
    let quietSeconds: Double
    private(set) var lastActivity: Double
    /// Since when the kernel's count has been ahead of what the socket delivered.
    private var countAheadSince: Double?
    /// Events of other network namespaces are counted by the kernel but never reach this
    /// socket: past this, the count is not waited for.
    static let countGraceSeconds = 0.5

    init(quietSeconds: Double, start: Double) {
        self.quietSeconds = quietSeconds
        lastActivity = start
    }

    mutating func noteActivity(at t: Double) { lastActivity = max(lastActivity, t) }

    /// The earliest time it could be settled, given what is known now.
    func earliest(lastCompletion: Double) -> Double { max(lastActivity, lastCompletion) + quietSeconds }

    mutating func isSettled(now: Double, pool: LoadPool.Snapshot, walkDue: Bool,
                            kernelCountReceived: () -> Bool) -> Bool {
        guard pool.isIdle, !walkDue, now >= earliest(lastCompletion: pool.lastCompletion) else { return false }
        if kernelCountReceived() {
            countAheadSince = nil
            return true
        }
        let since = countAheadSince ?? now
        countAheadSince = since
        return now - since >= Self.countGraceSeconds
    }
}
