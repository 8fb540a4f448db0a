package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * One DNS query as the query log records it (DESIGN.md, "Records"; the field names and their order
 * are a contract). Values are kept raw and formatted when written, except for the fields of the
 * client ({@link Asker}), which every query of one client shares: they may be encoded once.
 *
 * @param timestampMillis when the query arrived (epoch milliseconds), written as ISO-8601 UTC
 * @param asker who asked: {@code sandbox}, {@code task_id}, {@code user}, {@code client_ip}
 * @param outcome what was asked and answered: {@code name} … {@code upstream}
 * @param cached whether the answer came without an upstream query of its own
 * @param reason why a query was not answered normally ({@code denied}, {@code not_allowed},
 *     {@code unknown_sandbox}, {@code upstream_failed}, {@code stale}, ...), {@code null} otherwise
 * @param policySerial the SOA serial of the transferred policy in force, {@code null} when the
 *     policy came from a zones directory
 */
public record QueryRecord(
    long timestampMillis,
    Asker asker,
    Outcome outcome,
    boolean cached,
    long durationUs,
    String reason,
    long policyGeneration,
    Long policySerial)
    implements JsonFields {

  // Field names encoded once: the writer thread spends its time on values, not on names.
  private static final SerializableString TIMESTAMP = new SerializedString("timestamp");
  private static final SerializableString SANDBOX = new SerializedString("sandbox");
  private static final SerializableString TASK_ID = new SerializedString("task_id");
  private static final SerializableString USER = new SerializedString("user");
  private static final SerializableString CLIENT_IP = new SerializedString("client_ip");
  private static final SerializableString NAME = new SerializedString("name");
  private static final SerializableString TYPE = new SerializedString("type");
  private static final SerializableString RESULT = new SerializedString("result");
  private static final SerializableString RCODE = new SerializedString("rcode");
  private static final SerializableString ALLOWLIST_RULE = new SerializedString("allowlist_rule");
  private static final SerializableString UPSTREAM = new SerializedString("upstream");
  private static final SerializableString CACHED = new SerializedString("cached");
  private static final SerializableString DURATION_US = new SerializedString("duration_us");
  private static final SerializableString REASON = new SerializedString("reason");
  private static final SerializableString POLICY_GENERATION = new SerializedString("policy_generation");
  private static final SerializableString POLICY_SERIAL = new SerializedString("policy_serial");
  private static final SerializableString ANSWERS = new SerializedString("answers");
  // Type and rcode names quoted once (dnsjava looks them up in a map of boxed integers).
  private static final SerializableString[] TYPE_NAMES = names(Type::string, 512);
  private static final SerializableString[] RCODE_NAMES = names(Rcode::string, 32);

  private static SerializableString[] names(IntFunction<String> name, int count) {
    SerializableString[] names = new SerializableString[count];
    for (int i = 0; i < count; i++) {
      names[i] = new SerializedString(name.apply(i));
    }
    return names;
  }

  private static SerializableString nameOf(int value, SerializableString[] names, IntFunction<String> name) {
    return value >= 0 && value < names.length ? names[value] : new SerializedString(name.apply(value));
  }

  public QueryRecord {
    Objects.requireNonNull(asker, "asker");
    Objects.requireNonNull(outcome, "outcome");
  }

  @Override
  public void writeTo(JsonGenerator json) throws IOException {
    json.writeStartObject();
    writeFields(json);
    json.writeEndObject();
  }

  @Override
  public void writeFields(JsonGenerator json) throws IOException {
    json.writeFieldName(TIMESTAMP);
    json.writeString(Timestamps.format(timestampMillis));
    asker.writeTo(json);
    outcome.writeTo(json);
    json.writeFieldName(CACHED);
    json.writeBoolean(cached);
    json.writeFieldName(DURATION_US);
    json.writeNumber(durationUs);
    json.writeFieldName(REASON);
    json.writeString(reason);
    json.writeFieldName(POLICY_GENERATION);
    json.writeNumber(policyGeneration);
    json.writeFieldName(POLICY_SERIAL);
    if (policySerial == null) {
      json.writeNull();
    } else {
      json.writeNumber(policySerial.longValue());
    }
  }

  /**
   * The fields {@code sandbox}, {@code task_id}, {@code user} and {@code client_ip}: the same for
   * every query of one client, so a resolver may keep them {@link #encoded()}: then they are
   * copied into each line as the bytes the same {@link #writeFields} wrote once. Immutable.
   */
  public static final class Asker {
    private static final JsonFactory JSON = new JsonFactory();

    private final String sandbox;
    private final String taskId;
    private final String user;
    private final InetAddress client;
    /** The fields as written after another field ({@code ,"sandbox":…}), or {@code null}. */
    private final SerializableString encoded;

    private Asker(String sandbox, String taskId, String user, InetAddress client, boolean encode) {
      this.sandbox = sandbox;
      this.taskId = taskId;
      this.user = user;
      this.client = client;
      this.encoded = encode ? encode() : null;
    }

    /** Returns the fields, written one by one with their record. */
    public static Asker of(String sandbox, String taskId, String user, InetAddress client) {
      return new Asker(sandbox, taskId, user, client, false);
    }

    /** Returns the same fields encoded once, for the many records that share them. */
    public Asker encoded() {
      return encoded != null ? this : new Asker(sandbox, taskId, user, client, true);
    }

    public String sandbox() {
      return sandbox;
    }

    public String taskId() {
      return taskId;
    }

    public String user() {
      return user;
    }

    public InetAddress client() {
      return client;
    }

    /** Writes the fields after the record's first one. */
    void writeTo(JsonGenerator json) throws IOException {
      if (encoded != null) {
        json.writeRaw(encoded); // the generator still counts the field before: the next gets its comma
      } else {
        writeFields(json);
      }
    }

    private void writeFields(JsonGenerator json) throws IOException {
      json.writeFieldName(SANDBOX);
      json.writeString(sandbox);
      json.writeFieldName(TASK_ID);
      json.writeString(taskId);
      json.writeFieldName(USER);
      json.writeString(user);
      json.writeFieldName(CLIENT_IP);
      json.writeString(client == null ? null : InetAddresses.toAddrString(client));
    }

    private SerializableString encode() {
      StringWriter text = new StringWriter();
      try {
        JsonGenerator json = JSON.createGenerator(text);
        json.writeStartObject();
        writeFields(json);
        json.flush(); // not closed: that would end the object
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a StringWriter does not fail
      }
      // "{" and the fields as the first of an object; after another, they start with a comma.
      SerializedString fields = new SerializedString("," + text.getBuffer().substring(1));
      fields.asUnquotedUTF8(); // its lazy bytes made now, so the final field publishes them too
      return fields;
    }
  }

  /**
   * The fields {@code name}, {@code type}, {@code result}, {@code rcode}, {@code allowlist_rule},
   * {@code answers} and {@code upstream}: what was asked and how it was answered.
   *
   * @param type the query type, written by name ({@code AAAA})
   * @param result {@code allowed}, {@code blocked}, {@code refused}, {@code error} or
   *     {@code would_block} (audit mode)
   * @param rcode the response code sent, written by name ({@code NXDOMAIN})
   * @param allowlistRule {@code POLICY:ZONE} of the deciding rule
   * @param answers the answer section as presentation text ({@code CNAME b.test.}, {@code A 192.0.2.1})
   * @param upstream the server that answered ({@code HOST:PORT}), {@code null} when none was asked
   */
  public record Outcome(
      String name,
      int type,
      String result,
      int rcode,
      String allowlistRule,
      List<String> answers,
      String upstream) {
    public Outcome {
      answers = List.copyOf(answers);
    }

    void writeTo(JsonGenerator json) throws IOException {
      json.writeFieldName(NAME);
      json.writeString(name);
      json.writeFieldName(TYPE);
      json.writeString(nameOf(type, TYPE_NAMES, Type::string));
      json.writeFieldName(RESULT);
      json.writeString(result);
      json.writeFieldName(RCODE);
      json.writeString(nameOf(rcode, RCODE_NAMES, Rcode::string));
      json.writeFieldName(ALLOWLIST_RULE);
      json.writeString(allowlistRule);
      json.writeFieldName(ANSWERS);
      json.writeStartArray();
      for (String answer : answers) {
        json.writeString(answer);
      }
      json.writeEndArray();
      json.writeFieldName(UPSTREAM);
      json.writeString(upstream);
    }
  }
}
