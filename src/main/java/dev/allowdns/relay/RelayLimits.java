package dev.allowdns.relay;

import dev.allowdns.sandbox.Sandbox;

/**
 * What the relay asks of the per-sandbox limits ({@code limits:} in the config): whether a new
 * connection may open, and each direction's bandwidth. The assembly implements it over {@code
 * dev.allowdns.limit}; {@link #NONE} limits nothing. Thread-safe.
 */
public interface RelayLimits {
  /** Admits every connection and shapes nothing. */
  RelayLimits NONE =
      new RelayLimits() {
        @Override
        public Admission admit(Sandbox sandbox) {
          return Admission.ADMITTED;
        }

        @Override
        public ByteBudget bandwidth(Sandbox sandbox, Direction direction) {
          return ByteBudget.UNLIMITED;
        }

        @Override
        public void shaped(Sandbox sandbox, Direction direction, long nanos) {}
      };

  /** Which way bytes flow, named as the config's keys name them. */
  enum Direction {
    /** Sandbox to internet: {@code bandwidth_up}. */
    UP,
    /** Internet to sandbox: {@code bandwidth_down}. */
    DOWN;

    /** Returns the metric's tag value: {@code up} or {@code down}. */
    public String tag() {
      return this == UP ? "up" : "down";
    }
  }

  /**
   * Takes a permit for a new connection of {@code sandbox} (both {@code connections_per_second}
   * and {@code open_connections}), or refuses it. A refusal has been counted and summarised by
   * the time this returns; the relay only has to turn the connection away.
   */
  Admission admit(Sandbox sandbox);

  /** Returns the budget all of {@code sandbox}'s connections share in {@code direction}. */
  ByteBudget bandwidth(Sandbox sandbox, Direction direction);

  /** Counts {@code nanos} for which one of {@code sandbox}'s connections did not read. */
  void shaped(Sandbox sandbox, Direction direction, long nanos);

  /**
   * A new connection's permit, or its refusal.
   *
   * @param refusal {@code rate_limited} or {@code too_many_open}, or {@code null} when admitted
   * @param explanation for the client, naming the sandbox, the limit and its value; or {@code null}
   * @param release gives the permit back; call it exactly once, when the connection has closed
   */
  record Admission(String refusal, String explanation, Runnable release) {
    /** A permit that holds nothing. */
    public static final Admission ADMITTED = new Admission(null, null, () -> {});

    public boolean admitted() {
      return refusal == null;
    }
  }
}
