package dev.allowdns.logs;

/** The two record logs a server writes, by the base name of their files. */
public enum RecordKind {
  /** {@code queries.jsonl}: one line per DNS query. */
  QUERIES("queries"),
  /** {@code connections.jsonl}: one line per relayed or refused TCP connection. */
  CONNECTIONS("connections");

  private final String baseName;

  RecordKind(String baseName) {
    this.baseName = baseName;
  }

  /** Returns the base name of the log's files, e.g. {@code queries}. */
  public String baseName() {
    return baseName;
  }

  /** Returns the name of the file being written, e.g. {@code queries.jsonl}. */
  public String currentFileName() {
    return baseName + ".jsonl";
  }
}
