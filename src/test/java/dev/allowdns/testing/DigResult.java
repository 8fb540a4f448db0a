package dev.allowdns.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The output of one {@code dig} or {@code kdig} run. The shortcuts ({@link #status()}, {@link
 * #answer()}, ...) read the first response and fail, showing the whole output, when there was none.
 *
 * @param command the command line that ran
 * @param exitCode dig's exit code (9: no reply)
 * @param stdout what it printed
 * @param stderr its diagnostics
 */
public record DigResult(List<String> command, int exitCode, String stdout, String stderr) {
  private static final String HEADER = ";; ->>HEADER<<-";

  public DigResult {
    command = List.copyOf(command);
  }

  /** Returns every response printed, in order (several for {@code kdig +keepopen a b}). */
  public List<DigResponse> responses() {
    List<DigResponse> responses = new ArrayList<>();
    int start = stdout.indexOf(HEADER);
    while (start >= 0) {
      int next = stdout.indexOf(HEADER, start + HEADER.length());
      responses.add(new DigResponse(stdout.substring(start, next < 0 ? stdout.length() : next)));
      start = next;
    }
    return responses;
  }

  /** Returns the first response; fails (showing the output) if dig printed none. */
  public DigResponse response() {
    List<DigResponse> responses = responses();
    if (responses.isEmpty()) {
      throw new AssertionError("no DNS response in the output of " + describe());
    }
    return responses.get(0);
  }

  /** Returns whether dig printed at least one response. */
  public boolean answered() {
    return !responses().isEmpty();
  }

  public String status() {
    return response().status();
  }

  public Set<String> flags() {
    return response().flags();
  }

  public boolean hasFlag(String flag) {
    return response().flags().contains(flag);
  }

  public List<RecordLine> answer() {
    return response().answer();
  }

  public List<RecordLine> authority() {
    return response().authority();
  }

  public Optional<String> ede() {
    return response().ede();
  }

  public Optional<Integer> ednsUdpSize() {
    return response().ednsUdpSize();
  }

  /** Returns the command and its whole output, for assertion messages. */
  public String describe() {
    return String.join(" ", command)
        + " (exit "
        + exitCode
        + ")\n"
        + stdout
        + (stderr.isBlank() ? "" : "--- stderr ---\n" + stderr);
  }
}
