package dev.allowdns.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class ConsoleLoggingTest {

  private static ExecutionStatus configure(LoggerContext context) {
    ConsoleLogging logging = new ConsoleLogging();
    logging.setContext(context);
    return logging.configure(context);
  }

  @Test
  void configure_sendsEverythingToStderr_withQuietLibraries() {
    LoggerContext context = new LoggerContext();

    assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, configure(context));

    ConsoleAppender<?> stderr =
        assertInstanceOf(
            ConsoleAppender.class, context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
    assertEquals("System.err", stderr.getTarget());
    assertTrue(stderr.isStarted());
    assertEquals(Level.INFO, context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel());
    assertEquals(Level.WARN, context.getLogger("io.netty").getLevel());
    assertEquals(Level.WARN, context.getLogger("org.xbill").getLevel());
    assertEquals(Level.INFO, context.getLogger("dev.allowdns").getEffectiveLevel());
  }

  @Test
  void configure_withALogbackFileGiven_leavesItToLogback() {
    LoggerContext context = new LoggerContext();
    System.setProperty("logback.configurationFile", "/nonexistent/logback.xml");
    try {
      assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configure(context));
    } finally {
      System.clearProperty("logback.configurationFile");
    }
    assertNull(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
  }

  @Test
  void serviceFile_namesThisConfigurator_andNoLogbackXmlIsShipped() throws Exception {
    try (InputStream in =
        getClass().getResourceAsStream("/META-INF/services/ch.qos.logback.classic.spi.Configurator")) {
      assertEquals(ConsoleLogging.class.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
    }
    assertNull(getClass().getResource("/logback.xml"), "a logback.xml would be parsed besides");
  }
}
