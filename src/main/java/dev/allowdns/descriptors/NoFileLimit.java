package dev.allowdns.descriptors;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's descriptor limit ({@code RLIMIT_NOFILE}, getrlimit(2)). The soft limit is what
 * {@code open}/{@code accept} are held to; an unprivileged process may raise it up to the hard
 * limit, which only root (or systemd's {@code LimitNOFILE}) can raise.
 */
public final class NoFileLimit {
  private static final Logger log = LoggerFactory.getLogger(NoFileLimit.class);
  /** {@code RLIMIT_NOFILE} on Linux (asm-generic/resource.h), every architecture the JDK runs on. */
  private static final int RLIMIT_NOFILE = 7;
  /** {@code RLIM_INFINITY}: all bits set. */
  private static final long INFINITY = -1L;
  private static final boolean AVAILABLE = register();

  private NoFileLimit() {}

  private static boolean register() {
    try {
      Native.register(NoFileLimit.class, "c");
      return true;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return false;
    }
  }

  /** {@code limits} is {@code struct rlimit}: {@code rlim_cur}, {@code rlim_max}, 64 bits each. */
  private static native int getrlimit(int resource, long[] limits) throws LastErrorException;

  private static native int setrlimit(int resource, long[] limits) throws LastErrorException;

  /**
   * Raises the soft limit to the hard limit, where it is lower, and returns the soft limit in
   * force after; an unlimited or unreadable limit is reported as {@code fallback}.
   */
  public static long raiseToHard(long fallback) {
    if (!AVAILABLE) {
      return fallback;
    }
    long[] limits = new long[2];
    try {
      getrlimit(RLIMIT_NOFILE, limits);
      if (limits[0] != limits[1]) {
        long[] raised = {limits[1], limits[1]};
        setrlimit(RLIMIT_NOFILE, raised);
        getrlimit(RLIMIT_NOFILE, limits);
      }
    } catch (LastErrorException e) {
      log.warn("cannot raise the descriptor limit (soft {}, hard {}): errno {}", limits[0], limits[1], e.getErrorCode());
    }
    // The JDK caps what it can use at Integer.MAX_VALUE; the kernel at fs.nr_open.
    return limits[0] == INFINITY || limits[0] <= 0 ? fallback : Math.min(limits[0], Integer.MAX_VALUE);
  }

  /** Returns the soft limit now, or {@code -1} when it cannot be read. */
  public static long soft() {
    if (!AVAILABLE) {
      return -1;
    }
    long[] limits = new long[2];
    try {
      getrlimit(RLIMIT_NOFILE, limits);
      return limits[0];
    } catch (LastErrorException e) {
      return -1;
    }
  }
}
