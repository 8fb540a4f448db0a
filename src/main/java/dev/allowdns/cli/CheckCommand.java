package dev.allowdns.cli;

import com.google.common.net.InetAddresses;
import dev.allowdns.parent.ParentRoutes;
import dev.allowdns.policy.Decision;
import dev.allowdns.policy.DomainName;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code allowdns check NAME}: explains the verdict on a name and the rule that decided it. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Explain whether NAME resolves: the verdict, POLICY:ZONE and the deciding rule's file:line.",
      "Exit 0 when allowed, 1 when blocked, 2 on bad input."
    })
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ConfigOptions configOptions;

  @Parameters(paramLabel = "NAME", description = "The domain name to check.")
  String name;

  @Option(
      names = "--sandbox",
      paramLabel = "IP",
      description = "Check with the policy of the sandbox at this address (default: policy default).")
  String sandboxIp;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description = "The destination port the route is shown for (no_proxy may name ports; default: 443).")
  int port = 443;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String normalized;
    try {
      normalized = DomainName.normalize(name);
    } catch (IllegalArgumentException e) {
      err.println("check: " + e.getMessage());
      return ExitCodes.INPUT_ERROR;
    }
    Optional<ConfigOptions.Loaded> config = configOptions.loadOrReport(err);
    if (config.isEmpty()) {
      return ExitCodes.INPUT_ERROR;
    }
    ConfigOptions.Loaded loaded = config.get();
    String policyName = PolicySet.DEFAULT_POLICY;
    String who = "";
    if (sandboxIp != null) {
      if (!InetAddresses.isInetAddress(sandboxIp)) {
        err.println("check: --sandbox expects an IP address, got '" + sandboxIp + "'");
        return ExitCodes.INPUT_ERROR;
      }
      InetAddress address = InetAddresses.forString(sandboxIp);
      Optional<Sandbox> sandbox =
          Sandboxes.of(loaded.config().sandboxes(), PolicySet.DEFAULT_POLICY).identify(address);
      if (sandbox.isEmpty()) {
        out.println(normalized + ": refused: " + sandboxIp + " is not a registered sandbox");
        return ExitCodes.NEGATIVE;
      }
      policyName = sandbox.get().policy();
      who = " for sandbox " + sandbox.get().id();
    }
    Optional<Policy> policy = loaded.policies().policy(policyName);
    if (policy.isEmpty()) {
      err.println("check: policy '" + policyName + "' is not defined");
      return ExitCodes.INPUT_ERROR;
    }
    Decision decision = policy.get().decide(normalized);
    out.println(explain(normalized, decision) + who);
    if (decision.allowed()) {
      ParentRoutes routes = ParentRoutes.withoutCredentials(loaded.config().proxying());
      out.println("  route: " + routes.describe(policy.get(), decision.ruleLabel(), normalized, port));
    }
    // The budget the sandbox (or policy) gets; the current use is the admin API's (GET /sandboxes).
    out.println("  limits: " + loaded.fleet().limits(loaded.config().limits()).forPolicy(policyName).describe());
    return decision.allowed() ? ExitCodes.OK : ExitCodes.NEGATIVE;
  }

  /** Returns e.g. {@code a.test: allowed by default:npm (zones/npm.zone:3: *.test)}. */
  static String explain(String name, Decision decision) {
    String verdict = decision.allowed() ? "allowed" : "blocked";
    if (decision.rule() == null) {
      return name + ": " + verdict + " by policy " + decision.policy() + " (no rule allows it)";
    }
    return name
        + ": "
        + verdict
        + " by "
        + decision.ruleLabel()
        + " ("
        + decision.rule().origin()
        + ": "
        + decision.rule().text()
        + ")";
  }
}
