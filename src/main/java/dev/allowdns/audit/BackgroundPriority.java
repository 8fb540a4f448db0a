package dev.allowdns.audit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the calling thread's priority below the resolver's and the relay's, so record writing and
 * gzip yield to them on a shared core. Applies per thread on Linux.
 *
 * <p>The writer goes {@value #WRITER} steps below the process (weight about a third), not to the
 * bottom: the loops wait for it when it falls behind (backpressure), so a writer starved by the
 * very loops that wait for it stalls them. At nice 19 under a flood (loops at -10 in the soak
 * bench: weight 15 against 9,548 each) the resolver stopped for seconds at a time. Not {@code
 * SCHED_IDLE} either: a host busy with builds never has an idle CPU. The archiver, which nothing
 * waits for, goes to the bottom.
 */
final class BackgroundPriority {
  private static final Logger log = LoggerFactory.getLogger(BackgroundPriority.class);
  /** Steps below the process's niceness for the record writer. */
  static final int WRITER = 5;
  /** Steps below for work nothing waits on (gzip of rotated files): as low as it goes. */
  static final int ARCHIVER = 39;
  private static final int PRIO_PROCESS = 0;
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

  private static native int getpriority(int which, int who) throws LastErrorException;

  private static native int setpriority(int which, int who, int priority) throws LastErrorException;

  /**
   * Moves the calling thread {@code steps} nice values below where it is (at most to 19); where
   * that is not possible it stays as it is.
   */
  static void lowerCurrentThread(int steps) {
    if (!AVAILABLE) {
      return;
    }
    try {
      // "/proc/thread-self" links to "PID/task/TID": the thread ID without an arch-specific syscall.
      Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
      int tid = Integer.parseInt(self.getFileName().toString());
      setpriority(PRIO_PROCESS, tid, Math.min(LOWEST, getpriority(PRIO_PROCESS, tid) + steps));
    } catch (IOException | RuntimeException e) {
      log.debug("cannot lower the priority of {}: {}", Thread.currentThread().getName(), e.toString());
    }
  }
}
