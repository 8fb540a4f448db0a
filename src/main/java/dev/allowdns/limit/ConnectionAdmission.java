package dev.allowdns.limit;

/**
 * The answer to a new connection: a permit to hold while it is open, or the refusal.
 *
 * @param permit non-{@code null} when admitted
 * @param refusal non-{@code null} when refused ({@code rate_limited} or {@code too_many_open})
 */
public record ConnectionAdmission(ConnectionPermit permit, Refusal refusal) {
  public boolean admitted() {
    return permit != null;
  }
}
