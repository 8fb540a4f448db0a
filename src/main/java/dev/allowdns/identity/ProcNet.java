package dev.allowdns.identity;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the socket tables of {@code /proc/PID/net/{tcp,tcp6,udp,udp6}} (proc_net_tcp.rst): one
 * socket a line, addresses as hex words in host byte order, then the socket's inode.
 */
final class ProcNet {
  private ProcNet() {}

  /** One socket of a table. */
  record Socket(InetSocketAddress local, InetSocketAddress remote, long inode) {
    /** Returns whether this is the socket bound to {@code sandboxSide} and talking to {@code peer}. */
    boolean matches(SocketOwners.Transport transport, InetSocketAddress sandboxSide, InetSocketAddress peer) {
      if (local.getPort() != sandboxSide.getPort() || inode == 0) {
        return false;
      }
      boolean localMatches =
          local.getAddress().equals(sandboxSide.getAddress()) || local.getAddress().isAnyLocalAddress();
      if (!localMatches) {
        return false;
      }
      if (remote.equals(peer)) {
        return true;
      }
      // An unconnected UDP socket (sendto) has no peer of its own.
      return transport == SocketOwners.Transport.UDP && remote.getPort() == 0;
    }
  }

  /** Parses one table; lines that do not parse (the header) are skipped. */
  static List<Socket> parse(String table) {
    List<Socket> sockets = new ArrayList<>();
    for (String line : table.split("\n")) {
      String[] words = line.strip().split("\\s+");
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      if (words.length < 10 || !words[0].endsWith(":") || words[0].equals("sl")) {
        continue;
      }
      try {
        sockets.add(new Socket(address(words[1]), address(words[2]), Long.parseLong(words[9])));
      } catch (IllegalArgumentException | UnknownHostException e) {
        // not a socket line
      }
    }
    return sockets;
  }

  /** Parses {@code 0100007F:0035} or the 32-hex-digit IPv6 form; each 32-bit word is host order. */
  static InetSocketAddress address(String text) throws UnknownHostException {
    int colon = text.indexOf(':');
    String hex = text.substring(0, colon);
    int port = Integer.parseInt(text.substring(colon + 1), 16);
    if (hex.length() != 8 && hex.length() != 32) {
      throw new IllegalArgumentException("not an address: " + text);
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      long value = Long.parseLong(hex.substring(word * 8, word * 8 + 8), 16);
      for (int i = 0; i < 4; i++) {
        bytes[word * 4 + i] = (byte) (value >>> (8 * i)); // little-endian words (x86_64, arm64)
      }
    }
    // A v4-mapped IPv6 address comes back as the Inet4Address, so both tables compare alike.
    return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
  }
}
