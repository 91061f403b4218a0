package org.streamfs.cli.service;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes SIGTERM and SIGINT to a {@link GracefulStop} instead of the JVM's default (run shutdown hooks and
 * exit at once, which would cut a flush short). libfuse2 installs its own handlers only where the disposition
 * is still the default, and the JVM has installed its own before the mount starts, so these are the handlers
 * that run. Uses {@code sun.misc.Signal} (module jdk.unsupported, in every JDK since 9, the only way to handle
 * a signal without exiting), reached by reflection so the build stays free of proprietary-API warnings;
 * {@link #restore()} puts the previous handlers back.
 */
public final class StopSignals {
  private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);
  private static final List<String> NAMES = List.of("TERM", "INT");

  private final List<Object> signals = new ArrayList<>();
  private final List<Object> previous = new ArrayList<>();
  private final Method handle;

  private StopSignals(Method handle) {
    this.handle = handle;
  }

  /** Installs handlers for SIGTERM and SIGINT that call {@code stop.request("SIGTERM")} and so on. */
  public static StopSignals install(GracefulStop stop) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Constructor<?> newSignal = signalClass.getConstructor(String.class);
      Method getName = signalClass.getMethod("getName");
      StopSignals s = new StopSignals(signalClass.getMethod("handle", signalClass, handlerClass));
      Object handler = Proxy.newProxyInstance(StopSignals.class.getClassLoader(), new Class<?>[] {handlerClass},
          (proxy, method, args) -> {
            if (method.getName().equals("handle")) {
              stop.request("SIG" + getName.invoke(args[0]));
              return null;
            }
            return switch (method.getName()) {
              case "hashCode" -> System.identityHashCode(proxy);
              case "equals" -> proxy == args[0];
              default -> "StopSignals handler";
            };
          });
      for (String name : NAMES) {
        Object sig = newSignal.newInstance(name);
        try {
          s.previous.add(s.handle.invoke(null, sig, handler));
          s.signals.add(sig);
        } catch (InvocationTargetException e) {
          LOG.warn("cannot handle SIG{}: {}", name, e.getCause().getMessage());
        }
      }
      return s;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this JVM has no sun.misc.Signal; cannot handle SIGTERM", e);
    }
  }

  /** Puts back the handlers that were there before {@link #install}. */
  public void restore() {
    for (int i = 0; i < signals.size(); i++) {
      try {
        handle.invoke(null, signals.get(i), previous.get(i));
      } catch (ReflectiveOperationException e) {
        LOG.warn("cannot restore a signal handler: {}", e.toString());
      }
    }
    signals.clear();
    previous.clear();
  }
}
