package dev.allowdns.dns;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.allowdns.audit.QueryRecord;
import dev.allowdns.audit.RecordLog;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.limit.Refusal;
import dev.allowdns.policy.Decision;
import dev.allowdns.policy.Policy;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one query, in order: parse → identify the sandbox → limit → decide (→ name budget) → cache → forward → guard →
 * check the CNAME chain → record. Policy outcomes and failures become rcodes, never exceptions.
 * Thread-safe; the answer of a cache hit is computed on the calling thread.
 */
final class QueryPipeline {
  private static final Logger log = LoggerFactory.getLogger(QueryPipeline.class);
  static final int MAX_UDP_PAYLOAD = UpstreamGroup.EDNS_PAYLOAD;
  static final int MIN_UDP_PAYLOAD = 512; // RFC 1035 §2.3.4; RFC 6891 §6.2.5
  static final int MAX_TCP_MESSAGE = 65_535;
  static final int HEADER_LENGTH = 12;
  /** TTL of a synthesized answer; the ledger keeps the address at least the minimum TTL anyway. */
  private static final long SYNTHETIC_TTL = 300;
  /** The reason of a query refused because the query log cannot keep its record. */
  static final String LOG_UNAVAILABLE = "log_unavailable";

  private final Ledger ledger;
  private final boolean audit;
  private final Supplier<Routing> routing;
  private final Supplier<Sandboxes> sandboxes;
  private final AnswerCache cache;
  private final RecordLog queryLog;
  private final DnsMetrics metrics;
  private final Ticker ticker;
  private final Clock clock;
  private final Askers askers = new Askers();
  private final SyntheticAddresses synthetic;
  private final NotifyHandler notify;
  private final QueryLimits limits;

  QueryPipeline(
      Supplier<Routing> routing,
      Supplier<Sandboxes> sandboxes,
      AnswerCache cache,
      RecordLog queryLog,
      DnsMetrics metrics,
      Ticker ticker,
      Clock clock,
      Ledger ledger,
      boolean audit,
      SyntheticAddresses synthetic,
      NotifyHandler notify,
      QueryLimits limits) {
    this.synthetic = synthetic;
    this.limits = limits;
    this.ledger = ledger;
    this.notify = notify;
    this.audit = audit;
    this.routing = routing;
    this.sandboxes = sandboxes;
    this.cache = cache;
    this.queryLog = queryLog;
    this.metrics = metrics;
    this.ticker = ticker;
    this.clock = clock;
  }

  /**
   * Returns the response to {@code wire} from {@code client}, or {@code null} when nothing should
   * be sent (a datagram too broken to answer; over TCP: close the connection). The future never
   * fails.
   */
  CompletableFuture<byte[]> handle(byte[] wire, InetAddress client, boolean tcp) {
    long start = System.nanoTime();
    WireQuestion plain = WireQuestion.parse(wire);
    Query query;
    if (plain != null) {
      query = new Query(plain, wire, client, tcp, start);
    } else {
      Message message;
      try {
        message = new Message(wire);
      } catch (IOException | RuntimeException e) {
        metrics.malformed(tcp ? "tcp" : "udp");
        // RFC 1035 §4.1.1: FORMERR when the header is there to answer; otherwise say nothing. Over
        // TCP the stream may be out of step, so the connection is closed instead (null).
        boolean headerParses = !tcp && wire.length >= HEADER_LENGTH && (wire[2] & 0x80) == 0;
        return CompletableFuture.completedFuture(headerParses ? Responses.formerrHeaderOnly(wire) : null);
      }
      if (message.getHeader().getFlag(Flags.QR)) {
        metrics.malformed(tcp ? "tcp" : "udp"); // a response sent to us: answering could loop
        return CompletableFuture.completedFuture(null);
      }
      query = new Query(message, wire, client, tcp, start);
    }
    try {
      CompletableFuture<byte[]> answer = answer(query);
      return answer.isDone() && !answer.isCompletedExceptionally()
          ? answer
          : answer.exceptionally(error -> fail(query, error));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(fail(query, e));
    }
  }

