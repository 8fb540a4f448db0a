/**
 * The {@code allowdns} command line (picocli): commands parse flags, call the components and print.
 * Exit codes: 0 success, 1 a negative answer ({@code check} of a blocked name), 2 usage or input
 * error.
 */
package dev.allowdns.cli;
