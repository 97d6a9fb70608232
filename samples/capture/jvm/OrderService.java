// The lab's vulnerable JVM app: a tiny HTTP service (the JDK's own HttpServer) that logs
// every request it is sent, User-Agent included, to stdout. Its logger has the flaw that made
// Log4Shell: it resolves `${jndi:...}` lookups inside the message it logs. A real log4j 2.14
// would fetch the reference from the attacker's LDAP server and load a class that runs a
// command; this lab logger skips the network round trip and does what a JNDIExploit
// `Basic/Command/Base64/<command>` reference makes the loaded class do: run the command with
// `sh -c`. Any other reference fails, as a lookup to an unreachable server does.
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class OrderService {
    private static final Pattern LOOKUP = Pattern.compile("\\$\\{jndi:(ldap|rmi|dns)://([^/}]+)/([^}]*)\\}");
    private static final String GADGET = "Basic/Command/Base64/";

    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(8080), 16);
        server.createContext("/", exchange -> {
            String ua = exchange.getRequestHeaders().getFirst("User-Agent");
            log("INFO", exchange.getRemoteAddress().getAddress().getHostAddress() + " \""
                    + exchange.getRequestMethod() + " " + exchange.getRequestURI() + "\" ua=\"" + ua + "\"");
            byte[] body = "{\"orders\":[]}\n".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        log("INFO", "orders-service listening on :8080");
    }

    private static void log(String level, String message) {
        System.out.println(Instant.now() + " " + level + " [orders] " + message);
        Matcher m = LOOKUP.matcher(message);
        while (m.find()) {
            String ref = m.group(3);
            if (ref.startsWith(GADGET)) {
                String command = new String(Base64.getDecoder().decode(ref.substring(GADGET.length())), StandardCharsets.UTF_8);
                try {
                    new ProcessBuilder("sh", "-c", command)
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start();
                } catch (Exception e) {
                    System.out.println(Instant.now() + " ERROR [orders] lookup " + m.group(0) + " failed: " + e);
                }
            } else {
                System.out.println(Instant.now() + " WARN [orders] JNDI lookup " + m.group(0)
                        + " failed: javax.naming.CommunicationException: " + m.group(2));
            }
        }
    }
}
