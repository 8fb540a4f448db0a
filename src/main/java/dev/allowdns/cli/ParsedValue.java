package dev.allowdns.cli;

import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converts an option's text with a parser that throws {@link IllegalArgumentException}, whose
 * message (the expected form and the value) becomes picocli's usage error.
 */
abstract class ParsedValue<T> implements ITypeConverter<T> {
  private final Function<String, T> parse;

  ParsedValue(Function<String, T> parse) {
    this.parse = parse;
  }

  @Override
  public final T convert(String value) {
    try {
      return parse.apply(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
