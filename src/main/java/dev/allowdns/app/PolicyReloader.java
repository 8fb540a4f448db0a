package dev.allowdns.app;

import dev.allowdns.admin.ReloadReport;
import dev.allowdns.config.Config;
import dev.allowdns.config.ConfigException;
import dev.allowdns.fleet.Fleet;
import dev.allowdns.limit.SandboxBudgets;
import dev.allowdns.policy.PolicyChange;
import dev.allowdns.policy.PolicyException;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.policy.PolicySource;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.SandboxRegistry;
import dev.allowdns.sandbox.Sandboxes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reload, one at a time: re-reads the config file's {@code policies:} and {@code limits:}, loads
 * the next generation from the zones or a transferred zone, checks it whole against the sandboxes
 * registered, then swaps policies and limits in together; a failure keeps what is in force.
 */
final class PolicyReloader {
  private static final Logger log = LoggerFactory.getLogger(PolicyReloader.class);
  private final Fleet fleet;
  private final AtomicReference<PolicySet> policies;
  private final SandboxRegistry sandboxes;
  private final ConfigReader configReader;
  private final SandboxBudgets budgets;
  /** Tells the resolver and the ledger of the set just swapped in. */
  private final Consumer<PolicySet> swapped;
  private final Counter reloadsApplied;
  private final Counter reloadsFailed;
  private final Object reloading = new Object();

  PolicyReloader(
      Fleet fleet,
      AtomicReference<PolicySet> policies,
      SandboxRegistry sandboxes,
      ConfigReader configReader,
      SandboxBudgets budgets,
      MeterRegistry registry,
      Consumer<PolicySet> swapped) {
    this.fleet = fleet;
    this.policies = policies;
    this.sandboxes = sandboxes;
    this.configReader = configReader;
    this.budgets = budgets;
    this.swapped = swapped;
    this.reloadsApplied = reloads(registry, "applied");
    this.reloadsFailed = reloads(registry, "failed");
  }

  private static Counter reloads(MeterRegistry registry, String outcome) {
    return Counter.builder("allowdns_reloads")
        .description("Policy reloads by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  /**
   * Loads the next generation from {@code source} (the zones directory, or a transferred zone),
   * validates it whole and swaps it in; a failure keeps the policy in force and reports why.
   */
  ReloadReport reload(PolicySource source, boolean dryRun) {
    synchronized (reloading) {
      PolicySet before = policies.get();
      Config reread;
      try {
        reread = configReader.read();
      } catch (ConfigException e) {
        return failed(dryRun, before, e.errors());
      }
      PolicySet after;
      try {
        after = (source == fleet ? fleet.withPolicies(reread.policies()) : source).load(before.generation() + 1);
      } catch (PolicyException e) {
        return failed(dryRun, before, e.errors());
      }
      List<String> errors = missingPolicies(after, sandboxes.current());
      if (!errors.isEmpty()) {
        return failed(dryRun, before, errors);
      }
      Map<String, PolicyChange> changes = PolicyChange.between(before, after);
      if (dryRun) {
        return new ReloadReport(false, true, before.generation(), after.serial(), List.of(), changes);
      }
      fleet.usePolicies(reread.policies());
      budgets.apply(fleet.limits(reread.limits())); // a secondary's: its zone's, when it carries them
      policies.set(after);
      swapped.accept(after);
      reloadsApplied.increment();
      log.info(
          "reloaded policies: generation {}{}, {}; limits {}",
          after.generation(),
          after.serial() == null ? "" : " (policy serial " + after.serial() + ")",
          describe(changes),
          budgets.limits().global().describe());
      return new ReloadReport(true, false, after.generation(), after.serial(), List.of(), changes);
    }
  }

  private ReloadReport failed(boolean dryRun, PolicySet before, List<String> errors) {
    if (!dryRun) {
      reloadsFailed.increment();
      log.warn("reload failed, generation {} stays in force:\n  {}", before.generation(), String.join("\n  ", errors));
    }
    return new ReloadReport(false, dryRun, before.generation(), before.serial(), errors, Map.of());
  }

  static boolean allows(PolicySet policySet, Sandboxes directory, String sandboxId, String name) {
    String policyName =
        directory.entries().stream()
            .map(Sandboxes.Entry::sandbox)
            .filter(s -> s.id().equals(sandboxId))
            .map(Sandbox::policy)
            .findFirst()
            .orElse(PolicySet.DEFAULT_POLICY);
    return policySet.policy(policyName).map(p -> p.decide(name).allowed()).orElse(false);
  }

  private static List<String> missingPolicies(PolicySet policySet, Sandboxes directory) {
    List<String> errors = new ArrayList<>();
    for (Sandboxes.Entry entry : directory.entries()) {
      String policy = entry.sandbox().policy();
      if (policySet.policy(policy).isEmpty()) {
        errors.add("sandboxes: " + entry.sandbox().id() + " names policy '" + policy + "', which the zones no longer define");
      }
    }
    return errors;
  }

  private static String describe(Map<String, PolicyChange> changes) {
    if (changes.isEmpty()) {
      return "no rule changed";
    }
    return changes.entrySet().stream()
        .map(e -> e.getKey() + " +" + e.getValue().added().size() + " -" + e.getValue().removed().size())
        .collect(Collectors.joining(", "));
  }
}
