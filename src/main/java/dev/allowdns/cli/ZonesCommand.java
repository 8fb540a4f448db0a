package dev.allowdns.cli;

import dev.allowdns.config.ConfigException;
import dev.allowdns.config.DurationText;
import dev.allowdns.fleet.PolicyExport;
import dev.allowdns.policy.PolicyException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code allowdns zones}: the zones directory as a DNS zone, for a fleet's primary. */
@Command(
    name = "zones",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Turn the zones directory into a DNS zone a primary serves to a fleet.",
    subcommands = {ZonesCommand.Export.class})
final class ZonesCommand {
  /** {@code allowdns zones export}: prints the policy zone file. */
  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      versionProvider = VersionProvider.class,
      description = {
        "Print the zones directory and the policies map as a zone file (TXT records, one per line).",
        "Exit 0, or 2 listing every file:line: reason as validate does."
      })
  static final class Export implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ConfigOptions configOptions;

    @Option(names = "--origin", required = true, paramLabel = "ORIGIN", description = "The policy zone's name, e.g. policy.corp.example.")
    String origin;

    @Option(names = "--serial", paramLabel = "N", description = "SOA serial (default: the current time in seconds since 1970, UTC, so each export grows it).")
    Long serial;

    @Option(names = "--refresh", paramLabel = "DURATION", defaultValue = "5m", description = "How often secondaries check the serial without a NOTIFY (default: ${DEFAULT-VALUE}).")
    String refresh;

    @Option(names = "--retry", paramLabel = "DURATION", defaultValue = "1m", description = "How soon a secondary retries a failed check (default: ${DEFAULT-VALUE}).")
    String retry;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      long soaSerial = serial == null ? Instant.now().getEpochSecond() : serial;
      if (soaSerial < 0 || soaSerial > 0xFFFF_FFFFL) {
        err.println("zones export: --serial must be 0..4294967295, got " + soaSerial);
        return ExitCodes.INPUT_ERROR;
      }
      try {
        var config = configOptions.config(dev.allowdns.config.ConfigFile.EMPTY, null);
        out.print(
            PolicyExport.zoneFile(
                origin, soaSerial, DurationText.parse(refresh), DurationText.parse(retry), config.zones(), config.policies(), config.limits()));
        out.flush(); // print, unlike println, does not flush an auto-flushing writer
        return ExitCodes.OK;
      } catch (ConfigException e) {
        e.errors().forEach(err::println);
      } catch (PolicyException e) {
        e.errors().forEach(err::println);
      } catch (IllegalArgumentException e) {
        err.println("zones export: " + e.getMessage());
      }
      return ExitCodes.INPUT_ERROR;
    }
  }
}
