package io.meridian.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.node.launch.LocalFederation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same round trip through a command-line client installed from Debian, s3cmd: a tree with a
 * file large enough for multipart, put at us-east, listed at eu-west, fetched at ap-south.
 */
class S3cmdTest {

    @TempDir
    static Path dir;

    static LocalFederation federation;

    @BeforeAll
    static void start() throws Exception {
        Process install = new ProcessBuilder("../scripts/ensure-debian-packages", "s3cmd").inheritIO().start();
        assertThat(install.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(install.exitValue()).as("s3cmd must be installed: run .ci/run, or"
                + " scripts/ensure-debian-packages s3cmd as root").isZero();
        federation = E2eFederation.start(dir.resolve("sites"));
    }

    @AfterAll
    static void stop() {
        if (federation != null) {
            federation.close();
        }
    }

    private Path config(String site) throws IOException {
        String hostPort = federation.spec(site).s3Url().substring("http://".length());
        Path cfg = dir.resolve(site + ".s3cfg");
        Files.writeString(cfg, String.join("\n",
                "[default]",
                "access_key = " + LocalFederation.DEMO_ACCESS_KEY,
                "secret_key = " + LocalFederation.DEMO_SECRET_KEY,
                "host_base = " + hostPort,
                "host_bucket = " + hostPort,
                "use_https = False",
                "signature_v2 = False",
                "bucket_location = us-east-1",
                "multipart_chunk_size_mb = 15",
                ""));
        return cfg;
    }

    private String s3cmd(String site, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("s3cmd", "-c", config(site).toString(), "--no-progress"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("s3cmd %s failed:%n%s", String.join(" ", args), out).isZero();
        return out;
    }

    @Test
    void s3cmdPutsAtOneSiteListsAndGetsAtTheOthers() throws Exception {
        Path tree = dir.resolve("tree");
        Map<String, String> expected = new TreeMap<>();
        try (Stream<Path> docs = Files.list(Path.of("/usr/share/doc")).sorted().limit(40)) {
            for (Path pkg : docs.collect(Collectors.toList())) {
                copyTree(pkg, tree.resolve("doc").resolve(pkg.getFileName().toString()));
            }
        }
        Path big = Path.of(System.getProperty("java.home"), "lib", "modules");
        Files.createDirectories(tree.resolve("jdk"));
        Files.copy(big, tree.resolve("jdk/modules"), StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> walk = Files.walk(tree)) {
            for (Path f : walk.filter(Files::isRegularFile).collect(Collectors.toList())) {
                expected.put(tree.relativize(f).toString(), TreeRoundTripTest.sha256(f));
            }
        }
        assertThat(Files.size(tree.resolve("jdk/modules"))).isGreaterThan(15L << 20);

        s3cmd("us-east", "mb", "s3://cli");
        s3cmd("us-east", "put", "--recursive", tree + "/", "s3://cli/tree/");

        String listing = s3cmd("eu-west", "ls", "--recursive", "s3://cli/tree/");
        long listed = listing.lines().filter(l -> l.contains("s3://cli/tree/")).count();
        assertThat(listed).isEqualTo(expected.size());
        assertThat(s3cmd("ap-south", "ls", "s3://")).contains("s3://cli");

        Path out = dir.resolve("out");
        Files.createDirectories(out);
        s3cmd("ap-south", "get", "--recursive", "s3://cli/tree/", out + "/");
        Map<String, String> actual = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(out)) {
            for (Path f : walk.filter(Files::isRegularFile).collect(Collectors.toList())) {
                actual.put(out.relativize(f).toString(), TreeRoundTripTest.sha256(f));
            }
        }
        assertThat(actual).isEqualTo(expected);

        s3cmd("eu-west", "del", "--recursive", "--force", "s3://cli/tree/");
        assertThat(s3cmd("us-east", "ls", "--recursive", "s3://cli")).doesNotContain("s3://cli/tree/");
        s3cmd("eu-west", "rb", "s3://cli");
        assertThat(s3cmd("us-east", "ls", "s3://")).doesNotContain("s3://cli");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.collect(Collectors.toList())) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
