package dev.allowdns.limit;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One admitted connection of a sandbox: it holds one of the sandbox's {@code open_connections}
 * until {@link #close()} (call it when the connection closes, whichever side closed it), and
 * shapes the connection's bytes against the sandbox's bandwidth. Thread-safe.
 */
public final class ConnectionPermit implements AutoCloseable {
  /** A permit that limits nothing (loopback, or limits off): shaping never delays. */
  public static final ConnectionPermit UNLIMITED = new ConnectionPermit(null, null, null, null);

  private final SandboxBudgets budgets;
  private final SandboxState state;
  private final String sandbox;
  private final String policy;
  private final AtomicBoolean open = new AtomicBoolean(true);

  ConnectionPermit(SandboxBudgets budgets, SandboxState state, String sandbox, String policy) {
    this.budgets = budgets;
    this.state = state;
    this.sandbox = sandbox;
    this.policy = policy;
  }

  /**
   * Counts {@code bytes} just read in {@code direction} and returns how long to pause reading
   * before the next read, in nanoseconds (0: read on). The pause is counted as shaped time in
   * {@code allowdns_limit_shaped_seconds_total}.
   */
  public long shape(Direction direction, long bytes) {
    return state == null ? 0 : budgets.shape(state, sandbox, policy, direction, bytes);
  }

  /** Gives the open connection back; once only, later calls do nothing. */
  @Override
  public void close() {
    if (state != null && open.compareAndSet(true, false)) {
      state.open.decrementAndGet();
    }
  }
}
