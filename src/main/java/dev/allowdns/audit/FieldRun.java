package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * Consecutive fields in the middle of a JSON record, written one by one, or, when many records
 * share them, copied from their encoding made once by the same {@link #writeFields} (so the two
 * ways cannot drift apart).
 */
abstract class FieldRun {
  private static final JsonFactory JSON = new JsonFactory();

  /**
   * The fields as written after another field: {@code ,"a":1,"b":2}; {@code null} if not encoded.
   * Not final (set after the subclass's fields): a thread that sees it unset through a data race
   * writes the same fields one by one.
   */
  private SerializableString encoded;

  /** Writes the fields, in order, into the object {@code json} is writing. */
  abstract void writeFields(JsonGenerator json) throws IOException;

  /** Writes the fields after at least one other field of the object {@code json} is writing. */
  final void writeTo(JsonGenerator json) throws IOException {
    if (encoded != null) {
      json.writeRaw(encoded); // the generator still sees the field before: its comma comes next
    } else {
      writeFields(json);
    }
  }

  final boolean isEncoded() {
    return encoded != null;
  }

  /** Encodes the fields when {@code encode}; subclass constructors call it once, last. */
  final void encodeIf(boolean encode) {
    if (!encode) {
      return;
    }
    StringWriter text = new StringWriter();
    try {
      JsonGenerator json = JSON.createGenerator(text);
      json.writeStartObject();
      writeFields(json);
      json.flush(); // not closed: that would end the object
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    // "{" then the first field: as a later field it starts with the comma the generator would add.
    encoded = new SerializedString("," + text.getBuffer().substring(1));
  }
}
