package dev.allowdns.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** The {@code --limit} option of the commands that print the top rows of a summary. */
final class RowLimit {
  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "20",
      description = "Show at most N rows; 0 for all (default: ${DEFAULT-VALUE}).")
  int limit;

  /**
   * Returns whether the limit can be used; when it cannot, says why on {@code err}, after the
   * command's name.
   */
  boolean check(String command, PrintWriter err) {
    if (limit >= 0) {
      return true;
    }
    err.println(command + ": --limit must be 0 (all) or more, got " + limit);
    return false;
  }
}
