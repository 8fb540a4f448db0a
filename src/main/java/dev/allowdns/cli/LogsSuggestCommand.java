package dev.allowdns.cli;

import dev.allowdns.logs.RecordFilter;
import dev.allowdns.logs.RecordReader;
import dev.allowdns.logs.ZoneSuggestion;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code allowdns logs suggest}: zone-file rules for what audit mode let through. */
@Command(
    name = "suggest",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Print zone-file rules that would have allowed what `serve --mode audit` let through"
          + " (records with result would_block), ready to review and save as zones/NAME.zone.",
      "Names become exact rules; 3 or more names below one parent become *.PARENT (one label"
          + " below) or **.PARENT (deeper), never directly under a public suffix."
    })
final class LogsSuggestCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin LogReadOptions logOptions;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    ZoneSuggestion suggestion = new ZoneSuggestion();
    try {
      RecordReader reader = logOptions.open(err);
      RecordFilter filter = logOptions.filter(now);
      reader.forEachQuery(filter, suggestion::add);
      reader.forEachConnection(filter, suggestion::add);
    } catch (IOException e) {
      err.println("logs suggest: " + e.getMessage());
      return ExitCodes.INPUT_ERROR;
    }
    long records = suggestion.queries() + suggestion.connections();
    if (records == 0) {
      err.println(
          "logs suggest: no would_block records "
              + logOptions.describe(now)
              + " (serve --mode audit writes them)");
    }
    if (!suggestion.unusableNames().isEmpty()) {
      err.println(
          "logs suggest: no rule can be written for these names, left out: "
              + String.join(", ", new TreeSet<>(suggestion.unusableNames())));
    }
    out.print(
        suggestion.zoneText(
            List.of(
                "Suggested by `allowdns logs suggest` ("
                    + new VersionProvider().version()
                    + ") at "
                    + now
                    + ",",
                "from "
                    + records
                    + " would_block records ("
                    + suggestion.queries()
                    + " queries, "
                    + suggestion.connections()
                    + " connections) "
                    + logOptions.describe(now)
                    + ".",
                "Every rule allows names the policy blocked: review them before saving this as"
                    + " zones/NAME.zone.")));
    out.flush();
    return ExitCodes.OK;
  }
}
