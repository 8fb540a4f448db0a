package dev.allowdns.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every policy loaded from one zones directory, with the generation that loaded them. */
public final class PolicySet {
  /** The policy a client gets when nothing names another. */
  public static final String DEFAULT_POLICY = "default";

  private PolicySet() {}

  /**
   * Loads every {@code *.zone} file of {@code zonesDir} and builds the policies.
   *
   * @param policyZones zone names per policy; when empty, one policy {@code default} of every zone
   * @param generation the number this load gets (1 at start-up, +1 per successful reload)
   * @throws PolicyException listing every error as {@code file:line: reason}; nothing is loaded
   */
  public static PolicySet load(Path zonesDir, Map<String, List<String>> policyZones, long generation)
      throws PolicyException {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }

  public long generation() {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }

  public Optional<Policy> policy(String name) {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }

  /** Returns the policies by name, in a stable (sorted) order. */
  public Map<String, Policy> policies() {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }

  /** Returns every zone loaded, sorted by name. */
  public List<Zone> zones() {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }
}
