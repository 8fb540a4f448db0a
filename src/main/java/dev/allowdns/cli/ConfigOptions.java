package dev.allowdns.cli;

import dev.allowdns.config.Config;
import dev.allowdns.config.ConfigException;
import dev.allowdns.config.ConfigFile;
import dev.allowdns.policy.PolicyException;
import dev.allowdns.policy.PolicySet;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options every command that reads the policy shares: the config file and the zones. */
final class ConfigOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Optional YAML config file; flags override its keys.")
  Path configFile;

  @Option(
      names = "--zones",
      paramLabel = "DIR",
      description = "Directory of NAME.zone allowlist files (default: " + Config.DEFAULT_ZONES + ").")
  String zones;

  /** Returns what the config file says, or {@link ConfigFile#EMPTY} without one. */
  ConfigFile file() throws ConfigException {
    return configFile == null ? ConfigFile.EMPTY : ConfigFile.read(configFile);
  }

  /** A loaded configuration and policy set. */
  record Loaded(Config config, PolicySet policies) {}

  /**
   * Loads the configuration and the policies it names.
   *
   * @param flags what the command's own flags say (they win over the file)
   * @param resolvConf where default upstreams come from, or {@code null} when none are needed
   * @throws ConfigException listing every error of the configuration and of the zones
   */
  Loaded load(ConfigFile flags, Path resolvConf) throws ConfigException {
    ConfigFile said = file().overriddenBy(flags).overriddenBy(zonesFlag());
    Config config = Config.resolve(said, resolvConf);
    PolicySet policies;
    try {
      policies = PolicySet.load(config.zones(), config.policies(), 1);
    } catch (PolicyException e) {
      throw new ConfigException(e.errors());
    }
    List<String> errors = new ArrayList<>();
    config
        .sandboxes()
        .forEach(
            entry -> {
              if (policies.policy(entry.sandbox().policy()).isEmpty()) {
                errors.add(
                    "sandboxes: "
                        + entry.sandbox().id()
                        + " names policy '"
                        + entry.sandbox().policy()
                        + "', which is not defined (known: "
                        + policies.policies().keySet()
                        + ")");
              }
            });
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new Loaded(config, policies);
  }

  /**
   * Loads like {@link #load} for a command that needs no upstreams, printing every error to
   * {@code err}; empty when there were errors.
   */
  Optional<Loaded> loadOrReport(PrintWriter err) {
    try {
      return Optional.of(load(ConfigFile.EMPTY, null));
    } catch (ConfigException e) {
      e.errors().forEach(err::println);
      return Optional.empty();
    }
  }

  private ConfigFile zonesFlag() {
    Map<String, Object> flag = new HashMap<>();
    flag.put("zones", zones);
    return ConfigFile.of(flag);
  }
}
