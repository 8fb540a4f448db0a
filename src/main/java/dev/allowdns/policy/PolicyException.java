package dev.allowdns.policy;

import java.util.List;

/** A zones directory or policy definition that cannot be loaded; carries every error found. */
public final class PolicyException extends Exception {
  private final List<String> errors;

  public PolicyException(List<String> errors) {
    super(String.join("\n", errors));
    this.errors = List.copyOf(errors);
  }

  /** Returns each error as {@code file:line: reason} (or {@code file: reason}). */
  public List<String> errors() {
    return errors;
  }
}
