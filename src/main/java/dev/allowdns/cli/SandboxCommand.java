package dev.allowdns.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.allowdns.admin.AdminServer;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.SandboxRegistry;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code allowdns sandbox add|remove|list}: the running server's sandboxes. Registrations made here
 * take effect at once and survive a restart (the server keeps them in its state directory).
 */
@Command(
    name = "sandbox",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    synopsisSubcommandLabel = "COMMAND",
    description = "Register, remove and list the running server's sandboxes.",
    subcommands = {
      SandboxCommand.Add.class,
      SandboxCommand.Remove.class,
      SandboxCommand.ListCommand.class
    })
final class SandboxCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(), "sandbox: name a command: add, remove or list");
  }

  /** {@code allowdns sandbox add}. */
  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      versionProvider = VersionProvider.class,
      description = {
        "Register a sandbox: queries and connections from its address get its policy.",
        "Adding the same network again replaces its entry."
      })
  static final class Add implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions adminOptions;

    @Option(
        names = "--ip",
        required = true,
        paramLabel = "IP|CIDR",
        description = "The sandbox's address or network.")
    String cidr;

    @Option(
        names = "--id",
        required = true,
        paramLabel = "ID",
        description = "Sandbox id, named in every record.")
    String id;

    @Option(names = "--task", paramLabel = "ID", description = "Task id, copied into every record.")
    String taskId;

    @Option(names = "--user", paramLabel = "USER", description = "User, copied into every record.")
    String user;

    @Option(
        names = "--policy",
        paramLabel = "POLICY",
        description = "Policy the sandbox gets (default: " + PolicySet.DEFAULT_POLICY + ").")
    String policy;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      SandboxRegistry.Registration added;
      try {
        added =
            adminOptions
                .client()
                .addSandbox(new SandboxRegistry.Registration(cidr, id, taskId, user, policy));
      } catch (AdminClient.Failure e) {
        err.println("sandbox add: " + e.getMessage());
        return ExitCodes.INPUT_ERROR;
      }
      spec.commandLine()
          .getOut()
          .println(
              "added sandbox "
                  + added.id()
                  + ": "
                  + added.cidr()
                  + " gets policy "
                  + (added.policy() == null ? PolicySet.DEFAULT_POLICY : added.policy()));
      return ExitCodes.OK;
    }
  }

  /** {@code allowdns sandbox remove}. */
  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      versionProvider = VersionProvider.class,
      description = {
        "Remove every network registered for a sandbox.",
        "Sandboxes of the config file cannot be removed here."
      })
  static final class Remove implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions adminOptions;

    @Option(names = "--id", required = true, paramLabel = "ID", description = "Sandbox id.")
    String id;

    @Override
    public Integer call() {
      int removed;
      try {
        removed = adminOptions.client().removeSandbox(id);
      } catch (AdminClient.Failure e) {
        spec.commandLine().getErr().println("sandbox remove: " + e.getMessage());
        return ExitCodes.INPUT_ERROR;
      }
      spec.commandLine()
          .getOut()
          .println(
              "removed sandbox "
                  + id
                  + " ("
                  + removed
                  + (removed == 1 ? " network)" : " networks)"));
      return ExitCodes.OK;
    }
  }

  /** {@code allowdns sandbox list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      versionProvider = VersionProvider.class,
      description = "List every sandbox network: from the config file and registered at run time.")
  static final class ListCommand implements Callable<Integer> {
    /** Made on first use: Jackson databind takes long to load, and most runs never need it. */
    private static final class Json {
      static final ObjectMapper MAPPER =
          new ObjectMapper()
              .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
              .enable(SerializationFeature.INDENT_OUTPUT);
    }

    @Spec CommandSpec spec;
    @Mixin AdminOptions adminOptions;

    @Option(names = "--json", description = "Print a JSON array instead of a table.")
    boolean json;

    @Override
    public Integer call() throws JsonProcessingException {
      List<AdminServer.SandboxView> sandboxes;
      try {
        sandboxes = adminOptions.client().sandboxes();
      } catch (AdminClient.Failure e) {
        spec.commandLine().getErr().println("sandbox list: " + e.getMessage());
        return ExitCodes.INPUT_ERROR;
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.MAPPER.writeValueAsString(sandboxes));
        return ExitCodes.OK;
      }
      TextTable table =
          new TextTable()
              .text("CIDR")
              .text("ID")
              .text("TASK")
              .text("USER")
              .text("POLICY")
              .text("SOURCE");
      for (AdminServer.SandboxView s : sandboxes) {
        table.row(s.cidr(), s.id(), s.taskId(), s.user(), s.policy(), s.source());
      }
      table.print(out);
      return ExitCodes.OK;
    }
  }
}
