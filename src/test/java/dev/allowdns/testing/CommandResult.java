package dev.allowdns.testing;

import java.util.List;

/**
 * What a finished command did.
 *
 * @param args the arguments it ran with
 * @param exitCode its exit code, or -1 when it was killed for running too long
 * @param stdout everything it printed on stdout
 * @param stderr everything it printed on stderr
 * @param timedOut whether it had to be killed
 */
public record CommandResult(
    List<String> args, int exitCode, String stdout, String stderr, boolean timedOut) {
  public CommandResult {
    args = List.copyOf(args);
  }

  /** Returns stdout as a table printed for people: its lines split into cells on runs of 2+ spaces. */
  public List<List<String>> tableCells() {
    return stdout.lines().map(l -> List.of(l.trim().split("\\s{2,}"))).toList();
  }

  /** Returns the result in full, for assertion messages. */
  public String describe() {
    return "allowdns "
        + String.join(" ", args)
        + (timedOut ? " (killed: did not exit in time)" : " exited " + exitCode)
        + "\n--- stdout ---\n"
        + stdout
        + "\n--- stderr ---\n"
        + stderr;
  }
}
