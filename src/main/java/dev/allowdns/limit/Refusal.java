package dev.allowdns.limit;

/**
 * Why a query or connection was refused by a limit: a value with its reason, so answers, records
 * and metrics all see which limit fired.
 *
 * @param limit the limit that fired
 * @param value its value in force (queries or connections per second, names, connections)
 * @param sandbox the sandbox id
 * @param domain the registrable domain of a name-budget refusal, {@code null} otherwise
 */
public record Refusal(Limit limit, long value, String sandbox, String domain) {
  /** Returns the record's {@code reason}: {@code rate_limited}, {@code too_many_open}, {@code name_budget}. */
  public String reason() {
    return limit.reason();
  }

  /**
   * Returns the text of the answer's EDE (DNS) or of the {@code 429} body: {@code allowdns: sandbox
   * vm-7 is over dns_qps 200/s}, {@code allowdns: sandbox vm-7 is over names_per_domain_per_hour
   * 500 for example.com}.
   */
  public String text() {
    return "allowdns: sandbox " + sandbox + " is over " + limit.key() + " " + value + limit.unit()
        + (domain == null ? "" : " for " + domain);
  }
}
