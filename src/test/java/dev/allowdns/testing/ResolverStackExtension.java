package dev.allowdns.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs one {@link ResolverStack} for a whole test class: started before the class's own {@code
 * BeforeAll} methods (and after {@link RequiresPrograms} has checked for knotd), closed after its
 * {@code AfterAll} methods. Registered on a static field, it stands in for the stack:
 *
 * <pre>{@code
 * @RegisterExtension static final ResolverStackExtension stack = new ResolverStackExtension();
 * ...
 * stack.dig().query("www.it.test", "A");
 * }</pre>
 */
public final class ResolverStackExtension implements BeforeAllCallback, AfterAllCallback {
  private final String configYaml;
  private final String[] flagPairs;
  private ResolverStack stack;

  /** Describes a stack started with these extra flags, as name, value pairs. */
  public ResolverStackExtension(String... flagPairs) {
    this(null, flagPairs);
  }

  private ResolverStackExtension(String configYaml, String[] flagPairs) {
    this.configYaml = configYaml;
    this.flagPairs = flagPairs.clone();
  }

  /** Describes a stack started with this YAML as {@code --config}, and these extra flags. */
  public static ResolverStackExtension withConfig(String configYaml, String... flagPairs) {
    return new ResolverStackExtension(configYaml, flagPairs);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    stack = ResolverStack.startWithConfig(configYaml, flagPairs);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (stack != null) {
      try {
        stack.close();
      } finally {
        stack = null;
      }
    }
  }

  public UpstreamDns upstream() {
    return running().upstream();
  }

  public AllowdnsProcess allowdns() {
    return running().allowdns();
  }

  public Dig dig() {
    return running().dig();
  }

  public RawDns raw() {
    return running().raw();
  }

  public QueryLog queryLog() {
    return running().queryLog();
  }

  private ResolverStack running() {
    if (stack == null) {
      throw new IllegalStateException("the resolver stack runs only while its test class does");
    }
    return stack;
  }
}
