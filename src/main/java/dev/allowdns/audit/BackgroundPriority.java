package dev.allowdns.audit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the calling thread to nice 19, so record writing and gzip yield to the resolver and relay
 * on a shared core. Not {@code SCHED_IDLE}: a thread of that policy runs only on a CPU nothing else
 * wants, and a sandbox host busy with builds has none, so records waited without end (a saturated
 * CI machine showed it); at nice 19 the writer keeps a small share (weight 15 against 1,024) and
 * records keep flowing. Applies per thread on Linux.
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
