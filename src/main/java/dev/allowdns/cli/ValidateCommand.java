package dev.allowdns.cli;

import dev.allowdns.policy.Policy;
import dev.allowdns.policy.Zone;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code allowdns validate}: checks the config file and every zone without serving. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Check the config file and every zone file.",
      "Exit 0 when valid, 2 listing every error as file:line: reason."
    })
final class ValidateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ConfigOptions configOptions;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Optional<ConfigOptions.Loaded> config = configOptions.loadOrReport(err);
    if (config.isEmpty()) {
      return ExitCodes.INPUT_ERROR;
    }
    ConfigOptions.Loaded loaded = config.get();
    int rules = loaded.policies().zones().stream().mapToInt(Zone::ruleCount).sum();
    out.println(
        "ok: "
            + loaded.policies().zones().size()
            + " zones, "
            + rules
            + " rules; policies "
            + loaded.policies().policies().values().stream()
                .map(Policy::name)
                .collect(Collectors.joining(", ")));
    return ExitCodes.OK;
  }
}
