package dev.allowdns.sandbox;

import java.util.Objects;

/**
 * A client of allowdns: a microVM or container identified by its source addresses.
 *
 * @param id the key of its ledger entries and records (entries that share an id are one sandbox)
 * @param taskId the task it runs, or {@code null}
 * @param user who it runs for, or {@code null}
 * @param policy the policy it gets
 * @param netns the file of its network namespace when it is one on this host ({@code
 *     /run/netns/NAME} or {@code /proc/PID/ns/net}), so that its processes can be named; {@code
 *     null} for a microVM, whose processes the host cannot see
 */
public record Sandbox(String id, String taskId, String user, String policy, String netns) {
  /** The sandbox id that loopback clients matching no registered sandbox get. */
  public static final String LOOPBACK_ID = "loopback";

  public Sandbox {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(policy, "policy");
  }

  /** A sandbox the host cannot look into (a microVM). */
  public Sandbox(String id, String taskId, String user, String policy) {
    this(id, taskId, user, policy, null);
  }

  /**
   * Returns the namespace file that {@code netns: NAME} or {@code netns_pid: PID} name, or {@code
   * null} when both are unsaid.
   *
   * @throws IllegalArgumentException when both are said, or NAME is not a plain file name
   */
  public static String netnsFile(String name, Integer pid) {
    if (name != null && pid != null) {
      throw new IllegalArgumentException("give netns or netns_pid, not both");
    }
    if (name != null) {
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
        throw new IllegalArgumentException(
            "netns '" + name + "' is not a namespace name of /run/netns (letters, digits, '.', '_', '-')");
      }
      return "/run/netns/" + name;
    }
    if (pid != null) {
      if (pid < 1) {
        throw new IllegalArgumentException("netns_pid must be a process id (1 or more), got " + pid);
      }
      return "/proc/" + pid + "/ns/net";
    }
    return null;
  }
}
