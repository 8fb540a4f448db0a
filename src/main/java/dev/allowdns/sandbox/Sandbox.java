package dev.allowdns.sandbox;

import java.util.Objects;

/**
 * A client of allowdns: a microVM or container identified by its source addresses.
 *
 * @param id the key of its ledger entries and records (entries that share an id are one sandbox)
 * @param taskId the task it runs, or {@code null}
 * @param user who it runs for, or {@code null}
 * @param policy the policy it gets
 */
public record Sandbox(String id, String taskId, String user, String policy) {
  /** The sandbox id that loopback clients matching no registered sandbox get. */
  public static final String LOOPBACK_ID = "loopback";

  public Sandbox {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(policy, "policy");
  }
}
