package dev.allowdns.cli;

import dev.allowdns.config.ConfigException;
import dev.allowdns.config.ConfigFile;
import dev.allowdns.policy.Policy;
import java.io.PrintWriter;
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
    ConfigOptions.Loaded loaded;
    try {
      loaded = configOptions.load(ConfigFile.EMPTY, null);
    } catch (ConfigException e) {
      e.errors().forEach(err::println);
      return ExitCodes.INPUT_ERROR;
    }
    int rules =
        loaded.policies().zones().stream().mapToInt(z -> z.rules().size() + z.ipRanges().size()).sum();
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
