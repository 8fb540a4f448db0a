package dev.allowdns.dns;

import java.util.Objects;

/**
 * Where a zone's names are resolved and how their answers are guarded: part of every cache key,
 * so two zones that differ in either never share an answer. Immutable.
 */
final class Route {
  private final UpstreamGroup upstreams;
  private final boolean allowPrivate;
  private final boolean synthesize;
  private final int hash;

  Route(UpstreamGroup upstreams, boolean allowPrivate, boolean synthesize) {
    this.upstreams = upstreams;
    this.allowPrivate = allowPrivate;
    this.synthesize = synthesize;
    this.hash = Objects.hash(upstreams.servers(), allowPrivate, synthesize);
  }

  /** Returns whether the resolver answers A/AAAA itself ({@code @proxy … synthesize}). */
  boolean synthesize() {
    return synthesize;
  }

  UpstreamGroup upstreams() {
    return upstreams;
  }

  /** Returns whether answers may keep private addresses ({@code @allow-private}). */
  boolean allowPrivate() {
    return allowPrivate;
  }

  @Override
  public boolean equals(Object o) {
    return o == this
        || o instanceof Route other
        && allowPrivate == other.allowPrivate
        && synthesize == other.synthesize
        && upstreams.servers().equals(other.upstreams.servers());
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
