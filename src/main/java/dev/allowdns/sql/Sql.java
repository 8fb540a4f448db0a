package dev.allowdns.sql;

/** Writes names and text into SQL statements safely. */
final class Sql {
  private Sql() {}

  /** Returns {@code name} as a quoted identifier: {@code "name"}, inner quotes doubled. */
  static String quote(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /** Returns {@code text} as a string literal: {@code 'text'}, inner quotes doubled. */
  static String literal(String text) {
    return '\'' + text.replace("'", "''") + '\'';
  }
}
