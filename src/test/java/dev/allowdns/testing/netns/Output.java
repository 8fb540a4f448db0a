package dev.allowdns.testing.netns;

import java.util.List;

/**
 * What a finished command printed and how it ended.
 *
 * @param command the command line, as run
 * @param exitCode its exit code, or -1 when it was killed for running too long
 * @param stdout everything it printed on stdout
 * @param stderr everything it printed on stderr
 * @param timedOut whether it had to be killed
 */
public record Output(
    List<String> command, int exitCode, String stdout, String stderr, boolean timedOut) {
  public Output {
    command = List.copyOf(command);
  }

  /** Returns whether the command exited 0 by itself. */
  public boolean succeeded() {
    return !timedOut && exitCode == 0;
  }

  /** Returns the result in full, for assertion messages. */
  public String describe() {
    return String.join(" ", command)
        + (timedOut ? "\n(killed: did not exit in time)" : "\n(exit " + exitCode + ")")
        + "\n--- stdout ---\n"
        + stdout
        + "\n--- stderr ---\n"
        + stderr;
  }
}
