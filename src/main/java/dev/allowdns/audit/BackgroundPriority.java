package dev.allowdns.audit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the calling thread to nice 19, so record writing and gzip never delay an answer on a
 * shared core: the scheduler runs a nice-19 thread only in the time the resolver and relay leave.
 * Linux niceness is per thread (setpriority(2) on the thread ID).
 */
final class BackgroundPriority {
  private static final Logger log = LoggerFactory.getLogger(BackgroundPriority.class);
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

  private static native int setpriority(int which, int who, int priority) throws LastErrorException;

  /** Lowers the calling thread's priority; where that is not possible it stays as it is. */
  static void lowerCurrentThread() {
    if (!AVAILABLE) {
      return;
    }
    try {
      // "/proc/thread-self" links to "PID/task/TID": the thread ID without an arch-specific syscall.
      Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
      int tid = Integer.parseInt(self.getFileName().toString());
      setpriority(PRIO_PROCESS, tid, LOWEST);
    } catch (IOException | RuntimeException e) {
      log.debug("cannot lower the priority of {}: {}", Thread.currentThread().getName(), e.toString());
    }
  }
}
