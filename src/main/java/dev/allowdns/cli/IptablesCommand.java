package dev.allowdns.cli;

import dev.allowdns.iptables.IpFamily;
import dev.allowdns.iptables.Iptables;
import dev.allowdns.iptables.IptablesException;
import dev.allowdns.iptables.RestoreScript;
import dev.allowdns.iptables.RuleSettings;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code allowdns iptables print|apply|remove}: the host firewall that sandboxes sit behind. */
@Command(
    name = "iptables",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Firewall rules for sandbox interfaces (IPv4 and IPv6 alike): DNS to any address goes to"
          + " the resolver, all other TCP to the relay, other UDP to the UDP sink when one is"
          + " given, and nothing else reaches the host or is routed.",
      "Exit 0 on success, 2 on bad input or when iptables fails."
    },
    subcommands = {
      IptablesCommand.Print.class,
      IptablesCommand.Apply.class,
      IptablesCommand.Remove.class
    })
final class IptablesCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: print, apply or remove");
  }

  /** The ports of the rules; {@code remove} accepts them too, and ignores them. */
  static class PortOptions {
    @Option(
        names = "--dns-port",
        paramLabel = "N",
        defaultValue = "1053",
        description = "The port the resolver listens on (default: ${DEFAULT-VALUE}).")
    int dnsPort;

    @Option(
        names = "--relay-port",
        paramLabel = "N",
        defaultValue = "15001",
        description = "The port the relay listens on (default: ${DEFAULT-VALUE}).")
    int relayPort;

    @Option(
        names = "--udp-sink-port",
        paramLabel = "N",
        defaultValue = "0",
        description =
            "The port of serve's --udp-sink-listen: UDP other than DNS goes there by TPROXY"
                + " (with a policy route), to be recorded and dropped (default: off, rejected).")
    int udpSinkPort;

    @Option(
        names = "--proxy-port",
        paramLabel = "N",
        defaultValue = "0",
        description = "Open this TCP port of the host to sandboxes: the explicit proxy (default: off).")
    int proxyPort;
  }

  /** The options that {@code print} and {@code apply} share. */
  static final class RuleOptions extends PortOptions {
    @Option(
        names = "--sandbox-interface",
        paramLabel = "IF",
        required = true,
        description =
            "An interface sandbox traffic comes in on; repeatable. A final '+' matches every"
                + " interface whose name starts with the rest (tap+).")
    List<String> sandboxInterfaces;

    RuleSettings settings() {
      return new RuleSettings(sandboxInterfaces, dnsPort, relayPort, udpSinkPort, proxyPort);
    }
  }

  /** {@code apply}'s options, so the same command line removes; what is installed decides. */
  static final class RemoveOptions extends PortOptions {
    @Option(
        names = "--sandbox-interface",
        paramLabel = "IF",
        description = "Accepted as apply takes it, and ignored: remove takes whatever is installed.")
    List<String> sandboxInterfaces;
  }

  @Command(
      name = "print",
      mixinStandardHelpOptions = true,
      versionProvider = VersionProvider.class,
      description =
          "Print the iptables-restore script, then the ip6tables-restore script, each headed by"
              + " a comment naming its program; load each with that program and --noflush.")
  static final class Print implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin RuleOptions options;

    @Override
    public Integer call() {
      RuleSettings settings;
      try {
        settings = options.settings();
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("iptables print: " + e.getMessage());
        return ExitCodes.INPUT_ERROR;
      }
      PrintWriter out = spec.commandLine().getOut();
      out.print(RestoreScript.install(settings, IpFamily.IPV4));
      out.print(RestoreScript.install(settings, IpFamily.IPV6));
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "apply",
      mixinStandardHelpOptions = true,
      versionProvider = VersionProvider.class,
      description =
          "Load the rules for IPv4 and IPv6 (needs root). Idempotent: an earlier allowdns"
              + " ruleset is replaced, other rules are left alone.")
  static final class Apply implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin RuleOptions options;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      RuleSettings settings;
      try {
        settings = options.settings();
      } catch (IllegalArgumentException e) {
        err.println("iptables apply: " + e.getMessage());
        return ExitCodes.INPUT_ERROR;
      }
      try {
        new Iptables().apply(settings);
      } catch (IptablesException e) {
        err.println("iptables apply: " + e.getMessage());
        return ExitCodes.INPUT_ERROR;
      }
      spec.commandLine()
          .getOut()
          .println(
              "applied for "
                  + String.join(", ", settings.sandboxInterfaces())
                  + " (IPv4 and IPv6): DNS to port "
                  + settings.dnsPort()
                  + ", other TCP to port "
                  + settings.relayPort()
                  + (settings.udpSink() ? ", other UDP to port " + settings.udpSinkPort() : "")
                  + (settings.proxyPort() == RuleSettings.OFF
                      ? ""
                      : ", proxy port " + settings.proxyPort() + " open"));
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      versionProvider = VersionProvider.class,
      description =
          "Delete the allowdns chains, the jumps to them and the UDP sink's policy routes (IPv4"
              + " and IPv6; needs root), and nothing else, whatever apply's flags are given."
              + " Succeeds when nothing is installed.")
  static final class Remove implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin RemoveOptions ignored;

    @Override
    public Integer call() {
      boolean removed;
      try {
        removed = new Iptables().remove();
      } catch (IptablesException e) {
        spec.commandLine().getErr().println("iptables remove: " + e.getMessage());
        return ExitCodes.INPUT_ERROR;
      }
      spec.commandLine().getOut().println(removed ? "removed" : "nothing to remove");
      return ExitCodes.OK;
    }
  }
}
