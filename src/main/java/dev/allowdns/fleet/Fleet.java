package dev.allowdns.fleet;

import dev.allowdns.config.Config;
import dev.allowdns.config.FeedSource;
import dev.allowdns.config.LimitsConfig;
import dev.allowdns.dns.NotifyHandler;
import dev.allowdns.policy.DenyList;
import dev.allowdns.policy.PolicyException;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.policy.PolicySource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;

/**
 * The zones this server transfers from primaries: its policy ({@code policy_source}) and the RPZ
 * feeds ({@code rpz}). It is the {@link PolicySource} every reload reads, so a transfer is applied
 * through the one reload path: validated whole, swapped atomically, a new generation. It refreshes
 * on NOTIFY and on the SOA's refresh and retry timers, on a thread of its own, and keeps each last
 * good copy in the state directory. Without feeds it reads the zones directory, as before.
 */
public final class Fleet implements PolicySource, NotifyHandler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Fleet.class);

  /** Applies a policy source through the server's reload path; returns its errors, empty when applied. */
  @FunctionalInterface
  public interface Applier {
    List<String> apply(PolicySource source);
  }

  private final Config config;
  private final Feed policy;
  private final List<Feed> feeds;
  private final Map<String, ScheduledFuture<?>> pending = new HashMap<>();
  /** Outcomes of the transfers before {@link #start}, counted once the meters exist. */
  private final List<String[]> earlyOutcomes = new ArrayList<>();
  private ScheduledExecutorService timer;
  private volatile Applier applier;
  private volatile FleetMetrics metrics;
  /** The config file's {@code policies:} in force; a reload that re-reads the file replaces them. */
  private volatile Map<String, List<String>> filePolicies;

  private Fleet(Config config, Feed policy, List<Feed> feeds) {
    this.config = config;
    this.policy = policy;
    this.feeds = feeds;
    this.filePolicies = config.policies();
  }

  /**
   * Opens the feeds {@code config} names with the last good copies of the state directory; no
   * network yet.
   *
   * @throws IOException naming a key file or saved copy that cannot be read
   */
  public static Fleet open(Config config) throws IOException {
    List<Feed> feeds = new ArrayList<>();
    Feed policy = null;
    if (config.policySource() != null) {
      policy = Feed.open(Feed.Kind.POLICY, config.policySource(), config.stateDir());
      feeds.add(policy);
    }
    for (FeedSource rpz : config.rpz()) {
      feeds.add(Feed.open(Feed.Kind.RPZ, rpz, config.stateDir()));
    }
    return new Fleet(config, policy, List.copyOf(feeds));
  }

  /**
   * Returns the limits in force: a secondary's come from its policy zone when the zone carries
   * them, otherwise (and for a zones directory) {@code fromConfig}, the config file's.
   */
  public LimitsConfig limits(LimitsConfig fromConfig) {
    ZoneCopy copy = policy == null ? null : policy.copy();
    if (copy == null) {
      return fromConfig;
    }
    try {
      LimitsConfig carried = PolicyZone.decode(copy.origin(), copy.records()).limits();
      return carried == null ? fromConfig : carried;
    } catch (IllegalArgumentException e) {
      return fromConfig; // a copy that does not decode is never in force: load() refused it
    }
  }

  /** Returns whether the policy comes from a primary rather than a zones directory. */
  public boolean secondary() {
    return policy != null;
  }

  /**
   * Checks that a secondary has a policy to enforce: the last good copy of its zone.
   *
   * @throws PolicyException saying that no transfer has succeeded yet
   */
  public void requireCopy() throws PolicyException {
    if (policy != null && policy.copy() == null) {
      throw new PolicyException(
          List.of(
              policy.stateFile
                  + ": no copy of policy zone "
                  + policy.source.zone()
                  + " yet (serve transfers it from "
                  + policy.source.primary()
                  + ")"));
    }
  }

  /**
   * Transfers every feed once, as {@code serve} does before answering; a feed that fails keeps its
   * last good copy, and a transfer whose policy does not validate is not taken.
   */
  public void transferAll() {
    for (Feed feed : feeds) {
      refresh(feed, false);
    }
  }

  @Override
  public PolicySet load(long generation) throws PolicyException {
    return load(generation, null, null);
  }

  /**
   * Returns the source of a reload that re-read the config file: a zones directory's policies
   * are {@code policies} (a secondary's come from its zone, whatever the file says). Applying
   * its set must be followed by {@link #usePolicies}.
   */
  public PolicySource withPolicies(Map<String, List<String>> policies) {
    return generation -> load(generation, null, null, policies);
  }

  /** Makes {@code policies} those of every later load (the reload that read them was applied). */
  public void usePolicies(Map<String, List<String>> policies) {
    this.filePolicies = Map.copyOf(policies);
  }

  /** Builds the policy set from the copies in force, with {@code candidate} in place of {@code feed}'s. */
  private PolicySet load(long generation, Feed feed, ZoneCopy candidate) throws PolicyException {
    return load(generation, feed, candidate, filePolicies);
  }

  private PolicySet load(long generation, Feed feed, ZoneCopy candidate, Map<String, List<String>> policies)
      throws PolicyException {
    List<DenyList> denyLists = new ArrayList<>();
    for (Feed rpz : feeds) {
      ZoneCopy copy = rpz == feed && candidate != null ? candidate : rpz.copy();
      if (rpz.kind == Feed.Kind.RPZ && copy != null) {
        RpzZone.Triggers triggers = RpzZone.read(rpz.source.zone(), copy);
        denyLists.add(triggers.list());
      }
    }
    if (policy == null) {
      return PolicySet.load(config.zones(), policies, generation, denyLists);
    }
    ZoneCopy copy = policy == feed && candidate != null ? candidate : policy.copy();
    requireCopyOf(copy);
    PolicyZone.Contents contents;
    try {
      contents = PolicyZone.decode(copy.origin(), copy.records());
    } catch (IllegalArgumentException e) {
      throw new PolicyException(List.of("policy zone " + policy.source.zone() + " serial " + copy.serial() + ": " + e.getMessage()));
    }
    return PolicySet.build(contents.sources(), contents.policies(), generation, contents.serial(), denyLists);
  }

  private void requireCopyOf(ZoneCopy copy) throws PolicyException {
    if (copy == null) {
      requireCopy();
    }
  }

  /**
   * Starts refreshing on the SOA timers and on NOTIFY, applying every new copy with {@code applier}.
   */
  public synchronized void start(Applier applier, MeterRegistry registry) {
    this.applier = applier;
    FleetMetrics meters = new FleetMetrics(registry);
    earlyOutcomes.forEach(outcome -> meters.transfer(outcome[0], outcome[1]));
    earlyOutcomes.clear();
    this.metrics = meters;
    for (Feed feed : feeds) {
      if (feed.kind == Feed.Kind.RPZ) {
        Gauge.builder("allowdns_rpz_serial", feed, f -> f.copy() == null ? Double.NaN : f.copy().serial())
            .description("SOA serial of the RPZ feed's copy in force")
            .tag("zone", feed.source.zone())
            .register(registry);
      }
    }
    if (feeds.isEmpty()) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "allowdns-fleet");
              thread.setDaemon(true);
              return thread;
            });
    for (Feed feed : feeds) {
      schedule(feed, feed.next(feed.copy() != null));
    }
  }

  private synchronized void schedule(Feed feed, Duration delay) {
    if (timer == null) {
      return;
    }
    ScheduledFuture<?> before = pending.get(feed.source.zone());
    if (before != null && !before.isDone()) {
      if (before.getDelay(TimeUnit.MILLISECONDS) <= delay.toMillis()) {
        return; // one check already comes sooner
      }
      before.cancel(false);
    }
    pending.put(
        feed.source.zone(),
        timer.schedule(
            () -> {
              unschedule(feed); // running now: the next check is scheduled afresh below
              boolean ok = refresh(feed, true);
              schedule(feed, feed.next(ok));
            },
            delay.toMillis(),
            TimeUnit.MILLISECONDS));
  }

  private synchronized void unschedule(Feed feed) {
    pending.remove(feed.source.zone());
  }

  /**
   * Transfers {@code feed} and takes a new copy when it validates: while {@code running}, through
   * the server's reload path; before start, by building it.
   *
   * @return whether the primary answered (the next check then waits the SOA's refresh)
   */
  private boolean refresh(Feed feed, boolean running) {
    Feed.Transfer transfer;
    try {
      transfer = feed.fetch();
    } catch (IOException | RuntimeException e) {
      log.warn("transfer of {} failed, serial {} stays in force: {}", feed, serialText(feed.copy()), e.getMessage());
      count("failed", feed);
      return false;
    }
    FleetMetrics meters = metrics;
    if (meters != null) {
      meters.transferType(transfer.type());
    }
    ZoneCopy before = feed.copy();
    if (transfer.copy() == before) {
      count("current", feed);
      return true;
    }
    ZoneCopy candidate = transfer.copy();
    List<String> errors;
    if (running) {
      feed.replace(candidate); // the reload reads it; put back below when it is not taken
      errors = applier.apply(this);
    } else {
      errors = validate(feed, candidate);
    }
    if (!errors.isEmpty()) {
      if (running && feed.copy() == candidate) {
        feed.replace(before);
      }
      log.warn(
          "{} serial {} ({}) rejected, serial {} stays in force:\n  {}",
          feed, candidate.serial(), transfer.type(), serialText(before), String.join("\n  ", errors));
      count("rejected", feed);
      return true; // the primary answered: wait a full refresh before asking again
    }
    feed.replace(candidate);
    try {
      candidate.save(feed.stateFile);
    } catch (IOException e) {
      log.warn("cannot keep the copy of {} in {}: {}", feed, feed.stateFile, e.toString());
    }
    log.info("{}: serial {} in force ({}, was {})", feed, candidate.serial(), transfer.type(), serialText(before));
    count("applied", feed);
    return true;
  }

  private List<String> validate(Feed feed, ZoneCopy candidate) {
    try {
      load(1, feed, candidate);
      return List.of();
    } catch (PolicyException e) {
      return e.errors();
    }
  }

  private void count(String outcome, Feed feed) {
    FleetMetrics meters = metrics;
    if (meters != null) {
      meters.transfer(outcome, feed.kind.label());
    } else {
      earlyOutcomes.add(new String[] {outcome, feed.kind.label()}); // transferAll, before start
    }
  }

  private static String serialText(ZoneCopy copy) {
    return copy == null ? "(none)" : Long.toString(copy.serial());
  }

  @Override
  public byte[] handle(Message notify, byte[] wire, InetAddress sender) {
    NotifyResponder.Verdict verdict = NotifyResponder.check(feeds, notify, wire, sender);
    if (verdict.feed() == null) {
      FleetMetrics meters = metrics;
      if (meters != null) {
        meters.notifyIgnored(verdict.reason());
      }
      log.debug("NOTIFY from {} ignored: {}", sender.getHostAddress(), verdict.reason());
      return null;
    }
    log.info("NOTIFY for {} from {}: checking the primary now", verdict.feed().source.zone(), sender.getHostAddress());
    schedule(verdict.feed(), Duration.ZERO);
    return NotifyResponder.acknowledge(notify, verdict.feed());
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  /** Meters of the fleet: every name and tag here. */
  private static final class FleetMetrics {
    private final MeterRegistry registry;

    FleetMetrics(MeterRegistry registry) {
      this.registry = registry;
    }

    void transfer(String outcome, String feed) {
      Counter.builder("allowdns_policy_transfers")
          .description("Zone transfers by outcome: applied, current, rejected (invalid policy), failed")
          .tag("outcome", outcome)
          .tag("feed", feed)
          .register(registry)
          .increment();
    }

    void transferType(String type) {
      Counter.builder("allowdns_zone_transfers")
          .description("Transfers by how the primary answered: ixfr, axfr, current")
          .tag("type", type)
          .register(registry)
          .increment();
    }

    void notifyIgnored(String reason) {
      Counter.builder("allowdns_notify_ignored")
          .description("NOTIFY messages ignored: from a stranger, bad TSIG, unknown zone")
          .tag("reason", reason)
          .register(registry)
          .increment();
    }
  }
}
