package dev.allowdns.cli;

import dev.allowdns.config.Config;
import dev.allowdns.config.DurationText;
import dev.allowdns.logs.RecordFilter;
import dev.allowdns.logs.RecordReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Option;

/** The options of the commands that read record files: where, since when, which sandbox. */
final class LogReadOptions {
  @Option(
      names = "--log-dir",
      paramLabel = "DIR",
      defaultValue = Config.DEFAULT_LOG_DIR,
      description =
          "Directory of queries.jsonl, connections.jsonl and their rotated files (default:"
              + " ${DEFAULT-VALUE}).")
  Path logDir;

  @Option(
      names = "--since",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Only records of this last while, e.g. 30m, 1h, 2d (default: all).")
  Duration since;

  @Option(names = "--sandbox", paramLabel = "ID", description = "Only records of this sandbox id.")
  String sandbox;

  /** Parses {@code --since} with the durations of the config file. */
  static final class DurationConverter extends ParsedValue<Duration> {
    DurationConverter() {
      super(DurationText::parse);
    }
  }

  /** Returns the filter these options ask for, {@code --since} counted back from {@code now}. */
  RecordFilter filter(Instant now) {
    return new RecordFilter(since == null ? null : now.minus(since), sandbox);
  }

  /**
   * Opens the log directory; damaged lines and files are reported to {@code err} as they are met.
   *
   * @throws IOException with a message for the user when the directory is missing
   */
  RecordReader open(PrintWriter err) throws IOException {
    try {
      return RecordReader.open(logDir, problem -> err.println(problem));
    } catch (NoSuchFileException e) {
      throw new IOException("no log directory " + logDir + " (give the server's --log-dir DIR)");
    } catch (NotDirectoryException e) {
      throw new IOException(logDir + " is not a directory (give the server's --log-dir DIR)");
    }
  }

  /** Returns what the options select, for headers: {@code in DIR, since ..., sandbox ID}. */
  String describe(Instant now) {
    RecordFilter filter = filter(now);
    return "in "
        + logDir
        + (filter.since() == null ? "" : ", since " + filter.since())
        + (sandbox == null ? "" : ", sandbox " + sandbox);
  }
}
