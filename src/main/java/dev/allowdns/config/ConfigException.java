package dev.allowdns.config;

import java.util.List;

/** A configuration that cannot be used; each error names where it is and what was expected. */
public final class ConfigException extends Exception {
  private final List<String> errors;

  public ConfigException(List<String> errors) {
    super(String.join("\n", errors));
    this.errors = List.copyOf(errors);
  }

  public ConfigException(String error) {
    this(List.of(error));
  }

  public List<String> errors() {
    return errors;
  }
}
