package dev.allowdns.identity;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One lookup through {@code /proc}: the processes of the sandbox's namespace (their {@code
 * ns/net} link names its inode), the socket's inode from one of their {@code net/} tables, then
 * the {@code fd} links that point at {@code socket:[INODE]}, the namespace's processes first.
 * Gives up when its deadline passes. Runs on a lookup thread only.
 */
final class ProcScan {
  private static final int MAX_PARENTS = 32;

  private final Path proc;
  private final long deadlineNanos;

  ProcScan(Path proc, long deadlineNanos) {
    this.proc = proc;
    this.deadlineNanos = deadlineNanos;
  }

  /** Thrown when the deadline passed: the record goes without a process. */
  static final class OutOfTime extends Exception {
    OutOfTime() {
      super("process lookup ran out of time", null, false, false);
    }
  }

  /**
   * Returns the owner of the socket, or {@code null} when there is none to be seen.
   *
   * @param netns the namespace file ({@code /run/netns/NAME}, {@code /proc/PID/ns/net})
   */
  ProcessOwner find(
      Path netns, SocketOwners.Transport transport, InetSocketAddress sandboxSide, InetSocketAddress peer)
      throws OutOfTime {
    String nsLink;
    try {
      nsLink = "net:[" + Files.getAttribute(netns, "unix:ino") + "]";
    } catch (IOException | UnsupportedOperationException e) {
      return null; // the namespace is gone
    }
    List<Long> all = pids();
    List<Long> inNamespace = new ArrayList<>();
    List<Long> others = new ArrayList<>();
    for (long pid : all) {
      checkTime();
      (nsLink.equals(link(proc.resolve(pid + "/ns/net"))) ? inNamespace : others).add(pid);
    }
    Set<String> sockets = socketLinks(inNamespace, transport, sandboxSide, peer);
    if (sockets.isEmpty()) {
      return null;
    }
    List<Long> owners = owners(inNamespace, sockets);
    if (owners.isEmpty()) {
      owners = owners(others, sockets); // handed to a process outside, or made before a setns
    }
    if (owners.isEmpty()) {
      return null;
    }
    return describe(owners.get(0), owners.size() > 1, new HashSet<>(inNamespace));
  }

  /**
   * Returns {@code socket:[INODE]} of the matching sockets, read from the namespace's tables. The
   * table of the address's own family first: reading one costs milliseconds (the kernel walks its
   * whole socket hash), and the other family's table matters only for a dual-stack socket.
   */
  private Set<String> socketLinks(
      List<Long> inNamespace, SocketOwners.Transport transport, InetSocketAddress sandboxSide, InetSocketAddress peer)
      throws OutOfTime {
    List<String> tables =
        sandboxSide.getAddress() instanceof java.net.Inet4Address
            ? List.of(transport.v4Table, transport.v6Table)
            : List.of(transport.v6Table);
    Set<String> links = new LinkedHashSet<>();
    for (long pid : inNamespace) {
      boolean read = false;
      for (String table : tables) {
        checkTime();
        String text = read(proc.resolve(pid + "/net/" + table));
        if (text == null) {
          continue;
        }
        read = true;
        for (ProcNet.Socket socket : ProcNet.parse(text)) {
          if (socket.matches(transport, sandboxSide, peer)) {
            links.add("socket:[" + socket.inode() + "]");
          }
        }
        if (!links.isEmpty()) {
          return links;
        }
      }
      if (read) {
        return links; // every process of the namespace sees the same tables
      }
    }
    return links;
  }

  private List<Long> owners(List<Long> pids, Set<String> sockets) throws OutOfTime {
    List<Long> owners = new ArrayList<>();
    for (long pid : pids) {
      checkTime();
      Path fdDir = proc.resolve(pid + "/fd");
      String[] fds = fdDir.toFile().list(); // null: the process ended, or its fds are not ours
      if (fds == null) {
        continue;
      }
      for (String fd : fds) {
        if (sockets.contains(link(fdDir.resolve(fd)))) {
          owners.add(pid);
          break;
        }
      }
    }
    return owners;
  }

  private ProcessOwner describe(long pid, boolean ambiguous, Set<Long> namespace) {
    Path dir = proc.resolve(Long.toString(pid));
    String cmdline = read(dir.resolve("cmdline"));
    List<String> args = new ArrayList<>();
    if (cmdline != null && !cmdline.isEmpty()) {
      for (String arg : cmdline.split("\0", -1)) {
        args.add(arg);
      }
      if (cmdline.endsWith("\0")) {
        args.remove(args.size() - 1);
      }
    }
    String status = read(dir.resolve("status"));
    List<String> parents = new ArrayList<>();
    long parent = parentOf(status);
    while (parent > 0 && namespace.contains(parent) && parents.size() < MAX_PARENTS) {
      Path parentDir = proc.resolve(Long.toString(parent));
      parents.add(link(parentDir.resolve("exe")));
      parent = parentOf(read(parentDir.resolve("status")));
    }
    return new ProcessOwner(pid, link(dir.resolve("exe")), args, uidOf(status), parents, ambiguous);
  }

  private static long parentOf(String status) {
    return statusNumber(status, "PPid:");
  }

  private static long uidOf(String status) {
    return statusNumber(status, "Uid:");
  }

  /** Returns the first number after {@code key} in {@code /proc/PID/status}, or -1. */
  private static long statusNumber(String status, String key) {
    if (status == null) {
      return -1;
    }
    for (String line : status.split("\n")) {
      if (line.startsWith(key)) {
        String[] words = line.substring(key.length()).strip().split("\\s+");
        try {
          return Long.parseLong(words[0]);
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  private List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    String[] names = proc.toFile().list();
    if (names == null) {
      return pids;
    }
    for (String name : names) {
      if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
        try {
          pids.add(Long.parseLong(name));
        } catch (NumberFormatException e) {
          // not a process
        }
      }
    }
    pids.sort(null);
    return pids;
  }

  private void checkTime() throws OutOfTime {
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new OutOfTime();
    }
  }

  private static String link(Path path) {
    try {
      return Files.readSymbolicLink(path).toString();
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return null;
    }
  }

  private static String read(Path path) {
    try {
      return new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      return null;
    }
  }
}