  private CompletableFuture<byte[]> answer(Query q) {
    if (q.opcode == Opcode.NOTIFY && notify != null) {
      // Not a sandbox's query: answered (or ignored) by the handler, and recorded nowhere.
      return CompletableFuture.completedFuture(notify.handle(q.message(), q.wire, q.client));
    }
    String logRefusal = queryLog == null ? null : queryLog.refusalCause();
    if (logRefusal != null) {
      return CompletableFuture.completedFuture(logUnavailable(q, logRefusal));
    }
    if (q.opcode != Opcode.QUERY) {
      return done(q, Responses.error(q.message(), Rcode.NOTIMP, q.ednsPayload, null, q.maxSize), "error", "not_a_query");
    }
    if (q.questions != 1) {
      return done(q, Responses.error(q.message(), Rcode.FORMERR, q.ednsPayload, null, q.maxSize), "error", "question_count");
    }
    if (q.ednsVersion > 0) {
      // RFC 6891 §6.1.3: BADVERS is extended rcode 16, carried as 1 in the OPT's upper bits.
      Message m = q.message();
      Message reply = new Message(m.getHeader().getID());
      reply.getHeader().setFlag(Flags.QR);
      reply.addRecord(m.getQuestion(), Section.QUESTION);
      reply.addRecord(new OPTRecord(MAX_UDP_PAYLOAD, 1, 0), Section.ADDITIONAL);
      return done(q, reply.toWire(q.maxSize), "error", "bad_edns_version");
    }
    Sandbox sandbox = sandboxes.get().identify(q.client).orElse(null);
    Routing now = routing.get();
    Policy policy = sandbox == null ? null : now.policy(sandbox.policy());
    if (policy == null) {
      q.sandbox = sandbox;
      String why =
          sandbox == null
              ? "allowdns: " + q.client.getHostAddress() + " is not a registered sandbox"
              : "allowdns: policy '" + sandbox.policy() + "' is not loaded";
      ExtendedErrorCodeOption ede = new ExtendedErrorCodeOption(ExtendedErrorCodeOption.PROHIBITED, why);
      return done(
          q,
          Responses.error(q.message(), Rcode.REFUSED, q.ednsPayload, ede, q.maxSize),
          "refused",
          sandbox == null ? "unknown_sandbox" : "unknown_policy");
    }
    q.sandbox = sandbox;
    q.generation = now.policies().generation();
    q.serial = now.policies().serial();
    byte[] overQps = limits.overQps(q, policy.name(), askers.of(sandbox, q.client));
    if (overQps != null) {
      metrics.query("refused", q.type, null, System.nanoTime() - q.startNanos);
      return CompletableFuture.completedFuture(overQps); // recorded in the second's summary
    }
    Decision decision = policy.decide(q.name);
    q.rule = decision.ruleLabel();
    if (decision.allowed()) {
      Refusal overBudget = limits.overNameBudget(q, policy.name()).orElse(null);
      if (overBudget != null && !audit) {
        return CompletableFuture.completedFuture(overNameBudget(q, overBudget));
      }
      q.wouldBlock = overBudget == null ? null : overBudget.reason();
    } else {
      if (!audit) {
        return CompletableFuture.completedFuture(blocked(q, policy, q.name, decision));
      }
      q.wouldBlock = decision.reason(); // audit mode: answer, and record what enforcing would do
    }
    if (q.dclass != DClass.IN) {
      return done(q, Responses.error(q.message(), Rcode.REFUSED, q.ednsPayload, null, q.maxSize), "refused", "class");
    }
    if (q.type == Type.ANY) {
      return done(q, Responses.minimalAny(q.message(), q.ednsPayload, q.maxSize), "allowed", null);
    }
    Route route = decision.allowed() ? now.routeFor(decision) : now.defaultRoute();
    if (route.synthesize()) {
      return CompletableFuture.completedFuture(synthesize(q));
    }
    AnswerCache.Key key = new AnswerCache.Key(q.name, q.type, q.dclass, route);
    CompletableFuture<AnswerCache.Lookup> lookup = cache.get(key, k -> fetch(q.question(), route));
    if (lookup.isDone() && !lookup.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(respond(q, policy, lookup.join())); // a hit: no chain
    }
    return lookup.thenApply(found -> respond(q, policy, found));
  }

