package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.util.Objects;

/**
 * The record of one sandbox's refusals by one limit in one second (DESIGN.md, "Limits"): the
 * first refusal's query or connection record, stamped with the second's start, and then {@code
 * "count": N, "limit": KEY}. Only summaries carry the two fields; a reader takes a record without
 * them as a count of 1.
 *
 * @param record the first refusal of the second
 * @param count how many refusals the second had
 * @param limit the config key of the limit ({@code dns_qps}, {@code open_connections}, ...)
 */
public record LimitSummary(JsonFields record, long count, String limit) implements JsonLine {
  private static final SerializableString COUNT = new SerializedString("count");
  private static final SerializableString LIMIT = new SerializedString("limit");

  public LimitSummary {
    Objects.requireNonNull(record, "record");
    if (limit == null || count < 1) {
      throw new IllegalArgumentException("a summary names its limit and counts 1 or more, got " + limit + " x" + count);
    }
  }

  @Override
  public void writeTo(JsonGenerator json) throws IOException {
    json.writeStartObject();
    record.writeFields(json);
    json.writeFieldName(COUNT);
    json.writeNumber(count);
    json.writeFieldName(LIMIT);
    json.writeString(limit);
    json.writeEndObject();
  }
}
