package org.streamfs.cli.service;

import java.nio.charset.Charset;

/** Main class of the tiny jar the launcher test runs: prints what the launcher gave the JVM. */
public final class LauncherProbe {
  private LauncherProbe() {}

  public static void main(String[] args) {
    System.out.println("args=" + String.join("|", args));
    System.out.println("jnu=" + System.getProperty("sun.jnu.encoding"));
    System.out.println("charset=" + Charset.defaultCharset());
    System.out.println("maxheap=" + Runtime.getRuntime().maxMemory());
    System.out.println("java=" + System.getProperty("java.home"));
  }
}
