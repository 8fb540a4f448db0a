package dev.allowdns.limit;

/**
 * What a sandbox uses of its budget now, for the admin API's {@code /sandboxes}.
 *
 * @param dnsQueriesLeft queries it may send at once before {@code dns_qps} refuses ({@code -1}: unlimited)
 * @param connectionsLeft new connections it may open at once ({@code -1}: unlimited)
 * @param openConnections connections open now
 * @param namesTracked names counted against the name budget this hour, every domain
 * @param busiestDomain the registrable domain with the most names this hour, or {@code null}
 * @param busiestDomainNames its names this hour
 */
public record SandboxUse(
    long dnsQueriesLeft,
    long connectionsLeft,
    int openConnections,
    int namesTracked,
    String busiestDomain,
    int busiestDomainNames) {
  static final SandboxUse NONE = new SandboxUse(-1, -1, 0, 0, null, 0);
}
