package dev.allowdns.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Declares the external programs a test class runs (e.g. {@code knotd}, {@code dig}). When one is
 * missing the class is skipped with a message naming it, except when the environment variable
 * {@code CI} is {@code true}: there a missing program fails the class, so CI never skips silently.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiredProgramsExtension.class)
public @interface RequiresPrograms {
  /** Returns the program names, looked up on {@code PATH} and in the sbin directories. */
  String[] value();
}
