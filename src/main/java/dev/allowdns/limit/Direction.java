package dev.allowdns.limit;

/** Which way bytes flow through the relay, for bandwidth shaping. */
public enum Direction {
  /** Sandbox → internet ({@code bandwidth_up}). */
  UP("up", Limit.BANDWIDTH_UP),
  /** Internet → sandbox ({@code bandwidth_down}). */
  DOWN("down", Limit.BANDWIDTH_DOWN);

  private final String label;
  private final Limit limit;

  Direction(String label, Limit limit) {
    this.label = label;
    this.limit = limit;
  }

  /** Returns the metric tag value: {@code up} or {@code down}. */
  public String label() {
    return label;
  }

  public Limit limit() {
    return limit;
  }
}
