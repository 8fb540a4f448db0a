package dev.allowdns.relay;

/**
 * A sandbox's bandwidth in one direction, as one connection pays into it: the connection's
 * permit ({@code ConnectionPermit.shape}), whose token bucket all the sandbox's connections share.
 * Thread-safe.
 */
@FunctionalInterface
interface ByteBudget {
  /**
   * Takes {@code bytes} already read (they are never refused, only paid for) and returns how many
   * nanoseconds from now reading should pause; {@code 0} to read on.
   */
  long charge(long bytes);
}
