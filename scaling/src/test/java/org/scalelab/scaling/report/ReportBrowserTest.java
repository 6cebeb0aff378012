package org.scalelab.scaling.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opens index.html in headless Chromium (Debian's package; .ci/run installs it) and drives it over the
 * DevTools protocol: every declared chart is drawn, nothing throws or logs an error, nothing is fetched
 * from the network, the tooltip names the run under the cursor, log axes carry readable labels, and the
 * run table sorts and filters. Skipped where no Chromium is installed.
 */
class ReportBrowserTest {
    private static final ObjectMapper OM = new ObjectMapper();

    static Path chromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(c))) return Path.of(c);
        }
        return null;
    }

    @Test
    void chartsDrawAndTheTooltipTicksAndTableWork(@TempDir Path tmp) throws Exception {
        Path browser = chromium();
        Assumptions.assumeTrue(browser != null, "Chromium not installed");
        Path index = Report.write(ReportTest.fakeSweep(tmp.resolve("sweep")), tmp.resolve("report"));
        try (Browser b = Browser.start(browser, tmp)) {
            b.open(index);
            assertAllDrawn(b, 12);

            // the tooltip: move the mouse onto a point of loss vs N, computed with uPlot's valToPos
            JsonNode at = b.eval("(() => { const u = scalelabCharts.loss_vs_N; u.root.scrollIntoView({block: 'center'});"
                    + " const d = JSON.parse(document.getElementById('scalelab-data').textContent);"
                    + " const s = d.charts.find(c => c.id === 'loss_vs_N').series[0], i = 2;"
                    + " const r = u.over.getBoundingClientRect();"
                    + " return {x: r.left + u.valToPos(s.x[i], 'x'), y: r.top + u.valToPos(s.y[i], 'y'), id: d.runs[s.run[i]].id}; })()");
            String id = at.get("id").asText();
            assertEquals("run2", id, "series D = 1e6, third point: N = 1e4");
            String tip = "(() => { const t = document.querySelector('#loss_vs_N .scalelab-tip');"
                    + " return getComputedStyle(t).display !== 'none' ? t.textContent : ''; })()";
            assertEquals("", b.eval(tip).asText(), "no tooltip before the mouse comes");
            b.mouse("mouseMoved", at.get("x").asDouble() - 40, at.get("y").asDouble() - 40);
            b.mouse("mouseMoved", at.get("x").asDouble(), at.get("y").asDouble());
            String shown = b.await(() -> b.eval(tip).asText(), t -> t.contains(id), "the tooltip");
            assertTrue(shown.contains("run run2") && shown.contains("N 10000") && shown.contains("D 1·10⁶"), shown);
            assertTrue(shown.contains("D = 1e6") && shown.contains("validation loss"), shown);
            b.mouse("mouseMoved", 2, 2);
            b.await(() -> b.eval(tip).asText(), String::isEmpty, "the tooltip hidden once the mouse leaves");

            // tick labels of the log axes: decades in superscript with steps between, and a loss axis with several labels
            JsonNode x = b.eval("scalelabCharts.loss_vs_N.axes[0]._values.filter(v => v != null)");
            List<String> xs = new ArrayList<>();
            x.forEach(v -> xs.add(v.asText()));
            assertTrue(xs.containsAll(List.of("10³", "10⁴", "10⁵")) && xs.contains("3·10³"), "N axis: " + xs);
            JsonNode y = b.eval("scalelabCharts.loss_vs_N.axes[1]._values.filter(v => v != null)");
            assertTrue(y.size() >= 3, "loss axis: " + y);
            JsonNode narrow = b.eval("scalelab.logTicks(2.1, 3.4, 300, 26).labels");
            assertTrue(narrow.size() >= 3, "an axis spanning less than a decade: " + narrow);
            for (JsonNode l : narrow) assertTrue(l.asText().matches("[23]\\.[0-9]+"), "linear-looking: " + narrow);
            assertEquals("[\"2.0\",\"2.5\",\"3.0\"]", b.eval("scalelab.logTicks(1.9, 3.2, 300, 60).labels").toString());
            assertEquals("[\"10⁻³\",\"3·10⁻³\",\"10⁻²\",\"3·10⁻²\",\"10⁻¹\"]", b.eval("scalelab.logTicks(1e-3, 0.1, 300, 60).labels").toString());
            assertEquals("[\"10⁴\",\"10⁶\",\"10⁸\"]", b.eval("scalelab.logTicks(1e4, 1e8, 200, 56).labels").toString());

            // sorting: a click on the N header orders the rows by N (empty last); a second click reverses them
            String col = "(() => { const th = [...document.querySelectorAll('#runs th')].find(h => h.textContent === 'N');"
                    + " const i = th.cellIndex; return [...document.querySelectorAll('#runs tbody tr')].map(tr => tr.cells[i].getAttribute('data-v')); })()";
            List<String> before = texts(b.eval(col));
            JsonNode th = b.eval("(() => { const th = [...document.querySelectorAll('#runs th')].find(h => h.textContent === 'N');"
                    + " th.scrollIntoView({block: 'center'}); const r = th.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()");
            b.click(th.get("x").asDouble(), th.get("y").asDouble());
            List<String> after = b.await(() -> texts(b.eval(col)), a -> !a.equals(before), "the sorted table");
            List<Double> nums = after.stream().filter(v -> !v.isEmpty()).map(Double::parseDouble).toList();
            for (int i = 1; i < nums.size(); i++) assertTrue(nums.get(i) >= nums.get(i - 1), "ascending by N: " + after);
            assertEquals("", after.get(after.size() - 1), "the failed run, without N, last: " + after);
            assertNotEquals(before, after);
            b.click(th.get("x").asDouble(), th.get("y").asDouble());
            List<String> desc = b.await(() -> texts(b.eval(col)), a -> !a.equals(after), "the reversed table");
            assertEquals("100000", desc.get(0), "descending: " + desc);

            // filtering: typed words keep the rows that contain them
            b.eval("document.getElementById('run-filter').focus()");
            b.call("Input.insertText", Map.of("text", "failed"));
            b.await(() -> b.eval("[...document.querySelectorAll('#runs tbody tr')].filter(tr => tr.style.display !== 'none').length").asInt(),
                    n -> n == 1, "one row left by the filter");
            b.assertClean();
        }
    }

    /** The fuller page of a fitted sweep: fitted curves, compute-optimal N and D, both family charts, the training charts. */
    @Test
    void everyChartOfAFittedSweepDraws(@TempDir Path tmp) throws Exception {
        Path browser = chromium();
        Assumptions.assumeTrue(browser != null, "Chromium not installed");
        Path index = Report.write(ReportTest.fittedSweep(tmp.resolve("sweep")), tmp.resolve("report"));
        try (Browser b = Browser.start(browser, tmp)) {
            b.open(index);
            assertAllDrawn(b, 12);
            // a legend click hides a series (and the curves it leads), a second shows it again
            String shown = "scalelabCharts.loss_vs_N.series.slice(1).filter(s => s.show).length";
            int all = b.eval(shown).asInt();
            JsonNode fit = b.eval("(() => { const rows = [...scalelabCharts.loss_vs_N.root.querySelectorAll('.u-legend .u-series')];"
                    + " const r = rows.find(t => t.textContent.startsWith('fitted Chinchilla')); r.scrollIntoView({block: 'center'});"
                    + " const b = r.getBoundingClientRect(); return {x: b.left + 10, y: b.top + b.height / 2}; })()");
            b.click(fit.get("x").asDouble(), fit.get("y").asDouble());
            int hidden = b.await(() -> b.eval(shown).asInt(), n -> n < all, "series hidden");
            assertEquals(all - 3, hidden, "the three per-D curves of the fitted law");
            b.click(fit.get("x").asDouble(), fit.get("y").asDouble());
            b.await(() -> b.eval(shown).asInt(), n -> n == all, "series shown again");
            b.assertClean();
        }
    }

    private static List<String> texts(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(v -> out.add(v.isNull() ? "" : v.asText()));
        return out;
    }

    /** Every figure got a uPlot chart whose canvas has a size and something drawn on it. */
    private static void assertAllDrawn(Browser b, int charts) throws Exception {
        assertEquals(String.valueOf(charts), b.eval("document.body.dataset.charts").asText(), "charts the page declares");
        assertEquals(String.valueOf(charts), b.await(() -> b.eval("document.body.dataset.drawn || ''").asText(),
                d -> !d.isEmpty(), "the charts drawn"), "charts drawn");
        JsonNode canvases = b.eval("[...document.querySelectorAll('figure[data-chart]')].map(f => {"
                + " const c = f.querySelector('canvas'); if (!c) return f.id + ': no canvas';"
                + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let ink = 0;"
                + " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;"
                + " return c.width > 0 && c.height > 0 && ink > 2000 ? 'ok' : f.id + ': ' + c.width + 'x' + c.height + ', ' + ink + ' pixels drawn'; })");
        assertEquals(charts, canvases.size());
        canvases.forEach(c -> assertEquals("ok", c.asText()));
        assertEquals(charts, b.eval("Object.keys(window.scalelabCharts).length").asInt(), "uPlot instances");
    }

    /** One headless Chromium and a DevTools connection to its page. */
    static final class Browser implements AutoCloseable {
        private final Process process;
        private WebSocket ws;
        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        private final List<JsonNode> events = java.util.Collections.synchronizedList(new ArrayList<>());

        private Browser(Process process) {
            this.process = process;
        }

        /** Starts Chromium and connects; a second try when the first start fails (Chromium's first start on a fresh machine sometimes does). */
        static Browser start(Path chromium, Path tmp) throws Exception {
            Exception first = null;
            for (int attempt = 0; attempt < 2; attempt++) {
                Path profile = Files.createTempDirectory(tmp, "chromium-profile");
                Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--remote-debugging-port=0", "--user-data-dir=" + profile, "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--window-size=1280,1000", "about:blank")
                        .redirectErrorStream(true).redirectOutput(tmp.resolve("chromium-" + attempt + ".log").toFile()).start();
                try {
                    return connect(p, profile);
                } catch (Exception e) {
                    kill(p);
                    if (first == null) first = e;
                    else first.addSuppressed(e);
                }
            }
            throw first;
        }

        private static Browser connect(Process p, Path profile) throws Exception {
            Path portFile = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            String port = null;
            while (port == null) {
                if (Files.isRegularFile(portFile)) {
                    List<String> lines = Files.readAllLines(portFile);
                    if (!lines.isEmpty() && !lines.get(0).isBlank()) port = lines.get(0).strip();
                }
                if (port == null) {
                    if (!p.isAlive()) throw new IOException("chromium exited with " + p.exitValue());
                    if (System.nanoTime() > deadline) throw new IOException("no DevToolsActivePort after 15 s");
                    Thread.sleep(50);
                }
            }
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + port;
            String page = null;
            for (JsonNode t : OM.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/json/list")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body())) {
                if (t.path("type").asText().equals("page")) page = t.path("webSocketDebuggerUrl").asText();
            }
            if (page == null) {
                JsonNode t = OM.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/json/new?about:blank"))
                        .PUT(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body());
                page = t.path("webSocketDebuggerUrl").asText();
            }
            Browser b = new Browser(p);
            b.ws = http.newWebSocketBuilder().buildAsync(URI.create(page), new WebSocket.Listener() {
                private final StringBuilder text = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                    text.append(data);
                    if (last) {
                        b.receive(text.toString());
                        text.setLength(0);
                    }
                    w.request(1);
                    return null;
                }
            }).get(10, TimeUnit.SECONDS);
            try {
                for (String domain : List.of("Runtime", "Log", "Page", "Network")) b.call(domain + ".enable", Map.of());
            } catch (Exception | AssertionError e) {
                b.ws.abort();
                throw e;
            }
            return b;
        }

        private void receive(String msg) {
            try {
                JsonNode n = OM.readTree(msg);
                if (n.has("id")) {
                    CompletableFuture<JsonNode> f = pending.remove(n.get("id").asInt());
                    if (f != null) f.complete(n);
                } else {
                    events.add(n);
                }
            } catch (IOException e) {
                events.add(OM.createObjectNode().put("method", "unparsable").put("text", msg));
            }
        }

        /** A DevTools command; its result, or an assertion error naming the protocol's error. */
        JsonNode call(String method, Map<String, ?> params) throws Exception {
            int id = ids.incrementAndGet();
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            pending.put(id, f);
            ObjectNode m = OM.createObjectNode().put("id", id).put("method", method);
            m.set("params", OM.valueToTree(params));
            synchronized (ws) {
                ws.sendText(OM.writeValueAsString(m), true).get(10, TimeUnit.SECONDS);
            }
            JsonNode r = f.get(15, TimeUnit.SECONDS);
            if (r.has("error")) throw new AssertionError(method + ": " + r.get("error"));
            return r.path("result");
        }

        /** The value of a JavaScript expression in the page; an assertion error when it throws. */
        JsonNode eval(String expression) throws Exception {
            JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
            if (r.has("exceptionDetails")) throw new AssertionError(expression + " threw " + r.get("exceptionDetails"));
            return r.path("result").path("value");
        }

        void open(Path index) throws Exception {
            events.clear();
            call("Page.navigate", Map.of("url", index.toUri().toString()));
            // a synchronized list's stream is not: the socket's thread adds events while this one reads them
            await(() -> {
                synchronized (events) {
                    return events.stream().anyMatch(e -> e.path("method").asText().equals("Page.loadEventFired"));
                }
            }, Boolean::booleanValue, "the page's load event");
        }

        void mouse(String type, double x, double y) throws Exception {
            call("Input.dispatchMouseEvent", Map.of("type", type, "x", x, "y", y, "button", type.equals("mouseMoved") ? "none" : "left",
                    "clickCount", type.equals("mouseMoved") ? 0 : 1));
        }

        void click(double x, double y) throws Exception {
            mouse("mouseMoved", x, y);
            mouse("mousePressed", x, y);
            mouse("mouseReleased", x, y);
        }

        /** Polls {@code value} for up to 5 s until {@code ok} holds; returns the value. */
        <T> T await(Callable<T> value, java.util.function.Predicate<T> ok, String what) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            T v = value.call();
            while (!ok.test(v)) {
                if (System.nanoTime() > deadline) throw new AssertionError(what + ": not within 5 s; last " + v);
                Thread.sleep(25);
                v = value.call();
            }
            return v;
        }

        /** No exception, no console or log error, and no request for anything but the page itself. */
        void assertClean() {
            List<String> bad = new ArrayList<>();
            synchronized (events) {
                for (JsonNode e : events) {
                    String m = e.path("method").asText();
                    JsonNode p = e.path("params");
                    if (m.equals("Runtime.exceptionThrown")) bad.add("exception: " + p.path("exceptionDetails"));
                    if (m.equals("Runtime.consoleAPICalled") && List.of("error", "assert").contains(p.path("type").asText())) bad.add("console: " + p.path("args"));
                    if (m.equals("Log.entryAdded") && p.path("entry").path("level").asText().equals("error")) bad.add("log: " + p.path("entry"));
                    if (m.equals("Network.requestWillBeSent") && !p.path("request").path("url").asText().startsWith("file:")) {
                        bad.add("request: " + p.path("request").path("url").asText());
                    }
                    if (m.equals("unparsable")) bad.add("unparsable message: " + e.path("text"));
                }
            }
            assertEquals(List.of(), bad);
        }

        @Override
        public void close() {
            if (ws != null) ws.abort();
            kill(process);
        }

        private static void kill(Process p) {
            List<ProcessHandle> children = p.descendants().toList();
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
    }
}
