package org.logship.testnode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.ingest.common.IngestCommonPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Runs a single-node OpenSearch in this JVM for logship's integration tests.
 *
 * <pre>
 * java -cp target/classes:target/lib/* org.logship.testnode.OpenSearchLauncher
 *      [--home DIR] [--http-port N] [--watch-pid PID]
 * </pre>
 *
 * --home      node home (config, data, logs); must not exist or be empty; it is
 *             created and deleted at shutdown. Default: a fresh temp directory.
 * --http-port HTTP port on 127.0.0.1; default 0 = a free port picked by the OS.
 * --watch-pid exit (cleanly) when that process is gone, so an aborted test run
 *             cannot leave a JVM behind.
 *
 * Prints exactly one line "OPENSEARCH_READY http://127.0.0.1:PORT" on stdout
 * once HTTP is bound; everything else goes to stderr. SIGTERM/SIGINT close the
 * node and delete the home directory.
 */
public final class OpenSearchLauncher {

    /** Node's classpath-plugin constructor is protected. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, List<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    private static final PrintStream ERR = System.err;

    private OpenSearchLauncher() {}

    public static void main(String[] args) throws Exception {
        Path home = null;
        String httpPort = "0";
        long watchPid = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--home": home = Paths.get(need(a, v)).toAbsolutePath(); i++; break;
                case "--http-port": httpPort = need(a, v); i++; break;
                case "--watch-pid": watchPid = Long.parseLong(need(a, v)); i++; break;
                default: die("unknown argument: " + a);
            }
        }

        configureLogging();

        if (home == null) {
            home = Files.createTempDirectory("logship-opensearch-");
        } else if (Files.exists(home)) {
            try (var s = Files.list(home)) {
                if (s.findAny().isPresent()) {
                    die("--home " + home + " exists and is not empty (refusing: it is deleted at shutdown)");
                }
            }
        }
        final Path homeDir = home;
        for (String d : new String[] {"config", "data", "logs", "plugins", "modules"}) {
            Files.createDirectories(homeDir.resolve(d));
        }

        Settings settings = Settings.builder()
            .put("cluster.name", "logship-it")
            .put("node.name", "logship-it-node")
            .put("path.home", homeDir.toString())
            .put("path.data", homeDir.resolve("data").toString())
            .put("path.logs", homeDir.resolve("logs").toString())
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", "0")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            // test machines are sometimes short of disk: never block writes
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true)
            .build();

        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), homeDir.resolve("config"), () -> "logship-it-node");
        List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, IngestCommonPlugin.class);

        final CountDownLatch stopped = new CountDownLatch(1);
        final Node node = new EmbeddedNode(env, plugins);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ERR.println("opensearch-launcher: shutting down");
            try {
                node.close();
                if (!node.awaitClose(20, TimeUnit.SECONDS)) {
                    ERR.println("opensearch-launcher: node did not close within 20s");
                }
            } catch (Throwable t) {
                ERR.println("opensearch-launcher: error closing node: " + t);
            }
            deleteTree(homeDir);
            org.apache.logging.log4j.LogManager.shutdown();
            ERR.println("opensearch-launcher: stopped");
            stopped.countDown();
        }, "logship-opensearch-shutdown"));

        long t0 = System.nanoTime();
        try {
            node.start();
        } catch (Throwable t) {
            ERR.println("opensearch-launcher: node failed to start: " + t);
            t.printStackTrace(ERR);
            System.exit(1);
        }
        TransportAddress http = node.injector().getInstance(HttpServerTransport.class)
            .boundAddress().publishAddress();
        ERR.printf(Locale.ROOT, "opensearch-launcher: node started in %d ms, home %s%n",
            (System.nanoTime() - t0) / 1_000_000, homeDir);
        System.out.println("OPENSEARCH_READY http://127.0.0.1:" + http.getPort());
        System.out.flush();

        if (watchPid > 0) {
            final long pid = watchPid;
            Thread w = new Thread(() -> {
                while (true) {
                    boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                    if (!alive) {
                        ERR.println("opensearch-launcher: watched pid " + pid + " is gone; exiting");
                        System.exit(0);
                    }
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "logship-opensearch-watchdog");
            w.setDaemon(true);
            w.start();
        }
        stopped.await();
    }

    private static String need(String flag, String value) {
        if (value == null) {
            die(flag + " needs a value");
        }
        return value;
    }

    private static void die(String msg) {
        ERR.println("opensearch-launcher: " + msg);
        System.exit(2);
    }

    /** Quiet log4j: WARN (or $OPENSEARCH_LOG_LEVEL) to stderr; once per JVM. */
    private static void configureLogging() {
        String lvl = System.getenv().getOrDefault("OPENSEARCH_LOG_LEVEL", "WARN");
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setConfigurationName("logship-opensearch");
        b.setStatusLevel(Level.ERROR);
        b.add(b.newAppender("stderr", "Console")
            .addAttribute("target", ConsoleAppender.Target.SYSTEM_ERR)
            .add(b.newLayout("PatternLayout").addAttribute("pattern", "[%d{HH:mm:ss,SSS}][%-5p][%c{1.}] %m%n")));
        b.add(b.newRootLogger(Level.toLevel(lvl, Level.WARN)).add(b.newAppenderRef("stderr")));
        // warns at every start that a default-off feature is off
        b.add(b.newLogger("org.opensearch.gateway.DanglingIndicesState", Level.ERROR));
        Configurator.initialize(b.build());
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            ERR.println("opensearch-launcher: could not delete " + root + ": " + e);
        }
    }
}
