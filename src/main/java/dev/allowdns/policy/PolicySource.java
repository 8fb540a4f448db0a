package dev.allowdns.policy;

/**
 * Where a policy set comes from on (re)load: a zones directory, or a transferred zone. A reload
 * asks its source for the next generation, validates it whole and swaps it in atomically.
 */
@FunctionalInterface
public interface PolicySource {
  /**
   * Builds the policy set this source holds now, numbered {@code generation}.
   *
   * @throws PolicyException listing every error as {@code file:line: reason}; nothing is loaded
   */
  PolicySet load(long generation) throws PolicyException;
}
