/**
 * Mount configuration files: one file per mount ({@code /etc/streamfs/NAME.conf}) holding any option of
 * {@code streamfs mount}, so that a systemd unit or an fstab line can name a mount instead of spelling out its
 * flags.
 *
 * <p>The format is deliberately the smallest one that does the job: {@code key = value} lines, whole-line
 * {@code #} comments, keys equal to the long flag names. It needs no library, it diffs well, and an
 * administrator can read it without knowing Java. The example with every key is {@code systemd/example.conf};
 * a test checks that it names every {@link org.streamfs.cli.config.MountKey}.
 *
 * <p>Precedence is simple and total: a flag on the command line replaces the file's value, except for
 * {@code -o} options, which are added to the file's (and replace a file option of the same name). Nothing
 * else (no environment variables, no second file) takes part, so {@link
 * org.streamfs.cli.config.MountConfig#asText()} is exactly what the mount will use.
 *
 * <p>Refuse early, say why: every value is parsed as the file is read; an unknown key, a value that does not
 * parse, a key set twice, or an inline comment stops the start with {@code FILE:LINE: key 'K': reason}. Checks
 * that need the whole configuration or the disk (key file mode, deflate level range) run in {@code validate()},
 * still before anything is mounted. Byte sizes are read in one place, {@link org.streamfs.cli.config.Sizes},
 * which the rest of the CLI uses too; durations in {@link org.streamfs.cli.config.Durations}.
 */
package org.streamfs.cli.config;
