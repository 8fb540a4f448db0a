package dev.allowdns.iptables;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Loads and removes the allowdns rules of both families with the host's own {@code iptables},
 * {@code ip6tables} and their {@code -restore} programs (legacy or nf_tables, whichever is
 * installed). Each family's change is one {@code -restore --noflush} run, so each table changes
 * atomically: sandbox traffic never sees a ruleset without the jumps in between.
 */
public final class Iptables {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /**
   * Installs the rules for {@code settings} in both families, replacing an earlier allowdns
   * ruleset (other interfaces or ports) instead of adding to it; applying the same settings again
   * leaves the ruleset as it was. Both scripts are checked with {@code --test} before either is
   * loaded, so a family that cannot take them (no nat table for IPv6, say) changes nothing.
   *
   * @throws IptablesException when a program is missing or fails; its message includes the
   *     program's own error output
   */
  public void apply(RuleSettings settings) throws IptablesException {
    Map<IpFamily, String> scripts = new EnumMap<>(IpFamily.class);
    for (IpFamily family : IpFamily.values()) {
      scripts.put(family, RestoreScript.install(settings, family, installed(family)));
    }
    for (IpFamily family : IpFamily.values()) {
      restore(family, scripts.get(family), true);
    }
    if (settings.udpSink()) {
      // The route first: a marked datagram must never meet a ruleset without its route.
      for (IpFamily family : IpFamily.values()) {
        runAll(PolicyRoute.install(family, policyRoute(family)));
      }
    }
    for (IpFamily family : IpFamily.values()) {
      restore(family, scripts.get(family), false);
    }
    if (!settings.udpSink()) {
      removePolicyRoutes();
    }
  }

  /**
   * Deletes the allowdns jumps and chains of both families and nothing else.
   *
   * @return whether there was anything to delete
   * @throws IptablesException when a program is missing or fails
   */
  public boolean remove() throws IptablesException {
    boolean removed = false;
    for (IpFamily family : IpFamily.values()) {
      Optional<String> script = RestoreScript.removal(family, installed(family));
      if (script.isPresent()) {
        restore(family, script.get(), false);
        removed = true;
      }
    }
    return removePolicyRoutes() || removed;
  }

  /** Deletes the UDP sink's policy routes of both families; returns whether there were any. */
  private boolean removePolicyRoutes() throws IptablesException {
    boolean removed = false;
    for (IpFamily family : IpFamily.values()) {
      PolicyRoute.Installed installed = policyRoute(family);
      if (!installed.isEmpty()) {
        runAll(PolicyRoute.removal(family, installed));
        removed = true;
      }
    }
    return removed;
  }

  private PolicyRoute.Installed policyRoute(IpFamily family) throws IptablesException {
    return PolicyRoute.parse(
        run(PolicyRoute.listRules(family), ""), run(PolicyRoute.listRoutes(family), ""));
  }

  private static void runAll(List<List<String>> commands) throws IptablesException {
    for (List<String> command : commands) {
      run(command, "");
    }
  }

  private InstalledRules installed(IpFamily family) throws IptablesException {
    Map<String, String> listings = new LinkedHashMap<>();
    for (String table : OwnChain.TABLES) {
      listings.put(table, run(List.of(family.command(), "-w", "-t", table, "-S"), ""));
    }
    return InstalledRules.parse(listings);
  }

  private void restore(IpFamily family, String script, boolean testOnly) throws IptablesException {
    List<String> command = new ArrayList<>(List.of(family.restoreCommand(), "-w", "--noflush"));
    if (testOnly) {
      command.add("--test");
    }
    run(command, script);
  }

  /** Runs {@code command} with {@code input} on its stdin and returns its stdout. */
  private static String run(List<String> command, String input) throws IptablesException {
    String commandLine = String.join(" ", command);
    List<Path> files = new ArrayList<>();
    try {
      // Files, not pipes: nothing can block on a full pipe, and the wait below is bounded.
      Path in = temporaryFile(files, "in");
      Path out = temporaryFile(files, "out");
      Path err = temporaryFile(files, "err");
      Files.writeString(in, input, StandardCharsets.UTF_8);
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectInput(in.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        throw new IptablesException(
            "cannot run " + command.get(0) + " (is it installed and on PATH?): " + e.getMessage(),
            e);
      }
      if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IptablesException(
            commandLine + ": no answer within " + TIMEOUT.toSeconds() + " s");
      }
      if (process.exitValue() != 0) {
        String stderr = Files.readString(err, StandardCharsets.UTF_8).strip();
        throw new IptablesException(
            commandLine
                + " failed (exit "
                + process.exitValue()
                + "): "
                + (stderr.isEmpty() ? "no error output" : stderr));
      }
      return Files.readString(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IptablesException(commandLine + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IptablesException(commandLine + ": interrupted", e);
    } finally {
      for (Path file : files) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          // a leftover temporary file is harmless
        }
      }
    }
  }

  private static Path temporaryFile(List<Path> files, String suffix) throws IOException {
    Path file = Files.createTempFile("allowdns-iptables-", "." + suffix);
    files.add(file);
    return file;
  }
}
