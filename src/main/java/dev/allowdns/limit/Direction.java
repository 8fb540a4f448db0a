package dev.allowdns.limit;

import java.util.Locale;

/** Which way bytes flow through the relay, for bandwidth shaping. */
public enum Direction {
  /** Sandbox → internet ({@code bandwidth_up}). */
  UP,
  /** Internet → sandbox ({@code bandwidth_down}). */
  DOWN;

  /** Returns the metric tag value: {@code up} or {@code down}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Returns the limit that shapes this direction. */
  public Limit limit() {
    return this == UP ? Limit.BANDWIDTH_UP : Limit.BANDWIDTH_DOWN;
  }
}
