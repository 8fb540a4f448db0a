package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * A record that writes itself as one JSON object with Jackson's streaming API: the query log's
 * fast path (no reflection), and formatting (times, type names) happens on the writer thread,
 * not on the thread that answered the query.
 */
public interface JsonLine {
  /** Writes this record as one JSON object, every field present ({@code null} when unset). */
  void writeTo(JsonGenerator json) throws IOException;
}
