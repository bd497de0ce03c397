import Glibc

/// Seconds on the monotonic clock: it keeps counting while the process is stopped (SIGSTOP)
/// and never jumps with the wall clock, so "a lease has passed" means what it says.
enum Monotonic {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