  private CompletableFuture<CachedAnswer> fetch(Record question, Route route) {
    return route
        .upstreams()
        .forward(question)
        .thenApply(
            reply -> {
              Message answer = reply.message();
              if (!route.allowPrivate()) {
                int removed = RebindingGuard.strip(answer);
                if (removed > 0) {
                  metrics.rebindingRemoved(removed);
                }
              }
              return CachedAnswer.of(question, answer, reply.server(), ticker.read());
            });
  }

  private byte[] respond(Query q, Policy policy, AnswerCache.Lookup lookup) {
    CachedAnswer answer = lookup.answer();
    // The chain is trusted, but a deny rule applies to every name in it (DESIGN.md).
    for (String name : answer.chainNames()) {
      Decision decision = policy.decide(name);
      if (decision.denied()) {
        q.rule = decision.ruleLabel();
        if (audit) {
          q.wouldBlock = decision.reason();
          break;
        }
        q.answers = answer.answerText();
        q.upstream = answer.upstream();
        q.cached = lookup.cached();
        return blocked(q, policy, name, decision);
      }
    }
    long now = ticker.read();
    if (ledger != null) {
      // Before the answer leaves: the sandbox must never connect before the relay knows the name.
      long ttl = lookup.stale() ? CachedAnswer.STALE_TTL : answer.remainingSeconds(now);
      String rule = q.wouldBlock == null ? q.rule : null; // null: given, but not allowed (audit)
      for (InetAddress address : answer.addresses()) {
        ledger.remember(q.sandbox.id(), address, q.name, answer.chainNames(), rule, q.generation, ttl);
      }
    }
    byte[] out = answer.render(q.wire, q.questionEnd, q.ednsPayload, now, lookup.stale());
    if (out.length > q.maxSize) {
      out = Responses.truncate(out, q.maxSize);
    }
    q.answers = answer.answerText();
    q.upstream = answer.upstream();
    q.cached = lookup.cached();
    if (!answer.givenAgainTo(q.sandbox)) {
      metrics.resolved(policy.name(), q.sandbox.id(), q.name);
    }
    if (q.wouldBlock != null) {
      finish(q, "would_block", answer.rcode(), q.wouldBlock);
    } else {
      finish(q, "allowed", answer.rcode(), lookup.stale() ? "stale" : null);
    }
    return out;
  }

  /**
   * Answers a name of a {@code @proxy … synthesize} zone from the reserved ranges, without asking
   * any upstream: only the parent proxy can resolve it, and the relay reaches it through the
   * parent by name. The ledger learns the address first, as for every answer.
   */
  private byte[] synthesize(Query q) {
    InetAddress address =
        q.type == Type.A ? synthetic.v4(q.name) : q.type == Type.AAAA ? synthetic.v6(q.name) : null;
    Record record = null;
    if (address != null) {
      if (ledger != null) {
        ledger.remember(q.sandbox.id(), address, q.name, List.of(q.name), q.rule, q.generation, SYNTHETIC_TTL);
      }
      try {
        record =
            q.type == Type.A
                ? new ARecord(q.message().getQuestion().getName(), DClass.IN, SYNTHETIC_TTL, address)
                : new AAAARecord(q.message().getQuestion().getName(), DClass.IN, SYNTHETIC_TTL, address);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("a synthetic address of the wrong family", e);
      }
      q.answers = List.of(Type.string(q.type) + " " + address.getHostAddress());
    }
    q.upstream = "synthesized";
    byte[] out = Responses.synthesized(q.message(), record, q.ednsPayload, q.maxSize);
    finish(q, "allowed", Rcode.NOERROR, null);
    return out;
  }

