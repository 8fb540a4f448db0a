package dev.allowdns.dns;

import dev.allowdns.audit.LimitSummary;
import dev.allowdns.audit.QueryRecord;
import dev.allowdns.audit.RecordLog;
import dev.allowdns.limit.Limit;
import dev.allowdns.limit.Refusal;
import dev.allowdns.limit.RefusalSummaries;
import dev.allowdns.limit.SandboxBudgets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Rcode;

/**
 * The limit step of the pipeline (DESIGN.md, "Limits"): a sandbox over its {@code dns_qps} gets
 * {@code REFUSED} with EDE 18 naming the limit, recorded as one summary per second; a name over
 * its domain's budget is the caller's to answer ({@code NXDOMAIN}, an ordinary record).
 */
final class QueryLimits implements AutoCloseable {
  private final SandboxBudgets budgets;
  private final RefusalSummaries<QueryRecord> summaries;
  private final Clock clock;

  QueryLimits(SandboxBudgets budgets, RecordLog queryLog, Clock clock) {
    this.budgets = budgets;
    this.clock = clock;
    this.summaries =
        queryLog == null
            ? null
            : RefusalSummaries.start(
                "query", s -> queryLog.write(new LimitSummary(s.first(), s.count(), s.limit().key())));
  }

  /**
   * Takes one query of {@code q}'s sandbox from its {@code dns_qps}.
   *
   * @return {@code null} when admitted, else the {@code REFUSED} answer (already counted)
   */
  byte[] overQps(Query q, String policy, QueryRecord.Asker asker) {
    Optional<Refusal> refused = budgets.admitQuery(q.sandbox.id(), policy);
    if (refused.isEmpty()) {
      return null;
    }
    Refusal refusal = refused.get();
    String why = refusal.text();
    byte[] out = Responses.refused(q.wire, q.questionEnd, why, q.ednsPayload, q.maxSize);
    if (out == null) {
      out =
          Responses.error(
              q.message(), Rcode.REFUSED, q.ednsPayload,
              new ExtendedErrorCodeOption(ExtendedErrorCodeOption.PROHIBITED, why), q.maxSize);
    }
    if (summaries != null) {
      long elapsedUs = (System.nanoTime() - q.startNanos) / 1_000;
      summaries.refused(
          q.sandbox.id(),
          Limit.DNS_QPS,
          clock.millis(),
          second ->
              new QueryRecord(
                  second,
                  asker,
                  new QueryRecord.Outcome(q.name, q.type, "refused", Rcode.REFUSED, null, List.of(), null),
                  false,
                  elapsedUs,
                  refusal.reason(),
                  q.generation,
                  q.serial));
    }
    return out;
  }

  /** Counts {@code q}'s name against its sandbox's name budget; the refusal when it is used up. */
  Optional<Refusal> overNameBudget(Query q, String policy) {
    return budgets.admitName(q.sandbox.id(), policy, q.name);
  }

  @Override
  public void close() {
    if (summaries != null) {
      summaries.close();
    }
  }
}
