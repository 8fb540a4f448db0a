package dev.allowdns.cli;

import dev.allowdns.admin.ReloadReport;
import dev.allowdns.policy.PolicyChange;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code allowdns reload}: makes the running server load its zones again, and shows the change. */
@Command(
    name = "reload",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Make the running server reload its zone files and print what changed per policy.",
      "Invalid zones are not loaded (the server keeps its policy): every file:line: reason is"
          + " printed and the exit code is 2, as it is when the server cannot be reached."
    })
final class ReloadCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin AdminOptions adminOptions;

  @Option(names = "--dry-run", description = "Only show what a reload would change.")
  boolean dryRun;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ReloadReport report;
    try {
      report = adminOptions.client().reload(dryRun);
    } catch (AdminClient.Failure e) {
      err.println("reload: " + e.getMessage());
      return ExitCodes.INPUT_ERROR;
    }
    if (!report.valid()) {
      err.println(
          "reload: the zones have errors, nothing was loaded; generation "
              + report.generation()
              + " stays in force:");
      report.errors().forEach(err::println);
      return ExitCodes.INPUT_ERROR;
    }
    String serial = report.policySerial() == null ? "" : ", policy serial " + report.policySerial();
    String status =
        report.dryRun()
            ? "dry run: nothing applied, generation " + report.generation() + serial + " stays in force"
            : "reloaded: generation " + report.generation() + serial + " in force";
    if (report.changes().isEmpty()) {
      out.println("no change (" + status + ")");
      return ExitCodes.OK;
    }
    out.println(status);
    for (Map.Entry<String, PolicyChange> change : report.changes().entrySet()) {
      change.getValue().added().forEach(rule -> out.println(change.getKey() + ": + " + rule));
      change.getValue().removed().forEach(rule -> out.println(change.getKey() + ": - " + rule));
    }
    return ExitCodes.OK;
  }
}
