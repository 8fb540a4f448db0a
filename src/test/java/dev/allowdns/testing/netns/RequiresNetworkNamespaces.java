package dev.allowdns.testing.netns;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Declares that a test class builds network namespaces: it needs root and the programs named
 * here. When something is missing the class is skipped with a message naming it, except when the
 * environment variable {@code CI} is {@code true}: there it fails, so CI never skips silently.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NetworkNamespacesCondition.class)
public @interface RequiresNetworkNamespaces {
  /** Returns the programs the class runs, looked up on {@code PATH} and in the sbin directories. */
  String[] programs();

  /** Returns the Debian packages that provide them, for the message. */
  String[] packages();
}
