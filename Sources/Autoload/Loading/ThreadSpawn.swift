#if canImport(Glibc)
import Glibc
#endif

private final class ThreadStart: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// pthread_create of a detached thread running a Swift closure (no Foundation on these paths).
/// Returns the error number when the thread could not be made (EAGAIN: a thread or memory
/// limit), so the caller can go on with the threads it has.
func spawnDetachedThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
    let box = Unmanaged.passRetained(ThreadStart(body))
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attr, { arg in
        Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
    }, box.toOpaque())
    if rc != 0 { box.release() }
    return rc
}
