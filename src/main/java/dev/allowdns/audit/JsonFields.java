package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/** A record whose fields can be written inside another object: a {@link LimitSummary} adds two. */
public interface JsonFields extends JsonLine {
  /** Writes the fields, without the object's braces. */
  void writeFields(JsonGenerator json) throws IOException;
}
