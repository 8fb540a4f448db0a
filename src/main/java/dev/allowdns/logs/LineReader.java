package dev.allowdns.logs;

import java.io.IOException;
import java.io.Reader;

/**
 * Splits text into lines like {@link java.io.BufferedReader#readLine()}, but says whether each line
 * ended with a newline (the last line of a file being written may not have yet) and never holds
 * more than a bounded number of characters of one line (a damaged file may have no newlines).
 */
final class LineReader {
  /**
   * One line without its terminator.
   *
   * @param terminated whether a newline followed it
   * @param truncated whether it was longer than the limit and {@code text} holds only its start
   */
  record Line(String text, boolean terminated, boolean truncated) {}

  private final Reader in;
  private final int maxLength;
  private final char[] buffer = new char[8192];
  private int position;
  private int limit;

  LineReader(Reader in, int maxLength) {
    this.in = in;
    this.maxLength = maxLength;
  }

  /** Returns the next line, or {@code null} at the end of the input. */
  Line next() throws IOException {
    StringBuilder text = new StringBuilder();
    boolean truncated = false;
    boolean any = false;
    while (true) {
      if (position == limit) {
        limit = in.read(buffer);
        position = 0;
        if (limit <= 0) {
          limit = 0;
          return any ? line(text, false, truncated) : null;
        }
      }
      any = true;
      int start = position;
      while (position < limit && buffer[position] != '\n') {
        position++;
      }
      int length = position - start;
      int room = maxLength - text.length();
      if (length > room) {
        truncated = true;
        length = Math.max(room, 0);
      }
      text.append(buffer, start, length);
      if (position < limit) {
        position++; // the newline
        return line(text, true, truncated);
      }
    }
  }

  private static Line line(StringBuilder text, boolean terminated, boolean truncated) {
    int end = text.length();
    if (end > 0 && text.charAt(end - 1) == '\r') {
      end--;
    }
    return new Line(text.substring(0, end), terminated, truncated);
  }
}
