package dev.allowdns.relay;

/**
 * A sandbox's bandwidth in one direction, shared by all its connections: a token bucket that
 * may go into debt. Implementations are thread-safe (a sandbox's connections run on several
 * event loops).
 */
public interface ByteBudget {
  /** Never makes anyone wait. */
  ByteBudget UNLIMITED = bytes -> 0;

  /**
   * Takes {@code bytes} already read (they are never refused, only paid for later), and returns
   * how many nanoseconds reading should pause until the budget is out of debt; {@code 0} to read
   * on. {@code charge(0)} asks without taking.
   */
  long charge(long bytes);
}
