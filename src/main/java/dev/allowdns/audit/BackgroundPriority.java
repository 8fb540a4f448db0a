package dev.allowdns.audit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the calling thread to the {@code SCHED_IDLE} policy (sched(7)), so record writing and gzip
 * never delay an answer on a shared core: such a thread runs only on a CPU nothing else wants, and
 * yields it the moment the resolver or relay wakes. (At nice 19 the scheduler still let it finish
 * its slice first: a few milliseconds that showed in the resolver's p99.) Where that is refused,
 * nice 19 instead. Both apply per thread on Linux.
 */
final class BackgroundPriority {
  private static final Logger log = LoggerFactory.getLogger(BackgroundPriority.class);
  private static final int PRIO_PROCESS = 0;
  private static final int SCHED_IDLE = 5;
  private static final int LOWEST = 19;
  private static final boolean AVAILABLE = register();

  private BackgroundPriority() {}

  private static boolean register() {
    try {
      Native.register(BackgroundPriority.class, "c");
      return true;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return false;
    }
  }

  private static native int setpriority(int which, int who, int priority) throws LastErrorException;

  /** {@code param} is {@code struct sched_param}: one int, the static priority (0 here). */
  private static native int sched_setscheduler(int pid, int policy, int[] param)
      throws LastErrorException;

  /** Lowers the calling thread's priority; where that is not possible it stays as it is. */
  static void lowerCurrentThread() {
    if (!AVAILABLE) {
      return;
    }
    try {
      // "/proc/thread-self" links to "PID/task/TID": the thread ID without an arch-specific syscall.
      Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
      int tid = Integer.parseInt(self.getFileName().toString());
      try {
        sched_setscheduler(tid, SCHED_IDLE, new int[] {0});
      } catch (LastErrorException e) {
        setpriority(PRIO_PROCESS, tid, LOWEST);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("cannot lower the priority of {}: {}", Thread.currentThread().getName(), e.toString());
    }
  }
}
