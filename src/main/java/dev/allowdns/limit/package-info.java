/**
 * Per-sandbox budgets (DESIGN.md, "Limits"): DNS queries per second, the name budget, new and open
 * connections, and bandwidth, one state per sandbox whichever path it takes. The entry type is
 * {@link dev.allowdns.limit.SandboxBudgets}; {@link dev.allowdns.limit.RefusalSummaries} turns a
 * flood of refusals into one record per sandbox, limit and second. Both {@code dns} and {@code
 * relay} use it; it uses neither.
 */
package dev.allowdns.limit;