  private byte[] blocked(Query q, Policy policy, String name, Decision decision) {
    String why =
        switch (decision.reason()) {
          case Decision.DENIED ->
              name + " is denied by " + decision.ruleLabel() + " (" + decision.rule().text() + ")";
          case Decision.RPZ -> name + " is listed by RPZ zone " + decision.rule().zone();
          default -> name + " is not on the allowlist";
        };
    return nxdomain(q, "allowdns policy '" + policy.name() + "': " + why, decision.reason());
  }

  /** NXDOMAIN with EDE 15 naming the budget: the names seen before keep resolving. */
  private byte[] overNameBudget(Query q, Refusal refusal) {
    return nxdomain(q, refusal.text(), refusal.reason());
  }

  /** The blocked answer (NXDOMAIN, SOA, EDE 15 saying {@code why}), recorded with {@code reason}. */
  private byte[] nxdomain(Query q, String why, String reason) {
    byte[] out = Responses.blocked(q.wire, q.questionEnd, why, q.generation, q.ednsPayload, q.maxSize);
    if (out == null) {
      out = Responses.blockedThroughDnsjava(q.message(), why, q.generation, q.ednsPayload, q.maxSize);
    }
    finish(q, "blocked", Rcode.NXDOMAIN, reason);
    return out;
  }

  private byte[] fail(Query q, Throwable error) {
    log.debug("answering SERVFAIL to {} for {}", q.client, q.name, error);
    ExtendedErrorCodeOption ede =
        new ExtendedErrorCodeOption(
            ExtendedErrorCodeOption.NO_REACHABLE_AUTHORITY, "allowdns: no upstream answered");
    Message m = q.messageOrNull();
    // A query whose OPT options only dnsjava rejects: FORMERR, the header alone.
    byte[] out =
        m == null
            ? Responses.formerrHeaderOnly(q.wire)
            : Responses.error(m, Rcode.SERVFAIL, q.ednsPayload, ede, q.maxSize);
    finish(q, "error", Rcode.SERVFAIL, "upstream_failed");
    return out;
  }

  /**
   * Fails closed while the query log cannot keep records: no answer goes out unrecorded. EDE 0
   * (Other, RFC 8914 §4.1): no code names a local failure to record.
   */
  private byte[] logUnavailable(Query q, String cause) {
    ExtendedErrorCodeOption ede =
        new ExtendedErrorCodeOption(ExtendedErrorCodeOption.OTHER, "allowdns: " + cause + "; answering again once it can");
    Message m = q.messageOrNull();
    byte[] out =
        m == null
            ? Responses.formerrHeaderOnly(q.wire)
            : Responses.error(m, Rcode.SERVFAIL, q.ednsPayload, ede, q.maxSize);
    finish(q, "error", Rcode.SERVFAIL, LOG_UNAVAILABLE);
    return out;
  }

  private CompletableFuture<byte[]> done(Query q, byte[] response, String result, String reason) {
    finish(q, result, rcodeOf(response), reason);
    return CompletableFuture.completedFuture(response);
  }

  private void finish(Query q, String result, int rcode, String reason) {
    long elapsed = System.nanoTime() - q.startNanos;
    metrics.query(result, q.type, q.rule, elapsed);
    if (queryLog == null) {
      return;
    }
    QueryRecord record =
        new QueryRecord(
            clock.millis(),
            askers.of(q.sandbox, q.client),
            new QueryRecord.Outcome(q.name, q.type, result, rcode, q.rule, q.answers, q.upstream),
            q.cached,
            elapsed / 1_000,
            reason,
            q.generation,
            q.serial);
    if (LOG_UNAVAILABLE.equals(reason)) {
      queryLog.writeUnlessUnavailable(record); // a client that retries must not grow the hold
    } else {
      queryLog.write(record);
    }
  }

  private static int rcodeOf(byte[] response) {
    return response[3] & 0x0f;
  }

  /** Returns a query name as rules match it: lower case, no trailing dot. */
  static String normalize(Name name) {
    String text = WireQuestion.ruleName(name.toWireCanonical(), 0);
    // Rare bytes need dnsjava's escaping (\DDD); rules never match them anyway.
    return text != null ? text : name.toString(true).toLowerCase(Locale.ROOT);
  }
}
