package dev.allowdns.cli;

import dev.allowdns.config.Config;
import dev.allowdns.config.ConfigException;
import dev.allowdns.config.ConfigFile;
import dev.allowdns.fleet.Fleet;
import dev.allowdns.policy.PolicyException;
import dev.allowdns.policy.PolicySet;
import java.io.IOException;
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

  /** A loaded configuration and policy set, and the fleet that is its source. */
  record Loaded(Config config, PolicySet policies, Fleet fleet) {}

  /**
   * Loads the configuration and the policies it names.
   *
   * @param flags what the command's own flags say (they win over the file)
   * @param resolvConf where default upstreams come from, or {@code null} when none are needed
   * @throws ConfigException listing every error of the configuration and of the zones
   */
  Loaded load(ConfigFile flags, Path resolvConf) throws ConfigException {
    return load(flags, resolvConf, false);
  }

  /**
   * Loads like {@link #load(ConfigFile, Path)}; a secondary decides by its last good copy, after
   * one transfer from its primary first when {@code transfer} (serve).
   */
  Loaded load(ConfigFile flags, Path resolvConf, boolean transfer) throws ConfigException {
    Config config = config(flags, resolvConf);
    Fleet fleet;
    PolicySet policies;
    try {
      fleet = Fleet.open(config);
      if (transfer) {
        fleet.transferAll();
      }
      fleet.requireCopy();
      policies = fleet.load(1);
    } catch (IOException e) {
      throw new ConfigException(e.getMessage());
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
    return new Loaded(config, policies, fleet);
  }

  /** Resolves the configuration alone, without loading any policy. */
  Config config(ConfigFile flags, Path resolvConf) throws ConfigException {
    ConfigFile said = file().overriddenBy(flags).overriddenBy(zonesFlag());
    return Config.resolve(said, resolvConf);
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
