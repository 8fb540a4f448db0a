package dev.allowdns.cli;

import io.netty.util.ResourceLeakDetector;
import java.util.Arrays;
import picocli.CommandLine;

/** The {@code allowdns} command line. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      // Leak sampling costs several percent per query; tests turn it back on with the property.
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
    if (args.length > 0 && args[0].equals("serve")) {
      // The server alone: building every other command's model first (reflection over a dozen
      // annotated classes) would cost about a third of a second before the first answer.
      CommandLine serve = new CommandLine(new ServeCommand()).setCommandName("allowdns serve");
      System.exit(serve.execute(Arrays.copyOfRange(args, 1, args.length)));
    }
    System.exit(AllowdnsCommand.commandLine().execute(args));
  }
}
