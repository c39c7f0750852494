#if canImport(Glibc)
import LinuxSystem
import Glibc
#endif
import AliasMatcher

/// Lets a command's exit status reach its parent even while one of its threads is stuck in
/// the kernel. A thread in a module's init cannot be killed: the process's exit(3) then
/// leaves it a zombie whose parent is told nothing until that init returns, so an initramfs
/// script waiting for `coldplug` would wait as long as the stuck module. So the command
/// forks first (no thread exists yet): the child does the work and writes its status into
/// a pipe before exiting; the parent exits with that status at once, and the child, if a
/// thread holds it, finishes later as an orphan that init reaps.
enum ExitSupervisor {
    /// Returns in the child (the caller goes on and must call `finish`); the parent never
    /// returns. Where fork(2) fails the caller simply runs in this process.
    static func detach() {
        var fds: [Int32] = [-1, -1]
        guard (try? syscallRetrying({ pipe(&fds) })) != nil else { return }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid = fork()
        if pid < 0 { close(fds[0]); close(fds[1]); return }
        if pid == 0 {
            close(fds[0])
            statusPipe = fds[1]
            return
        }
        close(fds[1])
        var status: UInt8 = 0
        let n = (try? syscallRetrying { read(fds[0], &status, 1) }) ?? 0
        if n == 1 { _exit(Int32(status)) }
        // The child died before it could say: its own status (or 128 + signal).
        var wait: Int32 = 0
        _ = try? syscallRetrying { waitpid(pid, &wait, 0) }
        _exit(wait & 0x7f == 0 ? (wait >> 8) & 0xff : 128 + (wait & 0x7f))
    }

    nonisolated(unsafe) private static var statusPipe: Int32 = -1

    /// Hands `status` to the waiting parent (in the child; nothing otherwise).
    static func finish(_ status: Int32) -> Int32 {
        guard statusPipe >= 0 else { return status }
        var byte = UInt8(truncatingIfNeeded: status)
        _ = try? syscallRetrying { write(statusPipe, &byte, 1) }
        close(statusPipe)
        statusPipe = -1
        return status
    }
}
